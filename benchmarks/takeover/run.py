#!/usr/bin/env python3
"""Restart under live UDP flows: wavelb takeover vs NGINX binary upgrade and reload.

See benchmarks/README.md, "Restart under live UDP flows: takeover vs NGINX". Usage:

  benchmarks/takeover/run.sh [--rounds 3] [--flows 50] [--secs 15] [--restart-at 5]
                             [--only wavelb-takeover,nginx-upgrade,nginx-reload,wavelb-restart] [--out FILE]

Per scenario, all on loopback, fresh ports picked at run time and fresh processes:
  - an echo target (one UDP socket, `run.py target`) that records, for every client flow (the
    flow number is in the payload), each source address:port it saw that flow arrive from;
  - the proxy in front of it (wavelb with one event loop, or NGINX with one worker);
  - N client flows (`run.py client`), each its own connected UDP socket, one selector for all,
    each sending a sequence-numbered datagram every --interval (10 ms) for --secs;
  - at --restart-at s the restart:
      wavelb-takeover  a second `wavelb run --config SAME --takeover` (the old one exits by itself)
      nginx-upgrade    kill -USR2 master; once the new master has a worker: -WINCH, then -QUIT the old one
      nginx-reload     kill -HUP master
      wavelb-restart   SIGTERM, wait for the exit, start again (what users have without takeover)
      wavelb-takeover-rcvbuf / -cold  a takeover with a 4 MiB udp.receive_buffer / without the warm-up
Reported per scenario: datagrams sent / answered / lost, the longest gap between two replies of any
flow, how many flows the target saw from more than one source port (flows that "noticed"), and for
wavelb the takeover time and pause from the new process's log and metrics. Every wait is bounded;
every process started is in its own process group and is killed at the end of its scenario (and on
SIGINT/SIGTERM).
"""
import argparse, ctypes, datetime, json, os, re, selectors, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NGINX = "/usr/sbin/nginx"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
SCENARIOS = ["wavelb-takeover", "nginx-upgrade", "nginx-reload", "wavelb-restart", "wavelb-takeover-rcvbuf",
             "wavelb-takeover-cold"]
RCVBUF = 4 << 20  # wavelb-takeover-rcvbuf: udp.receive_buffer (net.core.rmem_max must allow it)
IDLE = 10  # s: UDP session idle timeout, the same for wavelb (udp.idle_timeout) and NGINX (proxy_timeout)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ========================================================================================= target

