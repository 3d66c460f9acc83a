#!/usr/bin/env python3
"""Sustained pressure: slow TCP readers + a UDP session flood + a reload storm, together, for minutes.

See benchmarks/README.md, "Sustained pressure". Usage:

  benchmarks/pressure/run.sh [--secs 600] [--slow 2000] [--out FILE] [--java-opts "..."]

What runs, all on loopback, every part bounded in time (it stops by itself after --secs):
  - wavelb (bin/wavelb run) with two listeners: "stream" (TCP) in front of a target that writes as
    fast as it can, and "edge" (tcp_udp) in front of an echo target;
  - slow readers: --slow TCP connections to "stream" that never read; 5 % of them are closed and
    replaced every second (churn), so buffers fill, are freed and fill again;
  - a UDP session flood on "edge": new flows from never-seen source addresses (udpflows.py
    newflows), 10 s on, 10 s off;
  - a reload storm: every 2 s the config file is rewritten and SIGHUP sent, alternating a valid
    change (the echo target's weight) and an invalid file (which must be rejected, config kept);
  - the witness: one UDP flow and one TCP connection to "edge", one request every 100 ms each;
  - a sampler, every second: /healthz, /metrics (memory budget and use, overload state, drops),
    RSS and open descriptors of the wavelb process.
At the end: SIGTERM, and how long the stop took. The table (per minute) goes to --out (markdown)
and the raw samples beside it (.json).
"""
import argparse, datetime, json, os, re, selectors, signal, socket, subprocess, sys, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FLOWS = os.path.join(ROOT, "benchmarks", "e2e", "udpflows.py")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    for _ in range(200):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no port free for TCP and UDP")


# ------------------------------------------------------------------------------------- targets

def streaming_target(port, stop):
    """Accepts and writes 64 KiB chunks to every connection as fast as the kernel takes them."""
    chunk = b"x" * 65536
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4096)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    while not stop.is_set():
        for key, ev in sel.select(0.2):
            s = key.fileobj
            if s is srv:
                try:
                    c, _ = srv.accept()
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_WRITE | selectors.EVENT_READ)
                except OSError:
                    pass
                continue
            try:
                if ev & selectors.EVENT_READ and not s.recv(65536):
                    raise OSError("eof")
                if ev & selectors.EVENT_WRITE:
                    s.send(chunk)
            except BlockingIOError:
                pass
            except OSError:
                sel.unregister(s)
                s.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()


def echo_target(port, stop):
    """UDP: echoes each datagram (replies 'e|payload' like the tests' EchoServer); TCP: echoes bytes."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    u.bind(("127.0.0.1", port))
    u.setblocking(False)
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(1024)
    t.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(u, selectors.EVENT_READ)
    sel.register(t, selectors.EVENT_READ)
    while not stop.is_set():
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                if s is u:
                    for _ in range(64):
                        d, a = u.recvfrom(2048)
                        u.sendto(d, a)
                elif s is t:
                    c, _ = t.accept()
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ)
                else:
                    d = s.recv(65536)
                    if not d:
                        raise OSError("eof")
                    s.sendall(d)
            except BlockingIOError:
                pass
            except OSError:
                if s not in (u, t):
                    sel.unregister(s)
                    s.close()


# ------------------------------------------------------------------------------------ pressure

def slow_readers(port, n, stop, stats):
    """Holds n connections that never read; closes and replaces 5 % of them every second."""
    conns = []
    def opened():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            stats["slow_connect_errors"] += 1
        return s
    while not stop.is_set() and len(conns) < n:
        for _ in range(min(100, n - len(conns))):
            conns.append(opened())
        stop.wait(0.05)
    stats["slow_open"] = len(conns)
    while not stop.is_set():
        stop.wait(1.0)
        k = max(1, n // 20)
        for i in range(k):
            j = (stats["slow_churned"] + i) % len(conns)
            conns[j].close()
            conns[j] = opened()
        stats["slow_churned"] += k
    for s in conns:
        s.close()


def udp_flood(port, stop, stats):
    start = 1_000_000
    while not stop.is_set():
        p = subprocess.run(["timeout", "-k", "2", "20", sys.executable, FLOWS, "newflows", f"127.0.0.1:{port}",
                            "--seconds", "10", "--start", str(start), "--window", "128", "--timeout", "0.5"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
            start = r["next_start"]
            stats["flood_sent"] += r["sent"]
            stats["flood_replies"] += r["replies"]
        except (ValueError, IndexError, KeyError):
            start += 100_000
        stop.wait(10)


def config(admin, stream_port, edge_port, stream_target, echo_port, weight, budget):
    return f"""admin:
  listen: 127.0.0.1:{admin}
