/*
 * udpstream: the cold-start benchmark's load and echo (benchmarks/coldstart/run.py builds it with cc).
 *
 *   udpstream echo PORT
 *       UDP echo on 127.0.0.1:PORT, recvmmsg/sendmmsg in batches of 64.
 *   udpstream stream HOST:PORT RATE SECONDS BUCKET_MS
 *       One UDP flow: RATE datagrams/s of 64 bytes for SECONDS, each with its sequence number;
 *       echoes are counted by the bucket (BUCKET_MS wide, from the first send) their datagram was
 *       sent in. Prints one line per bucket: "bucket_start_ms sent echoed", then "total sent echoed".
 *       Waits 500 ms after the last send for late echoes. Bounded: RATE*SECONDS datagrams, then exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SIZE 64

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int echo(int port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int buf = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(s, (struct sockaddr *) &a, sizeof a) < 0) {
        perror("bind");
        return 1;
    }
    static char data[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in from[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec) {data[i], sizeof data[i]};
            msgs[i].msg_hdr = (struct msghdr) {.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i],
                                               .msg_iovlen = 1};
        }
        int n = recvmmsg(s, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            iov[i].iov_len = msgs[i].msg_len;
        }
        sendmmsg(s, msgs, n, 0);
    }
}

static int stream(const char *hostport, long rate, long seconds, long bucket_ms) {
    char host[64];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon - hostport >= (long) sizeof host) {
        fprintf(stderr, "bad HOST:PORT\n");
        return 2;
    }
    memcpy(host, hostport, colon - hostport);
    host[colon - hostport] = 0;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
    inet_pton(AF_INET, host, &to.sin_addr);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (connect(s, (struct sockaddr *) &to, sizeof to) < 0) {
        perror("connect");
        return 1;
    }
    long total = rate * seconds;
    long buckets = seconds * 1000 / bucket_ms + 1;
    long *sent = calloc(buckets, sizeof(long)), *echoed = calloc(buckets, sizeof(long));
    char *seen = calloc(total, 1);
    int64_t *at = calloc(total, sizeof(int64_t));
    char out[SIZE] = {0}, in[2048];
    int64_t start = now_ns(), interval = 1000000000LL / rate, end_wait = 0;
    long next = 0;
    for (;;) {
        int64_t t = now_ns();
        while (next < total && start + next * interval <= t) {
            memcpy(out, &next, sizeof next);
            if (send(s, out, SIZE, 0) == SIZE) {
                at[next] = t - start;
                sent[(t - start) / 1000000 / bucket_ms]++;
            } else {
                at[next] = -1;
            }
            next++;
        }
        ssize_t n;
        while ((n = recv(s, in, sizeof in, 0)) >= (ssize_t) sizeof(long)) {
            long seq;
            memcpy(&seq, in, sizeof seq);
            if (seq >= 0 && seq < total && !seen[seq] && at[seq] >= 0) {
                seen[seq] = 1;
                echoed[at[seq] / 1000000 / bucket_ms]++;
            }
        }
        if (next == total) {
            if (end_wait == 0) {
                end_wait = t + 500000000LL;
            } else if (t >= end_wait) {
                break;
            }
        }
        struct timespec nap = {0, 20000};
        nanosleep(&nap, NULL);
    }
    long ts = 0, te = 0;
    for (long b = 0; b < buckets; b++) {
        if (sent[b] || echoed[b]) {
            printf("%ld %ld %ld\n", b * bucket_ms, sent[b], echoed[b]);
        }
        ts += sent[b];
        te += echoed[b];
    }
    printf("total %ld %ld\n", ts, te);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "echo") == 0) {
        return echo(atoi(argv[2]));
    }
    if (argc == 6 && strcmp(argv[1], "stream") == 0) {
        return stream(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
    }
    fprintf(stderr, "usage: udpstream echo PORT | udpstream stream HOST:PORT RATE SECONDS BUCKET_MS\n");
    return 2;
}