def target_main(a):
    """Echo target: one UDP socket; per flow the source addresses seen (count, first, last time)."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    try:
        u.bind(("127.0.0.1", a.port))
    except OSError as e:
        print(f"bind: {e}", flush=True)
        sys.exit(3)
    u.setblocking(False)
    print("ready", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(u, selectors.EVENT_READ)
    send_failed = [0]
    flows = {}  # flow key -> {"ip:port": [count, first, last]}
    deadline = time.monotonic() + a.max_secs
    while not stop and time.monotonic() < deadline:
        if not sel.select(0.2):
            continue
        now = time.monotonic()
        for _ in range(256):
            try:
                d, src = u.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            try:
                u.sendto(d, src)
            except OSError:
                send_failed[0] += 1
            key = d.split(b" ", 1)[0].decode(errors="replace")
            if key != "probe" and not re.fullmatch(r"f\d+", key):
                # Not a client flow's datagram (nor a health probe): kept apart, the first few whole.
                bad = flows.setdefault("_unexpected", [])
                if len(bad) < 20:
                    bad.append({"from": f"{src[0]}:{src[1]}", "len": len(d), "head": d[:64].hex()})
                continue
            seen = flows.setdefault(key, {})
            s = f"{src[0]}:{src[1]}"
            e = seen.get(s)
            if e is None:
                seen[s] = [1, now, now]
            else:
                e[0] += 1
                e[2] = now
    flows["_send_failed"] = send_failed[0]
    with open(a.out, "w") as f:
        json.dump(flows, f)


# ========================================================================================= client

def client_main(a):
    """N connected UDP flows, one selector, a sequence-numbered datagram per flow every interval."""
    host, port = a.to.rsplit(":", 1)
    n, ticks = a.flows, int(round(a.secs / a.interval))
    socks = []
    sel = selectors.DefaultSelector()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.connect((host, int(port)))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    pad = b"." * max(0, a.size - 24)
    got = [bytearray(ticks) for _ in range(n)]
    sent = [0] * n
    answered = [0] * n
    dup = 0
    refused = 0
    late_ticks = 0
    max_gap = [0.0] * n
    gap_at = [0.0] * n
    t0 = time.monotonic()
    last = [t0] * n
    print(json.dumps({"t0": t0}), flush=True)  # the orchestrator schedules the restart from this
    seq = 0
    nxt = t0
    end = t0 + ticks * a.interval + a.drain
    while True:
        now = time.monotonic()
        if seq < ticks and now >= nxt:
            if now - nxt > 0.005:
                late_ticks += 1
            for i, s in enumerate(socks):
                try:
                    s.send(b"f%d %d %s" % (i, seq, pad))
                except ConnectionRefusedError:
                    refused += 1  # ICMP port unreachable of an earlier datagram (nothing listening)
                except OSError:
                    pass
                sent[i] += 1  # an attempt: lost if not answered
            seq += 1
            nxt = t0 + seq * a.interval
        if seq >= ticks and now >= end:
            break
        timeout = max(0.0, (nxt if seq < ticks else end) - time.monotonic())
        for key, _ in sel.select(timeout):
            i, s = key.data, key.fileobj
            for _ in range(64):
                try:
                    d = s.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionRefusedError:
                    refused += 1
                    continue
                except OSError:
                    break
                t = time.monotonic()
                try:
                    q = int(d.split(b" ", 2)[1])
                except (IndexError, ValueError):
                    continue
                if not 0 <= q < ticks:
                    continue
                if got[i][q]:
                    dup += 1
                    continue
                got[i][q] = 1
                answered[i] += 1
                g = t - last[i]
                if g > max_gap[i]:
                    max_gap[i], gap_at[i] = g, last[i]
                last[i] = t
    t_end_send = t0 + (ticks - 1) * a.interval
    for i in range(n):  # a flow whose replies stopped: the gap runs to its last datagram sent
        g = t_end_send - last[i]
        if g > max_gap[i]:
            max_gap[i], gap_at[i] = g, last[i]
    lost_at = [t0 + q * a.interval for i in range(n) for q in range(ticks) if not got[i][q]]
    runs = []  # per flow: runs of consecutive lost sequence numbers [flow, first, last]
    for i in range(n):
        q = 0
        while q < ticks and len(runs) < 2000:
            if not got[i][q]:
                r0 = q
                while q < ticks and not got[i][q]:
                    q += 1
                runs.append([i, r0, q - 1])
            q += 1
    hist = {}
    for t in lost_at:  # lost datagrams per 100 ms of send time since t0
        b = int((t - t0) * 10)
        hist[b] = hist.get(b, 0) + 1
    print(json.dumps({
        "t0": t0, "flows": n, "ticks": ticks, "sent": sum(sent), "answered": sum(answered), "dup": dup,
        "refused": refused, "late_ticks": late_ticks,
        "max_gap": max_gap, "gap_at": gap_at, "answered_per_flow": answered,
        "lost_first": min(lost_at) if lost_at else None, "lost_last": max(lost_at) if lost_at else None,
        "flows_with_loss": sum(1 for i in range(n) if answered[i] < sent[i]),
        "lost_per_100ms": sorted(hist.items()), "lost_runs": runs,
    }), flush=True)


# =================================================================================== processes

class Procs:
    """Every process started, each in its own process group; killed by group at the end."""

    def __init__(self):
        self.procs = []
        self.groups = []  # process groups not led by a Popen (NGINX's daemon calls setsid)

    def start(self, argv, logfile=None, **kw):
        out = open(logfile, "w") if logfile else subprocess.DEVNULL
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=subprocess.STDOUT if logfile else subprocess.DEVNULL,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def stop_all(self, grace=5.0):
        groups = [p.pid for p in self.procs] + self.groups
        for g in groups:
            group_signal(g, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for g in groups:
            while time.monotonic() < deadline and group_members(g):
                time.sleep(0.05)
                reap_orphans(self.procs)
            if group_members(g):
                group_signal(g, signal.SIGKILL)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        t = time.monotonic() + 5
        while time.monotonic() < t and any(group_members(g) for g in groups):
            time.sleep(0.05)
            reap_orphans(self.procs)
        reap_orphans(self.procs)
        left = [(g, group_members(g)) for g in groups if group_members(g)]
        self.procs, self.groups = [], []
        return left


def group_signal(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def proc_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "pgrp": int(rest[2])}


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st["state"] not in ("Z", "X")


def group_members(pgid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st["pgrp"] == pgid and st["state"] not in ("Z", "X"):
                out.append(int(d))
    return out


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st["ppid"] == pid and st["state"] not in ("Z", "X"):
                out.append(int(d))
    return out


def reap_orphans(procs):
    """Reaps zombies reparented to us (we are a subreaper), leaving our Popen children to Popen."""
    ours = {p.pid for p in procs}
    for d in os.listdir("/proc"):
        if d.isdigit():
            pid = int(d)
            st = proc_stat(pid)
            if st and st["ppid"] == os.getpid() and st["state"] == "Z" and pid not in ours:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass


def set_subreaper():
    """NGINX's upgraded master is a child of the old one; when that exits, it becomes ours to reap."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def free_port(taken):
    for _ in range(200):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port))
            if port not in taken:
                taken.add(port)
                return port
        except OSError:
            pass
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def wait_for(cond, secs, step=0.05):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return None