runtime:
  shutdown_grace_period: 10s
{budget}
listeners:
  - name: stream
    protocol: tcp
    listen: 127.0.0.1:{stream_port}
    target_group: streamers
  - name: edge
    protocol: tcp_udp
    listen: 127.0.0.1:{edge_port}
    target_group: echo
    udp:
      idle_timeout: 30s
      max_sessions: 20000
target_groups:
  - name: streamers
    targets:
      - address: 127.0.0.1:{stream_target}
  - name: echo
    targets:
      - address: 127.0.0.1:{echo_port}
        weight: {weight}
"""


def reload_storm(cfg_path, pid, good, stop, stats):
    i = 0
    while not stop.is_set():
        stop.wait(2.0)
        if stop.is_set():
            break
        i += 1
        if i % 2:
            text = good(1 + i % 50)
        else:
            text = ["listeners: [", "listeners:\n  - name: 7\n", "runtime:\n  event_loops: -1\n"][i % 3]
        with open(cfg_path, "w") as f:
            f.write(text)
        try:
            os.kill(pid, signal.SIGHUP)
            stats["reloads_good" if i % 2 else "reloads_bad"] += 1
        except OSError:
            pass


def control(port, stop, stats):
    """One UDP flow and one TCP connection, a request every 100 ms each; 2 s to answer."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(2.0)
    t = None
    n = 0
    while not stop.is_set():
        n += 1
        msg = f"control-{n}".encode()
        stats["udp_asked"] += 1
        try:
            u.sendto(msg, ("127.0.0.1", port))
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                d = u.recv(2048)
                if d.endswith(b"|" + msg) or d == msg:
                    stats["udp_answered"] += 1
                    break
        except OSError:
            pass
        stats["tcp_asked"] += 1
        try:
            if t is None:
                t = socket.create_connection(("127.0.0.1", port), timeout=2.0)
            line = b"%s\n" % msg
            t.sendall(line)
            got = b""
            while len(got) < len(line):
                d = t.recv(len(line) - len(got))
                if not d:
                    raise OSError("closed")
                got += d
            if got == line:
                stats["tcp_answered"] += 1
        except OSError:
            if t is not None:
                t.close()
            t = None
        stop.wait(0.1)
    u.close()
    if t is not None:
        t.close()


# ------------------------------------------------------------------------------------- sampling

WANTED = re.compile(r"^(wavelb_memory\w*|wavelb_overload\w*|wavelb_dropped_total|wavelb_udp_sessions|wavelb_tcp_connections"
                    r"|wavelb_open_sockets\w*|wavelb_sockets\w*|netty_allocator_memory_used\w*|jvm_memory_used_bytes)(\{[^}]*})? (\S+)$")


def scrape(admin):
    out = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=2) as r:
            for line in r.read().decode().splitlines():
                m = WANTED.match(line)
                if m:
                    out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    except Exception as e:  # noqa: BLE001 - a failed scrape is a sample too
        out["scrape_error"] = str(e)
    return out


