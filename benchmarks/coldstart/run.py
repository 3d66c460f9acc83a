#!/usr/bin/env python3
"""Cold start: datagrams lost in the first seconds of a 30 kpps UDP stream that starts the moment
the proxy's listener is bound (issue: "full speed from the first second").

    benchmarks/coldstart/run.py [--rounds 5] [--only wavelb,nginx,...] [--rate 30000] [--secs 3]

Per round and candidate: a fresh proxy process on CPU 1 (taskset), one UDP listener in front of a
C echo on CPU 0 (udpstream.c, built here with cc). This script polls /proc/net/udp every
millisecond; the moment a socket is bound to the listener's port it starts `udpstream stream`
(CPU 0): RATE datagrams/s of 64 bytes for SECS seconds, one flow, echoes counted per 100 ms bucket
of their send time. Lost = sent - echoed. Candidates:
  nginx          NGINX stream, one worker (the reference: native code, nothing to warm up)
  wavelb         bin/wavelb as shipped (its default warm-up, where there is one)
  wavelb-cold    runtime.warm_up: 0s (no warm-up before binding)
  wavelb-aot     as wavelb, plus the JDK's AOT cache (JDK >= 25; --aot FILE, made by `bin/wavelb aot-cache`)
  wavelb-warmN   runtime.warm_up: Ns (N = 5 or 10); wavelb-aot-warm10 both
Prints a markdown table (medians over rounds, and every round) and writes results/latest.md.
Every wait is bounded and every process started here is killed on the way out.
"""
import argparse, os, shlex, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LOAD, PROXY = ["taskset", "-c", "0"], ["taskset", "-c", "1"]
ECHO_PORT, PORT, ADMIN = 25611, 25621, 25631
CANDIDATES = ["nginx", "wavelb", "wavelb-cold", "wavelb-aot", "wavelb-warm5", "wavelb-warm10", "wavelb-aot-warm10"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def bound(port):
    """Whether a UDP socket is bound to 127.0.0.1:port (the proxy's listener; Netty's epoll sockets
    are IPv6 ones bound to ::ffff:127.0.0.1)."""
    wanted = {f"0100007F:{port:04X}", f"0000000000000000FFFF00000100007F:{port:04X}"}
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 1 and fields[1] in wanted:
                    return True
    return False


def nginx_conf(d):
    return f"""load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
stream {{
  upstream echo {{ server 127.0.0.1:{ECHO_PORT}; }}
  server {{ listen 127.0.0.1:{PORT} udp; proxy_pass echo; proxy_timeout 30s; }}
}}
"""


def wavelb_conf(warm_up):
    return f"""runtime:
  event_loops: 1
{f"  warm_up: {warm_up}" if warm_up else ""}
admin:
  listen: 127.0.0.1:{ADMIN}
listeners:
  - name: stream
    protocol: udp
    listen: 127.0.0.1:{PORT}
    target_group: echo
target_groups:
  - name: echo
    targets:
      - address: 127.0.0.1:{ECHO_PORT}
"""


def command(cand, d, aot):
    if cand == "nginx":
        conf = os.path.join(d, "nginx.conf")
        open(conf, "w").write(nginx_conf(d))
        return ["nginx", "-c", conf], {}
    conf = os.path.join(d, f"{cand}.yaml")
    warm = "0s" if cand == "wavelb-cold" else (cand.rsplit("warm", 1)[1] + "s" if "-warm" in cand else None)
    open(conf, "w").write(wavelb_conf(warm))
    env = dict(os.environ)
    if cand.startswith("wavelb-aot"):
        env["JAVA_OPTS"] = (env.get("JAVA_OPTS", "") + f" -XX:AOTCache={aot}").strip()
    return [os.path.join(ROOT, "bin", "wavelb"), "run", "--config", conf], env


def one(cand, d, tool, a, aot):
    argv, env = command(cand, d, aot)
    logf = open(os.path.join(d, f"{cand}.log"), "a")
    t0 = time.monotonic()
    p = subprocess.Popen(PROXY + argv, stdout=logf, stderr=subprocess.STDOUT, env=env or None, start_new_session=True)
    try:
        deadline = t0 + 60
        while not bound(PORT):
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cand} did not bind; see {logf.name}")
            time.sleep(0.001)
        to_bound = time.monotonic() - t0
        out = subprocess.run(["timeout", str(a.secs + 30)] + LOAD + [tool, "stream", f"127.0.0.1:{PORT}", str(a.rate),
                             str(a.secs), "100"], stdout=subprocess.PIPE, text=True, check=True).stdout
        rows = [l.split() for l in out.splitlines()]
        buckets = [(int(r[0]), int(r[1]), int(r[2])) for r in rows if r[0] != "total"]
        lost = lambda lo, hi: sum(s - e for t, s, e in buckets if lo <= t < hi)
        return {"to_bound_s": round(to_bound, 2), "lost_100ms": lost(0, 100), "lost_1s": lost(0, 1000),
                "lost_after_1s": lost(1000, 10 ** 9), "sent": sum(s for _, s, _ in buckets)}
    finally:
        stop(p)
        await_unbound()


