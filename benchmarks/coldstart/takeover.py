#!/usr/bin/env python3
"""Full speed from a takeover: datagrams lost around `wavelb run --takeover` under a 30 kpps stream.

    benchmarks/coldstart/takeover.py [--rounds 3] [--rate 30000] [--secs 12] [--at 1] [--warm-up 4s]
        [--receive-buffer BYTES] [--session-receive-buffer BYTES] [--bucket-ms 100] [--proxy nginx]

The issue's goal, its takeover half: 0 datagrams lost in the first second after a takeover of a
30 kpps UDP stream. benchmarks/takeover/ drives many Python flows and cannot reach that rate, so
this uses the cold-start rig (run.py): wavelb on CPU 1, the C echo and `udpstream` (one flow,
64 B, echoes counted per 100 ms of send time) on CPU 0. Per round: a wavelb that serves the
stream; --at s into it the successor (`run --takeover`, same config, also on CPU 1: it warms up
beside the process it takes over, as on a host whose balancer has one core) until its log says
`takeover: ... reading after a pause of N ms` (it reads again). Reported: datagrams lost before the
successor started, while it warmed up and took over (the pause included), in the first second after
it read again, and after that (TAKEOVER_BUCKETS=1 also prints the losses per --bucket-ms around
that moment). --receive-buffer and --session-receive-buffer set the listener's udp.receive_buffer
and udp.session_receive_buffer (net.core.rmem_max caps both). Every process started here
is killed on the way out; every wait is bounded.
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as rig  # noqa: E402  the cold-start rig: ports, CPU sets, config, bound()


def conf(d, receive_buffer=0, session_receive_buffer=0, warm_up=None):
    state = os.path.join(d, "state")
    c = rig.wavelb_conf(warm_up).replace("runtime:\n", f"runtime:\n  state_dir: {state}\n", 1)
    udp = "".join(f"      {k}: {v}\n" for k, v in (("receive_buffer", receive_buffer),
                                                      ("session_receive_buffer", session_receive_buffer)) if v)
    if udp:
        c = c.replace("    target_group: echo\n", "    target_group: echo\n    udp:\n" + udp, 1)
    return c


def wait_log(path, text, secs, proc=None):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return time.monotonic()
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(0.01)
    return None


def one(d, tool, a, rnd):
    cfg = os.path.join(d, "w.yaml")
    open(cfg, "w").write(conf(d, a.receive_buffer, a.session_receive_buffer, a.warm_up))
    wavelb = [os.path.join(rig.ROOT, "bin", "wavelb"), "run", "--config", cfg]
    old_log, new_log = os.path.join(d, f"old-{rnd}.log"), os.path.join(d, f"new-{rnd}.log")
    old = subprocess.Popen(rig.PROXY + wavelb, stdout=open(old_log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    new = None
    try:
        if wait_log(old_log, "takeover: listening on", 60, old) is None:
            raise RuntimeError(f"wavelb did not start; see {old_log}")
        stream = subprocess.Popen(["timeout", str(a.secs + 30)] + rig.LOAD + [tool, "stream", f"127.0.0.1:{rig.PORT}",
                                  str(a.rate), str(a.secs), str(a.bucket_ms)], stdout=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        time.sleep(a.at)
        t_start = time.monotonic()
        new = subprocess.Popen(rig.PROXY + wavelb + ["--takeover"], stdout=open(new_log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
        # Logged the moment the new process reads again (after the pause); `takeover: complete`
        # comes later, once its admin endpoint has started.
        t_done = wait_log(new_log, "reading after a pause of", 60, new)
        out, _ = stream.communicate(timeout=a.secs + 40)
        if t_done is None:
            raise RuntimeError(f"the successor did not take over; see {new_log}")
        return report(out, a, t0, t_start, t_done)
    finally:
        for p in (new, old):
            if p is not None:
                rig.stop(p)
        rig.await_unbound()


def report(out, a, t0, t_start, t_done):
    """Losses from udpstream's buckets: before t_start, from it to t_done, the second after t_done, later."""
    buckets = [(int(r[0]), int(r[1]), int(r[2])) for r in (l.split() for l in out.splitlines()) if r[0] != "total"]
    lost = lambda lo, hi: sum(s - e for t, s, e in buckets if lo <= t < hi)
    ms = lambda t: int((t - t0) * 1000) // a.bucket_ms * a.bucket_ms
    start, done = ms(t_start), ms(t_done)
    if os.environ.get("TAKEOVER_BUCKETS"):
        rig.log(f"  lost per {a.bucket_ms} ms, ms from reading again: " + ", ".join(
            f"{t - done:+d}: {s - e}" for t, s, e in buckets if s - e))
    return {"before": lost(0, start), "warm_up_and_takeover": lost(start, done), "first_1s_after": lost(done, done + 1000),
            "later": lost(done + 1000, 10 ** 9), "takeover_s": round(t_done - t_start, 2),
            "sent": sum(s for _, s, _ in buckets)}


NGINX = "/usr/sbin/nginx"


