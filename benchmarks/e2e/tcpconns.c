/*
 * tcpconns: new TCP connections/s through a proxy (benchmarks/e2e/run.py builds it with cc).
 *
 *   tcpconns HOST:PORT CONCURRENCY SECONDS
 *   tcpconns echo PORT      the backend: echoes every byte on 127.0.0.1:PORT (epoll, one thread)
 *
 * Keeps CONCURRENCY connections going: each connects, sends 64 bytes, reads the 64-byte echo,
 * closes (RST-free: close after the echo), and a new one starts in its place. Prints one line:
 * "conns N rate R p50_us X p99_us Y errors E" (completion time: connect() to the echo's last byte).
 * Bounded: stops starting connections after SECONDS, waits at most 2 s for those in flight.
 * Source addresses rotate over 127.0.0.2..127.0.0.254, so the ephemeral ports of one address and
 * its TIME_WAIT entries do not run out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64
#define MAX_SAMPLES 4000000

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct conn {
    int fd;
    int got;
    int64_t started;
};

static struct sockaddr_in to;
static int ep;
static unsigned src_next;
static long errors;

static int start(struct conn *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        errors++;
        return -1;
    }
    struct sockaddr_in from = {.sin_family = AF_INET};
    from.sin_addr.s_addr = htonl(0x7F000002 + (src_next++ % 253));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *) &from, sizeof from) < 0) {
        close(fd);
        errors++;
        return -1;
    }
    c->fd = fd;
    c->got = 0;
    c->started = now_ns();
    if (connect(fd, (struct sockaddr *) &to, sizeof to) < 0 && errno != EINPROGRESS) {
        close(fd);
        errors++;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static int cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static int echo(int port) {
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(l, (struct sockaddr *) &a, sizeof a) < 0 || listen(l, 4096) < 0) {
        perror("echo");
        return 1;
    }
    int e = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, evs[256];
    epoll_ctl(e, EPOLL_CTL_ADD, l, &ev);
    char buf[16384];
    for (;;) {
        int n = epoll_wait(e, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c;
                while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(e, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r <= 0) {
                close(fd);
            } else if (send(fd, buf, r, MSG_NOSIGNAL) < 0) {
                close(fd);
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "echo") == 0) {
        return echo(atoi(argv[2]));
    }
    if (argc != 4) {
        fprintf(stderr, "usage: tcpconns HOST:PORT CONCURRENCY SECONDS\n");
        return 2;
    }
    char host[64];
    const char *colon = strrchr(argv[1], ':');
    if (!colon || colon - argv[1] >= (long) sizeof host) {
        return 2;
    }
    memcpy(host, argv[1], colon - argv[1]);
    host[colon - argv[1]] = 0;
    to.sin_family = AF_INET;
    to.sin_port = htons(atoi(colon + 1));
    inet_pton(AF_INET, host, &to.sin_addr);
    int concurrency = atoi(argv[2]);
    int64_t seconds = atol(argv[3]);
    ep = epoll_create1(0);
    struct conn *conns = calloc(concurrency, sizeof *conns);
    int64_t *samples = malloc(sizeof(int64_t) * MAX_SAMPLES);
    long done = 0, active = 0;
    int64_t t0 = now_ns(), stop_at = t0 + seconds * 1000000000LL, hard_stop = stop_at + 2000000000LL;
    for (int i = 0; i < concurrency; i++) {
        if (start(&conns[i]) == 0) {
            active++;
        }
    }
    char buf[SIZE] = {0}, in[4096];
    struct epoll_event evs[256];
    while (active > 0) {
        int64_t t = now_ns();
        if (t > hard_stop) {
            break;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int fail = 0;
            if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
                fail = 1;
            } else if (evs[i].events & EPOLLOUT) {
                if (send(c->fd, buf, SIZE, MSG_NOSIGNAL) != SIZE) {
                    fail = 1;
                } else {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            } else if (evs[i].events & EPOLLIN) {
                ssize_t r = recv(c->fd, in, sizeof in, 0);
                if (r <= 0) {
                    fail = 1;
                } else if ((c->got += r) >= SIZE) {
                    int64_t end = now_ns();
                    if (done < MAX_SAMPLES) {
                        samples[done] = end - c->started;
                    }
                    done++;
                    close(c->fd);
                    active--;
                    if (end < stop_at && start(c) == 0) {
                        active++;
                    }
                    continue;
                }
            }
            if (fail) {
                errors++;
                close(c->fd);
                active--;
                if (now_ns() < stop_at && start(c) == 0) {
                    active++;
                }
            }
        }
    }
    double secs = (now_ns() - t0) / 1e9;
    long k = done < MAX_SAMPLES ? done : MAX_SAMPLES;
    qsort(samples, k, sizeof(int64_t), cmp);
    printf("conns %ld rate %.0f p50_us %.0f p99_us %.0f errors %ld\n", done, done / (secs < seconds ? secs : (double) seconds),
           k ? samples[k / 2] / 1e3 : 0.0, k ? samples[k * 99 / 100] / 1e3 : 0.0, errors);
    return 0;
}