def stop(p):
    """SIGTERM to the process group of p, SIGKILL after 20 s."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def await_unbound(secs=20):
    """Waits (bounded) until nothing is bound to the listener port, for the next round."""
    end = time.monotonic() + secs
    while bound(PORT) and time.monotonic() < end:
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="nginx,wavelb,wavelb-cold")
    ap.add_argument("--rate", type=int, default=30000)
    ap.add_argument("--secs", type=int, default=3)
    ap.add_argument("--aot", default=os.path.join(ROOT, "lb-core", "target", "wavelb.aot"),
                    help="the AOT cache wavelb-aot runs with")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    a = ap.parse_args()
    cands = [c for c in a.only.split(",") if c in CANDIDATES]
    d = tempfile.mkdtemp(prefix="wavelb-coldstart-")
    tool = os.path.join(d, "udpstream")
    subprocess.run(["cc", "-O2", "-o", tool, os.path.join(HERE, "udpstream.c")], check=True)
    subprocess.run([os.path.join(ROOT, "bin", "wavelb"), "--version"], check=True, stdout=subprocess.DEVNULL)
    echo = subprocess.Popen(LOAD + [tool, "echo", str(ECHO_PORT)], start_new_session=True)
    results = {c: [] for c in cands}
    try:
        for rnd in range(a.rounds):
            order = cands if rnd % 2 == 0 else list(reversed(cands))
            for c in order:
                r = one(c, d, tool, a, a.aot)
                results[c].append(r)
                log(f"round {rnd + 1} {c}: {r}")
    finally:
        os.killpg(echo.pid, signal.SIGKILL)
    med = lambda c, k: statistics.median(r[k] for r in results[c])
    lines = [f"`{' '.join(['benchmarks/coldstart/run.py'] + [shlex.quote(x) for x in sys.argv[1:]])}` — "
             f"{a.rate} datagrams/s of 64 B for {a.secs} s from the moment the listener is bound; "
             f"{a.rounds} rounds, medians (every round in brackets)", "",
             "| candidate | start to bound (s) | lost in the first 100 ms | lost in the first 1 s | lost after 1 s |",
             "|---|---:|---:|---:|---:|"]
    for c in cands:
        each = lambda k: ", ".join(str(r[k]) for r in results[c])
        lines.append(f"| {c} | {med(c, 'to_bound_s')} | {med(c, 'lost_100ms')} ({each('lost_100ms')}) | "
                     f"{med(c, 'lost_1s')} ({each('lost_1s')}) | {med(c, 'lost_after_1s')} ({each('lost_after_1s')}) |")
    write_result(lines, a.out)


def write_result(lines, out):
    """Prints the markdown lines and writes them to out."""
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    open(out, "w").write(text)


if __name__ == "__main__":
    main()