def healthz(admin):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/healthz", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:  # noqa: BLE001
        return -1


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def total(sample, prefix):
    return sum(v for k, v in sample.items() if k.startswith(prefix) and isinstance(v, float))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, default=600)
    ap.add_argument("--slow", type=int, default=2000)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--java-opts", default="", help="extra JVM flags for wavelb (JAVA_OPTS)")
    ap.add_argument("--budget", default="", help="e.g. 'memory_budget: 256MiB' added under runtime:")
    a = ap.parse_args()

    stop = threading.Event()
    targets_stop = threading.Event()  # the targets outlive the pressure: the after-check needs them
    stream_target, echo_port = free_port(), free_port()
    stream_port, edge_port, admin = free_port(), free_port(), free_port()
    threading.Thread(target=streaming_target, args=(stream_target, targets_stop), daemon=True).start()
    threading.Thread(target=echo_target, args=(echo_port, targets_stop), daemon=True).start()
    budget = ("  " + a.budget) if a.budget else ""
    good = lambda w: config(admin, stream_port, edge_port, stream_target, echo_port, w, budget)  # noqa: E731
    workdir = os.path.join(HERE, "results", "work")
    os.makedirs(workdir, exist_ok=True)
    cfg = os.path.join(workdir, "pressure.yaml")
    with open(cfg, "w") as f:
        f.write(good(100))
    env = dict(os.environ, JAVA_OPTS=a.java_opts)
    wl = open(os.path.join(workdir, "wavelb.log"), "w")
    wavelb = subprocess.Popen([os.path.join(ROOT, "bin", "wavelb"), "run", "--config", cfg], stdout=wl, stderr=subprocess.STDOUT,
                              env=env)
    deadline = time.monotonic() + 120
    while healthz(admin) != 200:
        if wavelb.poll() is not None or time.monotonic() > deadline:
            log("wavelb did not start; see", wl.name)
            sys.exit(1)
        time.sleep(0.5)
    pid = wavelb.pid
    # bin/wavelb execs java, so the pid is the JVM's.
    stats = {k: 0 for k in ["slow_open", "slow_churned", "slow_connect_errors", "flood_sent", "flood_replies", "reloads_good",
                            "reloads_bad", "udp_asked", "udp_answered", "tcp_asked", "tcp_answered"]}
    threads = [threading.Thread(target=f, args=args, daemon=True) for f, args in [
        (slow_readers, (stream_port, a.slow, stop, stats)),
        (udp_flood, (edge_port, stop, stats)),
        (reload_storm, (cfg, pid, good, stop, stats)),
        (control, (edge_port, stop, stats)),
    ]]
    for t in threads:
        t.start()
    samples = []
    t0 = time.monotonic()
    log(f"pressure for {a.secs} s: {a.slow} slow readers, UDP flood, reload storm; wavelb pid {pid}")
    while time.monotonic() - t0 < a.secs and wavelb.poll() is None:
        time.sleep(1.0)
        m = scrape(admin)
        s = {"t": round(time.monotonic() - t0, 1), "healthz": healthz(admin), "rss_mib": rss_mib(pid), "fds": fds(pid),
             "metrics": m, **{k: v for k, v in stats.items()}}
        samples.append(s)
        if len(samples) % 30 == 0:
            log(f"t={s['t']:.0f}s healthz={s['healthz']} rss={s['rss_mib']:.0f}MiB fds={s['fds']} "
                f"udp {stats['udp_answered']}/{stats['udp_asked']} tcp {stats['tcp_answered']}/{stats['tcp_asked']}")
    alive = wavelb.poll() is None
    stop.set()
    time.sleep(2.5)
    # After the pressure: new flows from another client must be admitted again. Sessions the
    # flood opened hold descriptors until they idle out (udp.idle_timeout, shortened under
    # overload), so this retries once a second for up to 90 s and reports how long it took.
    after = {"udp": None, "tcp": None}
    t_end = time.monotonic()
    n = 0
    while time.monotonic() - t_end < 90 and (after["udp"] is None or after["tcp"] is None):
        n += 1
        if after["udp"] is None:
            try:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.bind(("127.0.0.2", 0))
                u.settimeout(1)
                u.sendto(b"after-%d" % n, ("127.0.0.1", edge_port))
                if u.recv(100).endswith(b"after-%d" % n):
                    after["udp"] = round(time.monotonic() - t_end, 1)
            except OSError:
                pass
            finally:
                u.close()
        if after["tcp"] is None:
            try:
                c = socket.create_connection(("127.0.0.1", edge_port), timeout=1)
                c.sendall(b"after\n")
                if c.recv(100) == b"after\n":
                    after["tcp"] = round(time.monotonic() - t_end, 1)
                c.close()
            except OSError:
                pass
        time.sleep(1)
    stop_secs = None
    if alive:
        t1 = time.monotonic()
        wavelb.send_signal(signal.SIGTERM)
        try:
            wavelb.wait(60)
            stop_secs = time.monotonic() - t1
        except subprocess.TimeoutExpired:
            wavelb.kill()
    targets_stop.set()
    write_report(a, samples, stats, alive, after, stop_secs, wavelb.returncode)