def nginx_conf(d, receive_buffer=0):
    # rig.nginx_conf as a daemon: with `daemon off` NGINX ignores USR2 (its master's parent never changes).
    c = rig.nginx_conf(d).replace("daemon off;\n", "")
    return c.replace(" udp;", f" udp rcvbuf={receive_buffer};") if receive_buffer else c


def nginx_master(d):
    try:
        return int(open(os.path.join(d, "nginx.pid")).read().strip())
    except (OSError, ValueError):
        return None


def nginx_children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def one_nginx(d, tool, a, rnd):
    """NGINX's binary upgrade in the same rig: USR2 (a new master and worker, same binary), once its
    worker runs WINCH (the old workers stop) and QUIT to the old master. Both masters on CPU 1."""
    cfg = os.path.join(d, "nginx.conf")
    open(cfg, "w").write(nginx_conf(d, a.receive_buffer))
    started = []
    try:
        subprocess.run(rig.PROXY + [NGINX, "-p", d + "/", "-c", cfg], check=True, timeout=10)
        end = time.monotonic() + 10
        while not ((old := nginx_master(d)) and nginx_children(old) and rig.bound(rig.PORT)):
            if time.monotonic() > end:
                raise RuntimeError(f"nginx did not start; see {d}/nginx-error.log")
            time.sleep(0.01)
        started.append(old)
        stream = subprocess.Popen(["timeout", str(a.secs + 30)] + rig.LOAD + [tool, "stream", f"127.0.0.1:{rig.PORT}",
                                  str(a.rate), str(a.secs), str(a.bucket_ms)], stdout=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        time.sleep(a.at)
        t_start = time.monotonic()
        os.kill(old, signal.SIGUSR2)
        t_done, end = None, time.monotonic() + 10
        while time.monotonic() < end:
            new = nginx_master(d)
            if new not in (None, old) and nginx_children(new):
                started.append(new)
                t_done = time.monotonic()
                break
            time.sleep(0.001)
        if t_done is not None:
            os.kill(old, signal.SIGWINCH)
            time.sleep(0.2)
            os.kill(old, signal.SIGQUIT)
        out, _ = stream.communicate(timeout=a.secs + 40)
        if t_done is None:
            raise RuntimeError(f"the new nginx master did not start a worker; see {d}/nginx-error.log")
        return report(out, a, t0, t_start, t_done)
    finally:
        for m in started:
            for pid in nginx_children(m) + [m]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        rig.await_unbound()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=30000)
    ap.add_argument("--secs", type=int, default=12)
    ap.add_argument("--at", type=float, default=1.0, help="seconds into the stream the successor starts")
    ap.add_argument("--proxy", choices=["wavelb", "nginx"], default="wavelb",
                    help="nginx: NGINX's binary upgrade (USR2, WINCH, QUIT) in the same rig instead of a wavelb takeover")
    ap.add_argument("--receive-buffer", type=int, default=0,
                    help="udp.receive_buffer of the listener, or NGINX's listen rcvbuf= (0: the kernel's default)")
    ap.add_argument("--session-receive-buffer", type=int, default=0,
                    help="udp.session_receive_buffer: each session's socket towards the echo (0: the kernel's default)")
    ap.add_argument("--warm-up", help="runtime.warm_up of both processes, e.g. 4s (default: wavelb's)")
    ap.add_argument("--bucket-ms", type=int, default=100, help="width of the loss buckets (TAKEOVER_BUCKETS=1 prints them)")
    ap.add_argument("--out", default=os.path.join(rig.HERE, "results", "takeover-latest.md"))
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="wavelb-coldstart-takeover-")
    tool = os.path.join(d, "udpstream")
    subprocess.run(["cc", "-O2", "-o", tool, os.path.join(rig.HERE, "udpstream.c")], check=True)
    echo = subprocess.Popen(rig.LOAD + [tool, "echo", str(rig.ECHO_PORT)], start_new_session=True)
    results = []
    try:
        for rnd in range(a.rounds):
            r = one_nginx(d, tool, a, rnd) if a.proxy == "nginx" else one(d, tool, a, rnd)
            results.append(r)
            rig.log(f"round {rnd + 1}: {r}")
    finally:
        os.killpg(echo.pid, signal.SIGKILL)
    keys = ["before", "warm_up_and_takeover", "first_1s_after", "later", "takeover_s"]
    each = lambda k: ", ".join(str(r[k]) for r in results)
    lines = [f"`benchmarks/coldstart/takeover.py {' '.join(sys.argv[1:])}` — {a.rate} datagrams/s of 64 B for {a.secs} s, "
             f"the successor started {a.at} s in; {a.rounds} rounds, medians (every round in brackets); load average "
             f"{open('/proc/loadavg').read().split()[:3]} at the end", "",
             "| lost before the successor | while it warmed up and took over (the pause included) | first 1 s after it read again | later | successor start to reading (s) |",
             "|---:|---:|---:|---:|---:|",
             "| " + " | ".join(f"{statistics.median(r[k] for r in results)} ({each(k)})" for k in keys) + " |"]
    rig.write_result(lines, a.out)


if __name__ == "__main__":
    main()