def udp_probe(port, secs=20.0):
    """A datagram through the proxy and back (flow key 'probe'); True once answered."""
    deadline = time.monotonic() + secs
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.3)
    try:
        while time.monotonic() < deadline:
            try:
                s.sendto(b"probe 0", ("127.0.0.1", port))
                if s.recv(100).startswith(b"probe"):
                    return True
            except OSError:
                time.sleep(0.1)
        return False
    finally:
        s.close()


def http_get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except Exception:  # noqa: BLE001 - not up (yet)
        return -1, ""


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ===================================================================================== proxies

def wavelb_conf(d, admin, port, target, loops, rcvbuf=0, warm_up=None):
    return f"""# generated by benchmarks/takeover/run.py
admin:
  listen: 127.0.0.1:{admin}
runtime:
  state_dir: {d}/state
  shutdown_grace_period: 5s
  event_loops: {loops}
{f"  warm_up: {warm_up}" if warm_up else ""}
listeners:
  - name: media
    protocol: udp
    listen: 127.0.0.1:{port}
    target_group: echo
    udp:
      idle_timeout: {IDLE}s
{f"      receive_buffer: {rcvbuf}" if rcvbuf else ""}
target_groups:
  - name: echo
    targets:
      - address: 127.0.0.1:{target}
"""


def nginx_conf(d, port, target):
    # The notes' fair config (benchmarks/e2e/run.py): one worker, reuseport, hash on the client.
    return f"""# generated by benchmarks/takeover/run.py
load_module {STREAM_MODULE};
worker_processes 1;
worker_rlimit_nofile 20000;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log notice;
events {{ worker_connections 4096; }}
stream {{
  upstream echo {{ hash $remote_addr$remote_port consistent; server 127.0.0.1:{target}; }}
  server {{ listen 127.0.0.1:{port} udp reuseport; proxy_pass echo; proxy_timeout {IDLE}s; }}
}}
"""


class Wavelb:
    def __init__(self, a, procs, d, admin, port, target, rcvbuf=0, warm_up=None):
        self.a, self.procs, self.d, self.admin, self.port = a, procs, d, admin, port
        self.cfg = os.path.join(d, "wavelb.yaml")
        with open(self.cfg, "w") as f:
            f.write(wavelb_conf(d, admin, port, target, a.wavelb_loops, rcvbuf, warm_up))
        self.n = 0
        self.env = dict(os.environ, WAVELB_JAR=a.jar)

    def launch(self, *extra):
        self.n += 1
        logf = os.path.join(self.d, f"wavelb-{self.n}.log")
        p = self.procs.start([os.path.join(ROOT, "bin", "wavelb"), "run", "--config", self.cfg, *extra], logf, env=self.env)
        return p, logf

    def start(self):
        p, logf = self.launch()
        ok = wait_for(lambda: p.poll() is not None or http_get(f"http://127.0.0.1:{self.admin}/healthz")[0] == 200, 60, 0.2)
        if not ok or p.poll() is not None:
            return None, logf
        if not udp_probe(self.port):
            return None, logf
        self.p, self.logf = p, logf
        return p, logf


class Nginx:
    def __init__(self, a, procs, d, port, target):
        self.procs, self.d, self.port = procs, d, port
        self.cfg = os.path.join(d, "nginx.conf")
        with open(self.cfg, "w") as f:
            f.write(nginx_conf(d, port, target))
        self.pidfile = os.path.join(d, "nginx.pid")

    def start(self):
        # As a daemon (the default): with `daemon off` the master's parent never changes, and NGINX
        # then ignores USR2 ("the changing binary signal is ignored"). An absolute argv[0]: the
        # binary upgrade re-executes it. The daemon calls setsid; its group is registered for cleanup
        # (the upgraded master, forked from it, stays in that group), and it is reparented to us.
        launcher = self.procs.start([NGINX, "-p", self.d + "/", "-c", self.cfg], os.path.join(self.d, "nginx.out"))
        try:
            launcher.wait(10)
        except subprocess.TimeoutExpired:
            return None
        m = wait_for(lambda: (m := self.master()) and alive(m) and m, 5)
        if not m:
            return None
        self.procs.groups.append(m)
        self.pid = m
        if not wait_for(lambda: children(m), 5) or not udp_probe(self.port):
            return None
        return m

    def master(self):
        try:
            return int(read(self.pidfile).strip())
        except ValueError:
            return None


# ==================================================================================== scenarios