def write_report(a, samples, stats, alive, after, stop_secs, rc):
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(os.path.splitext(a.out)[0] + "-raw.json", "w") as f:
        json.dump({"stats": stats, "samples": samples}, f)
    lines = [f"# Sustained pressure, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"`benchmarks/pressure/run.sh --secs {a.secs} --slow {a.slow}"
             + (f" --budget '{a.budget}'" if a.budget else "") + (f" --java-opts '{a.java_opts}'" if a.java_opts else "") + "`",
             "", f"{os.cpu_count()} CPUs; slow readers + UDP session flood + reload storm together; control flows every 100 ms.", "",
             "| minute | control UDP answered | control TCP answered | /healthz not 200 | memory used max (MiB) | budget (MiB) "
             "| RSS max (MiB) | fds max | overload actions on (max) | dropped (overload) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    prev = {"udp_asked": 0, "udp_answered": 0, "tcp_asked": 0, "tcp_answered": 0}
    for minute in range(0, (len(samples) + 59) // 60):
        chunk = samples[minute * 60:(minute + 1) * 60]
        if not chunk:
            break
        last = chunk[-1]
        ua, un = last["udp_asked"] - prev["udp_asked"], last["udp_answered"] - prev["udp_answered"]
        ta, tn = last["tcp_asked"] - prev["tcp_asked"], last["tcp_answered"] - prev["tcp_answered"]
        prev = {k: last[k] for k in prev}
        mem = max(total(s["metrics"], "wavelb_memory_used_bytes") for s in chunk) / 2**20
        budget = max(total(s["metrics"], "wavelb_memory_budget_bytes") for s in chunk) / 2**20
        state = max(total(s["metrics"], "wavelb_overload_active") for s in chunk)
        dropped = max(sum(v for k, v in s["metrics"].items() if k.startswith("wavelb_dropped_total") and "overload" in k)
                      for s in chunk)
        lines.append(f"| {minute + 1} | {un}/{ua} ({100 * un / max(ua, 1):.2f} %) | {tn}/{ta} ({100 * tn / max(ta, 1):.2f} %) "
                     f"| {sum(1 for s in chunk if s['healthz'] != 200)} | {mem:.1f} | {budget:.0f} "
                     f"| {max(s['rss_mib'] for s in chunk):.0f} | {max(s['fds'] for s in chunk)} | {state:.0f} | {dropped:.0f} |")
    ua, un, ta, tn = stats["udp_asked"], stats["udp_answered"], stats["tcp_asked"], stats["tcp_answered"]
    lines += ["", f"- whole run: control UDP {un}/{ua} ({100 * un / max(ua, 1):.2f} %), control TCP {tn}/{ta} "
                  f"({100 * tn / max(ta, 1):.2f} %)",
              f"- slow readers held {stats['slow_open']}, churned {stats['slow_churned']}; UDP flood: {stats['flood_sent']} new flows "
              f"sent, {stats['flood_replies']} answered; reloads: {stats['reloads_good']} valid, {stats['reloads_bad']} invalid",
              f"- process alive at the end: {alive}; a new client admitted after the pressure ended: UDP "
              + (f"after {after['udp']} s" if after["udp"] is not None else "not within 90 s")
              + ", TCP " + (f"after {after['tcp']} s" if after["tcp"] is not None else "not within 90 s"),
              f"- SIGTERM to exit: {'%.1f s' % stop_secs if stop_secs is not None else 'did not stop (killed)'}, exit code {rc}"]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
