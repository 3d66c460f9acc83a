#!/usr/bin/env python3
"""System calls and CPU profile per new TCP connection or new UDP flow, per proxy (the newconns or
newflows load of run.py).

  benchmarks/e2e/syscalls.py [--only nginx,haproxy,wavelb,spike] [--load newconns|newflows] [--secs 4] [--out FILE]

For each candidate in turn (started as run.py starts it: proxy on CPU 1, load on CPU 0): a warm-up,
then `tcpconns` for --secs while `perf stat` counts the system calls of every thread of the proxy's
processes (tracepoints: far cheaper than strace, which slows the proxy ~20x), then again while
`perf record -g` samples it. Prints per connection: each system call (failed ones apart), the
proxy's CPU, and the profile's split by binary (kernel, libc, JIT-compiled Java, the JVM, ...).
"""
import argparse, os, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
PERF_MAP = "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer"
os.environ.setdefault("E2E_SPIKE_JAVA_OPTS", PERF_MAP)
os.environ.setdefault("E2E_WAVELB_JAVA_OPTS", PERF_MAP)
sys.path.insert(0, HERE)
import run as e2e  # noqa: E402

SYSCALLS = ["accept4", "accept", "socket", "connect", "setsockopt", "getsockopt", "getsockname", "getpeername",
            "ioctl", "fcntl", "read", "recvfrom", "recvmsg", "readv", "write", "sendto", "sendmsg", "writev",
            "shutdown", "close", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "futex",
            "timerfd_settime", "clock_gettime", "gettimeofday", "splice", "pipe2"]
FAILABLE = ["accept4", "read", "connect", "epoll_ctl", "shutdown", "recvfrom", "write", "sendto"]


def pids_of(proc):
    return e2e.tree(proc.pid)


def perf_stat(pids, secs):
    ev = []
    for s in SYSCALLS:
        ev += ["-e", f"syscalls:sys_enter_{s}"]
    for s in FAILABLE:
        ev += ["-e", f"syscalls:sys_exit_{s}", "--filter", "ret < 0"]
    ev += ["-e", "raw_syscalls:sys_enter"]
    cmd = ["perf", "stat", "-x", ";", "-p", ",".join(map(str, pids))] + ev + ["--", "sleep", str(secs + 1)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def parse_stat(text):
    counts = {}
    for line in text.splitlines():
        f = line.split(";")
        if len(f) > 2 and f[0].strip().isdigit():
            counts[f[2]] = int(f[0])
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="nginx,haproxy,wavelb,spike")
    ap.add_argument("--load", choices=["newconns", "newflows"], default="newconns",
                    help="newconns: TCP connect, 64 B, echo, close; newflows: one UDP datagram and its reply per flow")
    ap.add_argument("--secs", type=int, default=4)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    e2e.JAVA_HOME = subprocess.run(["bash", "-c", f"source {e2e.ROOT}/bin/java-env.sh >/dev/null 2>&1; "
                                    "echo $WAVELB_JAVA_HOME"], stdout=subprocess.PIPE, text=True).stdout.strip()
    d = tempfile.mkdtemp(prefix="wavelb-syscalls-")
    b = e2e.Bench(a, d)
    out = [f"load average before: {' / '.join(open('/proc/loadavg').read().split()[:3])}"]
    try:
        b.start_backends()
        load = getattr(b, a.load)
        per = "connection" if a.load == "newconns" else "flow"
        for c in a.only.split(","):
            p = e2e.start_proxy(c, d)
            try:
                load(c, p, 8)  # warm-up (the JIT)
                pids = pids_of(p)
                st = perf_stat(pids, a.secs)
                time.sleep(0.3)
                r = load(c, p, a.secs)
                _, err = st.communicate(timeout=60)
                counts = parse_stat(err)
                # connections (flows) completed in the run: per-core rate * cpu share * secs (as run.py derives it)
                rate = r and (r.get("cps_core") or r.get("fps_core"))
                n = rate * r["cpu"] * a.secs if rate and r.get("cpu") else 0
                data = os.path.join(d, f"{c}.perf.data")
                rec = subprocess.Popen(["perf", "record", "-F", "2999", "-g", "-o", data, "-p", ",".join(map(str, pids)),
                                        "--", "sleep", str(a.secs + 1)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.3)
                r2 = load(c, p, a.secs)
                rec.wait(60)
            finally:
                p.stop()  # the JVMs write their perf maps at exit
            time.sleep(1)
            out.append(f"\n## {c}: {r}")
            out.append(f"profiled run: {r2}")
            total = counts.get("raw_syscalls:sys_enter", 0)
            out.append(f"system calls per {per}: {total / max(n, 1):.2f} (all threads of the proxy)")
            for s in SYSCALLS:
                k = counts.get(f"syscalls:sys_enter_{s}", 0)
                if k:
                    fails = counts.get(f"syscalls:sys_exit_{s}", 0)
                    out.append(f"  {s:16s} {k / n:6.2f}" + (f"  (failed {fails / n:.2f})" if fails else ""))
            rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso", "-q", "-g", "none"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            out.append("profile by binary:")
            out += ["  " + re.sub(r"\s+", " ", l.strip()) for l in rep.splitlines() if l.strip()][:8]
            rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym", "-q", "-g", "none"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            out.append("top symbols:")
            out += ["  " + re.sub(r"\s+", " ", l.strip())[:150] for l in rep.splitlines() if l.strip()][:25]
            print("\n".join(out[-60:]), file=sys.stderr, flush=True)
    finally:
        for p in b.backends.values():
            p.stop()
    out.append(f"\nload average after: {' / '.join(open('/proc/loadavg').read().split()[:3])}; data in {d}")
    text = "\n".join(out)
    if a.out:
        open(a.out, "w").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