def run_scenario(a, name, work, rnd):
    for attempt in range(3):  # ports are picked free now; another process may take one meanwhile
        res = try_scenario(a, name, work, rnd, attempt)
        if res is not None:
            return res
        log(f"  {name}: could not start (a port taken?); retrying with new ports")
    raise RuntimeError(f"{name}: did not start in 3 attempts; see {work}")


def try_scenario(a, name, work, rnd, attempt):
    d = os.path.join(work, f"r{rnd}-{name}-{attempt}")
    os.makedirs(d)
    procs = Procs()
    taken = set()
    target, port, admin = free_port(taken), free_port(taken), free_port(taken)
    res = {"scenario": name, "round": rnd, "events": {}}
    snmp0 = udp_snmp()
    try:
        tout = os.path.join(d, "target.json")
        tp = procs.start([sys.executable, __file__, "target", "--port", str(target), "--out", tout,
                          "--max-secs", str(a.secs + 60)], stdout=subprocess.PIPE, text=True)
        if tp.stdout.readline().strip() != "ready":
            return None
        if name.startswith("wavelb"):
            px = Wavelb(a, procs, d, admin, port, target, RCVBUF if name.endswith("-rcvbuf") else 0,
                        "0s" if name.endswith("-cold") else None)
            old, old_log = px.start()
        else:
            px = Nginx(a, procs, d, port, target)
            old, old_log = px.start(), os.path.join(d, "nginx-error.log")
        if old is None:
            log(read(old_log)[-2000:])
            return None
        cl = procs.start([sys.executable, __file__, "client", "--to", f"127.0.0.1:{port}", "--flows", str(a.flows),
                          "--secs", str(a.secs), "--interval", str(a.interval), "--size", str(a.size)],
                         stdout=subprocess.PIPE, text=True)
        t0 = json.loads(cl.stdout.readline())["t0"]
        drops = SocketDrops(port, target)
        poller = MetricsPoller(admin) if name.startswith("wavelb") else None
        time.sleep(max(0.0, t0 + a.restart_at - time.monotonic()))
        ev = res["events"]
        ev["restart"] = time.monotonic() - t0
        if name.startswith("wavelb-takeover"):
            new, new_log = px.launch("--takeover")
            done = wait_for(lambda: new.poll() is not None or "takeover: complete in" in read(new_log), 30, 0.02)
            ev["new_ready"] = time.monotonic() - t0 if done and new.poll() is None else None
            try:
                old.wait(max(1.0, a.secs - a.restart_at + 8))
                ev["old_exit"] = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                ev["old_exit"] = None
            ev["old_rc"] = old.poll()
        elif name == "wavelb-restart":
            old.send_signal(signal.SIGTERM)
            try:
                old.wait(15)
                ev["old_exit"] = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                ev["old_exit"] = None
            ev["old_rc"] = old.poll()
            new, new_log = px.start()
            ev["new_ready"] = time.monotonic() - t0 if new is not None else None
        elif name == "nginx-reload":
            workers = set(children(old))
            os.kill(old, signal.SIGHUP)
            got = wait_for(lambda: set(children(old)) - workers, 10, 0.01)
            ev["new_ready"] = time.monotonic() - t0 if got else None
            ev["old_workers_gone"] = None
            if wait_for(lambda: not any(alive(w) for w in workers), a.secs - a.restart_at + 1, 0.05):
                ev["old_workers_gone"] = time.monotonic() - t0
        elif name == "nginx-upgrade":
            os.kill(old, signal.SIGUSR2)
            newm = wait_for(lambda: (m := px.master()) not in (None, old) and children(m) and m, 10, 0.01)
            ev["new_ready"] = time.monotonic() - t0 if newm else None
            res["nginx_new_master"] = newm
            if newm:
                os.kill(old, signal.SIGWINCH)
                time.sleep(0.2)
                os.kill(old, signal.SIGQUIT)
                ev["old_quit_sent"] = time.monotonic() - t0
                ev["old_exit"] = None
                if wait_for(lambda: not alive(old), max(1.0, a.secs - a.restart_at), 0.05):
                    ev["old_exit"] = time.monotonic() - t0
        try:
            out = cl.communicate(timeout=a.secs + 30)[0]
            res["client"] = json.loads(out.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
            raise RuntimeError(f"{name}: client failed: {e}")
        res["socket_drops"] = drops.result()
        res["wavelb_drops"] = poller.result() if poller else {}
        if name.startswith("wavelb"):
            res["metrics"] = wavelb_metrics(admin)
            res["new_log"] = [l for l in read(new_log).splitlines() if "takeover" in l or "WARN" in l or "ERROR" in l
                              or "Exception" in l][:40]
            res["old_log"] = [l for l in read(old_log).splitlines() if "takeover" in l or "WARN" in l or "ERROR" in l
                              or "Exception" in l][:40]
            m = re.search(r"takeover: complete in (\d+) ms \((\d+) ms of it for the admin", read(new_log))
            if m:
                res["takeover_ms"], res["takeover_admin_ms"] = int(m.group(1)), int(m.group(2))
        else:
            res["nginx_log"] = [l for l in read(os.path.join(d, "nginx-error.log")).splitlines()
                                if "[alert]" in l or "[emerg]" in l or "[crit]" in l or "[error]" in l][:20]
        tp.send_signal(signal.SIGTERM)
        try:
            tp.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            with open(tout) as f:
                flows = json.load(f)
        except (OSError, ValueError):
            flows = {}
        flows.pop("probe", None)
        res["target_send_failed"] = flows.pop("_send_failed", None)
        res["unexpected"] = flows.pop("_unexpected", [])
        if res["unexpected"]:
            log(f"  WARNING: the target got {len(res['unexpected'])} datagram(s) that are no flow's: {res['unexpected'][:3]}")
        res["udp_snmp"] = {k: udp_snmp().get(k, 0) - v for k, v in snmp0.items()}
        res["target"] = {k: v for k, v in flows.items()}
        res["noticed"] = sorted((k for k, v in flows.items() if len(v) > 1), key=lambda k: int(k[1:]))
        res["flows_seen"] = len(flows)
        return res
    finally:
        left = procs.stop_all()
        if left:
            log(f"  WARNING: still running after cleanup: {left}")


class MetricsPoller:
    """wavelb's drop counters every 250 ms from whichever process holds the admin port; the last
    sample of the process taken over (its admin endpoint closes at the handover) and of the new one."""

    def __init__(self, admin):
        self.admin, self.last = admin, {"old": {}, "new": {}}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.wait(0.25):
            m = wavelb_metrics(self.admin, timeout=0.5)
            if m:
                new = m.get('wavelb_takeovers_total{result="completed",role="new"}', 0) > 0
                self.last["new" if new else "old"] = {k: v for k, v in m.items() if "dropped" in k and v}

    def result(self):
        self.stop.set()
        self.thread.join(2)
        return self.last


class SocketDrops:
    """Datagrams the kernel dropped per socket (/proc/net/udp "drops": a full receive queue), sampled
    every 50 ms while the flows run (a socket's count is gone once it closes): the proxy's listener,
    its upstream sockets, the clients', the target's."""

    def __init__(self, port, target):
        self.port, self.target = port, target
        self.seen = {}  # inode -> (kind, drops)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self):
        # udp6 too: wavelb's (Netty's) sockets are dual-stack IPv6 ones, even for 127.0.0.1
        for line in read("/proc/net/udp").splitlines()[1:] + read("/proc/net/udp6").splitlines()[1:]:
            f = line.split()
            try:
                lport, rport, inode, drops = int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16), f[9], int(f[12])
            except (IndexError, ValueError):
                continue
            kind = ("listener" if lport == self.port else "target" if lport == self.target
                    else "upstream" if rport == self.target else "clients" if rport == self.port else None)
            if kind and drops >= self.seen.get(inode, (kind, 0))[1]:
                self.seen[inode] = (kind, drops)

    def run(self):
        while not self.stop.wait(0.05):
            self.sample()

    def result(self):
        self.stop.set()
        self.thread.join(2)
        self.sample()
        out = {"listener": 0, "upstream": 0, "clients": 0, "target": 0}
        for kind, drops in self.seen.values():
            out[kind] += drops
        return out


