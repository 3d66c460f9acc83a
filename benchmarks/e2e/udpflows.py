#!/usr/bin/env python3
"""UDP helpers for the end-to-end benchmark (benchmarks/e2e/run.py).

  udpflows.py echo PORT                  UDP echo backend on 127.0.0.1:PORT (one socket)
  udpflows.py newflows HOST:PORT ...     new UDP flows/s: one datagram per never-seen source tuple
  udpflows.py hold HOST:PORT --flows N   opens N UDP sessions, prints a JSON line, then stays idle

Every flow gets its own source address in 127.0.0.0/8 (127.A.B.C, from --start on), so a tuple
never repeats within a run or across runs given distinct --start values, and the kernel's
recycling of source ports cannot make a balancer see an old session. One unbound socket sends
them all: the source address is set per datagram with IP_PKTINFO, so the generator uses one file
descriptor however many flows it opens (RLIMIT_NOFILE is 20000 here and cannot be raised).
Each datagram carries an 8-byte sequence number; a reply counts when the echo returns it.
"""
import argparse, json, os, select, signal, socket, struct, sys, time

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def addr_of(i):
    # 127.A.B.C with A in 1..254, B in 0..255, C in 1..254: ~16.5M distinct addresses.
    c = 1 + i % 254
    i //= 254
    b = i % 256
    i //= 256
    a = 1 + i % 254
    return socket.inet_aton(f"127.{a}.{b}.{c}")


def hostport(s):
    h, p = s.rsplit(":", 1)
    return (h, int(p))


def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    recv, send = s.recvfrom, s.sendto
    while True:
        d, a = recv(2048)
        try:
            send(d, a)
        except OSError:
            pass


class Flows:
    def __init__(self, target, start, window, timeout):
        self.target, self.window, self.timeout = target, window, timeout
        self.seq = start
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind(("0.0.0.0", 0))
        self.s.setblocking(False)
        self.pending = {}  # seq -> send time, in send order
        self.sent = self.replies = self.timeouts = self.errors = 0
        self.poll = select.poll()
        self.poll.register(self.s.fileno(), select.POLLIN)

    def send_one(self, now):
        seq = self.seq
        self.seq += 1
        pk = struct.pack("=i4s4s", 0, addr_of(seq), b"\0\0\0\0")
        try:
            self.s.sendmsg([struct.pack("!Q", seq)], [(socket.IPPROTO_IP, IP_PKTINFO, pk)], 0, self.target)
        except OSError:
            self.errors += 1
            return
        self.pending[seq] = now
        self.sent += 1

    def drain(self):
        got = 0
        recv, pending = self.s.recv, self.pending
        while True:
            try:
                d = recv(64)
            except BlockingIOError:
                return got
            except OSError:  # ICMP unreachable reported on the socket
                self.errors += 1
                continue
            if len(d) >= 8:
                seq = struct.unpack_from("!Q", d)[0]
                if pending.pop(seq, None) is not None:
                    self.replies += 1
                    got += 1

    def expire(self, now):
        dead = []
        for seq, t in self.pending.items():
            if now - t < self.timeout:
                break
            dead.append(seq)
        for seq in dead:
            del self.pending[seq]
        self.timeouts += len(dead)

    def run(self, seconds=None, count=None):
        """Keeps `window` flows outstanding; stops sending after `seconds` or `count` flows."""
        t0 = time.monotonic()
        last_expire = t0
        while True:
            now = time.monotonic()
            if (seconds is not None and now - t0 >= seconds) or (count is not None and self.sent + self.errors >= count):
                break
            while len(self.pending) < self.window and (count is None or self.sent + self.errors < count):
                self.send_one(now)
            if not self.drain():
                self.poll.poll(1)
            if now - last_expire > 0.02:
                self.expire(now)
                last_expire = now
        send_secs = time.monotonic() - t0
        # Stragglers: replies to flows already sent, up to the timeout.
        end = time.monotonic() + self.timeout
        while self.pending and time.monotonic() < end:
            if not self.drain():
                self.poll.poll(5)
        self.timeouts += len(self.pending)
        self.pending.clear()
        return send_secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "newflows", "hold"])
    ap.add_argument("target")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--flows", type=int, default=10000)
    ap.add_argument("--start", type=int, default=0, help="index of the first source address")
    ap.add_argument("--window", type=int, default=256, help="flows outstanding at once")
    ap.add_argument("--timeout", type=float, default=0.5, help="seconds to wait for one reply")
    a = ap.parse_args()
    if a.mode == "echo":
        echo(int(a.target))
        return
    f = Flows(hostport(a.target), a.start, a.window, a.timeout)
    if a.mode == "newflows":
        secs = f.run(seconds=a.seconds)
        print(json.dumps({"sent": f.sent, "replies": f.replies, "timeouts": f.timeouts, "errors": f.errors,
                          "seconds": secs, "flows_per_s": f.replies / secs, "next_start": f.seq}))
        return
    # hold: open the sessions, report, then stay idle (the sessions too) until killed or stdin closes.
    secs = f.run(count=a.flows)
    print(json.dumps({"sent": f.sent, "replies": f.replies, "timeouts": f.timeouts, "errors": f.errors,
                      "seconds": secs, "next_start": f.seq}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