def udp_snmp():
    """The kernel's UDP counters (whole machine: other processes count too)."""
    lines = [l.split() for l in read("/proc/net/snmp").splitlines() if l.startswith("Udp:")]
    if len(lines) < 2:
        return {}
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def wavelb_metrics(admin, timeout=2.0):
    code, text = http_get(f"http://127.0.0.1:{admin}/metrics", timeout)
    out = {}
    for line in text.splitlines():
        if line.startswith(("wavelb_takeover", "wavelb_udp_sessions", "wavelb_dropped_total")):
            k, _, v = line.rpartition(" ")
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


# ====================================================================================== report

def summarize(r):
    c = r["client"]
    restart = r["events"]["restart"]
    m = r.get("metrics", {})
    pause = next((v for k, v in m.items() if k.startswith("wavelb_takeover_pause_seconds") and 'role="new"' in k), None)
    taken = next((v for k, v in m.items() if k.startswith("wavelb_takeover_sessions_total") and 'role="new"' in k), None)
    adopted = sum(v for k, v in m.items() if k.startswith("wavelb_udp_sessions_adopted_total"))
    lost = c["sent"] - c["answered"]
    # lost datagrams sent from the restart on (the rest: a fresh process's first moments)
    lost_after = sum(k for b, k in c["lost_per_100ms"] if (b + 1) / 10 > restart)
    s = {
        "lost_after": lost_after, "lost_before": lost - lost_after,
        "sent": c["sent"], "answered": c["answered"], "lost": lost, "loss_pct": 100.0 * lost / max(1, c["sent"]),
        "max_gap_ms": 1000 * max(c["max_gap"]), "median_flow_gap_ms": 1000 * statistics.median(c["max_gap"]),
        "noticed": len(r["noticed"]), "flows": c["flows"], "flows_seen": r["flows_seen"],
        "flows_with_loss": c["flows_with_loss"], "refused": c["refused"], "late_ticks": c["late_ticks"],
        "new_ready_s": (r["events"].get("new_ready") - restart) if r["events"].get("new_ready") is not None else None,
        "old_exit_s": (r["events"].get("old_exit") - restart) if r["events"].get("old_exit") is not None else None,
        "old_rc": r["events"].get("old_rc"),
        "loss_window_ms": None if c["lost_first"] is None else
        (1000 * (c["lost_first"] - c["t0"] - restart), 1000 * (c["lost_last"] - c["t0"] - restart)),
        "takeover_ms": r.get("takeover_ms"), "pause_ms": None if pause is None else 1000 * pause,
        "sessions_taken": taken, "adopted": adopted if m else None,
        "wl_drops": {side: {re.sub(r'.*reason="([^"]+)".*', r"\1", k): v for k, v in d.items()}
                     for side, d in r.get("wavelb_drops", {}).items()},
        "drops": r.get("socket_drops", {}), "rcvbuf_errors": r.get("udp_snmp", {}).get("RcvbufErrors"),
    }
    return s


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0):
    if x is None:
        return "—"
    if isinstance(x, float) and nd:
        return f"{x:,.{nd}f}"
    return f"{round(x):,}"


LABEL = {"wavelb-takeover": "wavelb takeover (`--takeover`)", "nginx-upgrade": "NGINX binary upgrade (USR2, WINCH, QUIT)",
         "nginx-reload": "NGINX reload (HUP)", "wavelb-restart": "wavelb plain restart (SIGTERM, start)",
         "wavelb-takeover-rcvbuf": f"wavelb takeover, `udp.receive_buffer: {RCVBUF}`",
         "wavelb-takeover-cold": "wavelb takeover, `runtime.warm_up: 0s` (no warm-up)"}


def machine_facts():
    def sh(cmd):
        try:
            p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30,
                               cwd=ROOT)
            return p.stdout.strip()
        except subprocess.TimeoutExpired:
            return "?"
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    return {"nproc": sh("nproc"), "cpu": cpu, "kernel": sh("uname -r"), "nginx": sh(f"{NGINX} -v"),
            "java": sh("source bin/java-env.sh; $WAVELB_JAVA_HOME/bin/java -version 2>&1 | head -1"),
            "commit": sh("git rev-parse --short HEAD"), "loadavg": sh("cut -d' ' -f1-3 /proc/loadavg")}


def report(a, results, facts, cmdline, started):
    by = {n: [summarize(r) for r in results if r["scenario"] == n] for n in a.only}
    date = started.strftime("%Y-%m-%d")
    L = [f"# Restart under live UDP flows: takeover vs NGINX, {started:%Y-%m-%d %H:%M} UTC", "",
         "```", cmdline, "```", "",
         f"{facts['nproc']} vCPU ({facts['cpu']}), kernel {facts['kernel']}, {facts['nginx']}, {facts['java']}; "
         f"wavelb at {facts['commit']} (`{a.jar}`, event_loops {a.wavelb_loops}), NGINX `worker_processes 1`; "
         f"load average {facts['loadavg']} before, {facts['loadavg_after']} after. Not pinned to CPUs (this measures "
         f"disruption, not speed); the machine is shared.", "",
         f"Per scenario: {a.flows} client flows (each its own connected UDP socket), one {a.size} B datagram per flow every "
         f"{a.interval * 1000:g} ms for {a.secs:g} s ({a.flows * int(round(a.secs / a.interval)):,} datagrams), the restart at "
         f"{a.restart_at:g} s; one echo target recording each flow's source address:port. Rounds: {a.rounds}, scenarios "
         f"interleaved (order reversed every other round). Medians of the rounds; every run below.", "",
         "| scenario | sent | answered | lost | of them sent after the restart | lost % | longest reply gap, any flow (ms) "
         "| flows that noticed (> 1 source port at the target) | restart done after (s) | takeover complete (ms, log) "
         "| pause (ms, metric) | dropped by the listener socket's queue |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in a.only:
        ss = by[n]
        if not ss:
            continue
        L.append(f"| {LABEL[n]} | {fmt(med([s['sent'] for s in ss]))} | {fmt(med([s['answered'] for s in ss]))} "
                 f"| {fmt(med([s['lost'] for s in ss]))} | {fmt(med([s['lost_after'] for s in ss]))} "
                 f"| {fmt(med([s['loss_pct'] for s in ss]), 2)} "
                 f"| {fmt(med([s['max_gap_ms'] for s in ss]))} | {fmt(med([s['noticed'] for s in ss]))} of {a.flows} "
                 f"| {fmt(med([s['new_ready_s'] for s in ss]), 2)} | {fmt(med([s['takeover_ms'] for s in ss]))} "
                 f"| {fmt(med([s['pause_ms'] for s in ss]), 1)} | {fmt(med([s['drops'].get('listener') for s in ss]))} |")
    L += ["", "\"restart done after\": from the restart's first step to: the new process's `takeover: complete` log line "
          "(takeover); the new master having its worker (upgrade); a new worker (reload); the new process answering "
          "(plain restart).", "", "## Every run", "",
          "| scenario | round | sent | answered | lost (before / after the restart) | flows with loss | loss window (ms from the restart) | longest gap (ms) "
          "| median flow's longest gap (ms) | noticed | ICMP refused | restart done (s) | old process exit (s, code) "
          "| takeover (ms) | pause (ms) | sessions taken / adopted | kernel drops: listener / upstream / clients / target "
          "| machine RcvbufErrors | wavelb's own drops, old / new process | client late ticks |",
          "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---|---|---:|---|---:|"]
    for r in results:
        s = summarize(r)
        lw = "—" if s["loss_window_ms"] is None else f"{s['loss_window_ms'][0]:.0f} .. {s['loss_window_ms'][1]:.0f}"
        oe = "—" if s["old_exit_s"] is None else f"{s['old_exit_s']:.2f}" + ("" if s["old_rc"] is None else f" ({s['old_rc']})")
        wl = "—" if not r["scenario"].startswith("wavelb") else " / ".join(
            ", ".join(f"{k} {v:.0f}" for k, v in s["wl_drops"].get(side, {}).items()) or "0" for side in ("old", "new"))
        tk = "—" if s["sessions_taken"] is None else f"{s['sessions_taken']:.0f} / {s['adopted']:.0f}"
        L.append(f"| {r['scenario']} | {r['round']} | {s['sent']:,} | {s['answered']:,} "
                 f"| {s['lost']:,} ({s['lost_before']:,} / {s['lost_after']:,}) | {s['flows_with_loss']} "
                 f"| {lw} | {s['max_gap_ms']:.0f} | {s['median_flow_gap_ms']:.0f} | {s['noticed']} | {s['refused']} "
                 f"| {fmt(s['new_ready_s'], 2)} | {oe} | {fmt(s['takeover_ms'])} | {fmt(s['pause_ms'], 1)} | {tk} "
                 f"| {' / '.join(str(s['drops'].get(k, '?')) for k in ('listener', 'upstream', 'clients', 'target'))} "
                 f"| {fmt(s['rcvbuf_errors'])} | {wl} | {s['late_ticks']} |")
    L += ["", "Columns: *loss window* is the send times of the first and last datagram lost, relative to the restart; "
          "*ICMP refused* counts `ECONNREFUSED` on the clients' sockets (a datagram reached a port nobody listened on); "
          "*kernel drops* are the `drops` column of `/proc/net/udp{,6}` (a full receive queue), sampled every 50 ms per "
          "socket while the flows ran (the listener socket is the same one before and after a takeover or an NGINX restart), *machine "
          "RcvbufErrors* the growth of that counter in `/proc/net/snmp` during the scenario (whole machine); "
          "*wavelb's own drops* are `wavelb_dropped_total` by reason, polled every 250 ms from the admin endpoint "
          "(the old process's last sample before it closed its endpoint; for a plain restart the first process is "
          "\"old\"); `client_busy` is a reply dropped because the listener socket's outbound queue was over "
          "Netty's high-water mark; "
          "*client late ticks* counts 10 ms ticks the client sent more than 5 ms late (client starved of CPU). "
          "The NGINX old master exits only once its old worker's sessions idle out "
          f"(`proxy_timeout {IDLE}s`), so \"old process exit\" is often past the end of the flows (—)."]
    odd = []
    for r in results:
        s = summarize(r)
        if r["scenario"].startswith("wavelb-takeover") and (s["lost_after"] or s["noticed"] or s["old_rc"] not in (0,)):
            odd.append(f"- {r['scenario']}, round {r['round']}: lost {s['lost']}, noticed {s['noticed']} ({', '.join(r['noticed'][:10])}), "
                       f"old exit code {s['old_rc']}")
            rs = r["events"]["restart"]
            odd.append("  - lost per 100 ms of send time (s from the restart: count): " + ", ".join(
                f"{b / 10 - rs:+.1f}: {k}" for b, k in r["client"]["lost_per_100ms"]) + f"; listener socket queue drops "
                f"{s['drops'].get('listener')}; the new process read again {fmt(s['new_ready_s'], 2)} s after the restart "
                f"minus the admin wait ({r.get('takeover_admin_ms')} ms)")
            for k in r["noticed"][:5]:
                odd.append(f"  - {k}: " + ", ".join(f"{src} x{v[0]}" for src, v in r["target"][k].items()))
            odd += ["  - new: `" + l + "`" for l in r.get("new_log", [])[:12]]
            odd += ["  - old: `" + l + "`" for l in r.get("old_log", [])[:12]]
    if odd:
        L += ["", "## wavelb takeover runs that lost datagrams or moved a flow", ""] + odd
    stray = [r for r in results if r.get("unexpected")]
    if stray:
        # A datagram no client sent whole: a cut or corrupted one (how the UDP_SEGMENT bug of 2026-12-05 showed).
        L += ["", "## Datagrams at the target that are no client flow's", ""] + [
            f"- {r['scenario']}, round {r['round']}: {len(r['unexpected'])} (first 20 kept), e.g. {r['unexpected'][:3]}"
            for r in stray]
    L += ["", "## Reading", "", "(written by hand after the run; see benchmarks/README.md)"]
    text = "\n".join(L) + "\n"
    return text, date


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd")
    t = sub.add_parser("target")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--max-secs", type=float, default=120)
    c = sub.add_parser("client")
    c.add_argument("--to", required=True)
    c.add_argument("--flows", type=int, default=50)
    c.add_argument("--secs", type=float, default=15)
    c.add_argument("--interval", type=float, default=0.01)
    c.add_argument("--size", type=int, default=100)
    c.add_argument("--drain", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--flows", type=int, default=50)
    ap.add_argument("--secs", type=float, default=15)
    ap.add_argument("--restart-at", type=float, default=5)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--only", default=",".join(SCENARIOS))
    ap.add_argument("--wavelb-loops", type=int, default=1)
    ap.add_argument("--jar", default=os.environ.get("WAVELB_JAR", os.path.join(ROOT, "lb-core", "target", "wavelb.jar")))
    ap.add_argument("--out", default=None, help="markdown file (default results/DATE-takeover-vs-nginx.md + latest.md)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (configs, logs)")
    a = ap.parse_args()
    if a.cmd == "target":
        return target_main(a)
    if a.cmd == "client":
        return client_main(a)

    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    for s in a.only:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s}; known: {', '.join(SCENARIOS)}")
    if not os.path.isfile(a.jar):
        ap.error(f"no wavelb jar at {a.jar} (set WAVELB_JAR or --jar)")
    if any(s.startswith("nginx") for s in a.only) and not (os.path.exists(NGINX) and os.path.exists(STREAM_MODULE)):
        ap.error("NGINX with the stream module is needed (benchmarks/e2e/install.sh)")
    if a.secs > 40 or a.restart_at >= a.secs:
        ap.error("--secs at most 40 and --restart-at below it")
    cmdline = ((f"WAVELB_JAR={os.environ['WAVELB_JAR']} " if os.environ.get("WAVELB_JAR") else "")
               + "benchmarks/takeover/run.sh " + " ".join(sys.argv[1:]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    set_subreaper()
    started = datetime.datetime.now(datetime.timezone.utc)
    facts = machine_facts()
    work = tempfile.mkdtemp(prefix="wavelb-takeover-bench-")
    results = []
    try:
        for rnd in range(1, a.rounds + 1):
            order = a.only if rnd % 2 else list(reversed(a.only))
            for name in order:
                log(f"round {rnd}: {name}")
                r = run_scenario(a, name, work, rnd)
                s = summarize(r)
                log(f"  sent {s['sent']} answered {s['answered']} lost {s['lost']} max gap {s['max_gap_ms']:.0f} ms "
                    f"noticed {s['noticed']}/{a.flows} takeover {s['takeover_ms']} ms pause {fmt(s['pause_ms'], 1)} ms")
                results.append(r)
    finally:
        if not a.keep:
            subprocess.run(["rm", "-rf", work])
        else:
            log(f"work directory kept: {work}")
    facts["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    facts["loadavg_after"] = " ".join(facts["loadavg_after"])
    text, date = report(a, results, facts, cmdline, started)
    outs = [a.out] if a.out else [os.path.join(HERE, "results", f"{date}-takeover-vs-nginx.md"),
                                  os.path.join(HERE, "results", "latest.md")]
    for o in outs:
        os.makedirs(os.path.dirname(os.path.abspath(o)), exist_ok=True)
        with open(o, "w") as f:
            f.write(text)
    with open(os.path.splitext(outs[0])[0] + "-raw.json", "w") as f:
        json.dump({"facts": facts, "cmdline": cmdline, "results": results}, f)
    print(text)
    log("wrote " + ", ".join(outs))


if __name__ == "__main__":
    main()
