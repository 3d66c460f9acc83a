#!/usr/bin/env python3
"""Per-client tracking memory under a flood of distinct spoofed source addresses.

    sudo benchmarks/spoof/run.py [--sources 1000000] [--rate 25000] [--out FILE]

Two network namespaces joined by a veth pair: a client namespace sends one UDP datagram from each
of SOURCES distinct spoofed IPv4 addresses (10.1.0.0 up, raw socket with IP_HDRINCL) to a wavelb
in the balancer namespace, whose target is a sink that never replies (so every admitted session
lives until its idle timeout or until eviction at max_sessions makes room for the next source).
Run twice, side by side: per-client limits off, then on (udp.max_sessions_per_client and
new_flows_per_client). After each flood, wavelb's heap is measured after a full GC (jcmd
GC.heap_info), its class histogram gives the tracking objects (ClientKey: one per entry of the
per-client count table) and its metrics give what it admitted and dropped. The difference in heap
is what per-client tracking costs with that many clients; the bound it must stay under is
max_sessions entries plus the fixed rate-limiter table (config/README.md, new_flows_per_client).

Needs root (namespaces, raw socket), iproute2, a JDK (jcmd) and the wavelb jar (bin/wavelb builds it).
Every wait is bounded; the namespaces and processes are removed on the way out.
"""
import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
B_ADDR, C_ADDR = "10.199.0.1", "10.199.0.2"
PORT, SINK_PORT = 5353, 9000
MAX_SESSIONS = 15_000  # under this machine's descriptor limit (ulimit -Hn: 20000), one socket per session
IDLE = "300s"  # longer than the run: sessions end only by eviction at max_sessions


def sh(*argv, check=True, **kw):
    return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw).stdout


def netns(ns, *argv, **kw):
    return sh("ip", "netns", "exec", ns, *argv, **kw)


def wait_for(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def conf(admin, limits):
    extra = ""
    if limits:
        extra = """    new_flows_per_client:
      rate: 20
      burst: 40
"""
    return f"""runtime:
  event_loops: 2
admin:
  listen: 127.0.0.1:{admin}
listeners:
  - name: edge
    protocol: udp
    listen: {B_ADDR}:{PORT}
    target_group: sink
{extra}    udp:
      idle_timeout: {IDLE}
      max_sessions: {MAX_SESSIONS}
{"      max_sessions_per_client: 8" if limits else ""}
target_groups:
  - name: sink
    targets:
      - address: 127.0.0.1:{SINK_PORT}
"""


def metrics(ns, admin):
    text = netns(ns, "python3", "-c",
                 f"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:{admin}/metrics',timeout=5).read().decode())",
                 check=False)
    out = {}
    for line in text.splitlines():
        m = re.match(r'(wavelb_[a-z_]+)\{([^}]*)\} ([0-9.eE+-]+)$', line)
        if not m:
            continue
        name, labels, value = m.groups()
        reason = re.search(r'reason="([a-z_]+)"', labels)
        direction = re.search(r'direction="([a-z]+)"', labels)
        key = name + (":" + reason.group(1) if reason else "") + (":" + direction.group(1) if direction else "")
        out[key] = out.get(key, 0) + float(value)
    return out


def jcmd(pid, *what):
    jdk = os.environ.get("JAVA_HOME") or sh("bash", "-c", f"source {ROOT}/bin/java-env.sh && echo $WAVELB_JAVA_HOME").strip()
    return sh(os.path.join(jdk, "bin", "jcmd"), str(pid), *what, check=False)


def heap_used_kib(pid):
    jcmd(pid, "GC.run")
    info = jcmd(pid, "GC.heap_info")
    m = re.search(r"used (\d+)K", info)
    return int(m.group(1)) if m else -1


def histogram(pid, classes):
    rows = {}
    for line in jcmd(pid, "GC.class_histogram").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] in classes:
            rows[parts[3]] = (int(parts[1]), int(parts[2]))
    return rows


def flood(ns, sources, rate):
    """Starts the sender in the client namespace; it prints what it sent when done."""
    code = f"""
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
dst = socket.inet_aton("{B_ADDR}")
payload = b"spoof"
udp_len = 8 + len(payload)
base = struct.unpack("!I", socket.inet_aton("10.1.0.0"))[0]
sent = 0
start = time.monotonic()
for i in range({sources}):
    src = struct.pack("!I", base + i)
    # IPv4 header (checksum and id filled by the kernel with IP_HDRINCL), UDP header without checksum.
    pkt = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, src, dst) \\
        + struct.pack("!HHHH", 10000 + (i % 50000), {PORT}, udp_len, 0) + payload
    s.sendto(pkt, ("{B_ADDR}", 0))
    sent += 1
    if sent % 500 == 0:
        ahead = sent / {rate} - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
print(sent, round(time.monotonic() - start, 1))
"""
    return subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c", code], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


KEY = "io.wavelb.core.session.ClientKey"


def run_variant(a, ns_b, ns_c, limits, d):
    admin = 19000 + (1 if limits else 0)  # inside the balancer's own namespace: nothing else binds there
    cfg = os.path.join(d, f"wavelb-{'limits' if limits else 'none'}.yaml")
    with open(cfg, "w") as f:
        f.write(conf(admin, limits))
    log = open(os.path.join(d, f"wavelb-{'limits' if limits else 'none'}.log"), "w")
    env = dict(os.environ, WAVELB_JAR=a.jar)
    p = subprocess.Popen(["ip", "netns", "exec", ns_b, "bash", "-c",
                          f"ulimit -n $(ulimit -Hn) && exec {ROOT}/bin/wavelb run --config {cfg}"],
                         stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        ok = wait_for(lambda: p.poll() is not None or "wavelb_" in " ".join(metrics(ns_b, admin).keys()), 90, 0.5)
        if not ok or p.poll() is not None:
            raise RuntimeError(f"wavelb did not start; see {log.name}")
        # The JVM: the only java child of the launcher (ip netns exec + bash exec into it).
        jpid = int(sh("pgrep", "-n", "-f", f"wavelb.jar run --config {cfg}").strip() or p.pid)
        before = heap_used_kib(jpid)
        sender = flood(ns_c, a.sources, a.rate)
        # Samples while the flood runs (each one a full GC, so the heap figure is live objects):
        # the peak is what counts, sessions churn (eviction at max_sessions) all along.
        samples = []
        deadline = time.monotonic() + a.sources / a.rate * 3 + 60
        while sender.poll() is None and time.monotonic() < deadline:
            time.sleep(a.every)
            hist = histogram(jpid, [KEY])
            m = metrics(ns_b, admin)
            samples.append({"t": len(samples) * a.every, "heap_kib": heap_used_kib(jpid),
                            "client_keys": hist.get(KEY, (0, 0))[0], "client_key_bytes": hist.get(KEY, (0, 0))[1],
                            "sessions_open": m.get("wavelb_udp_sessions", 0),
                            "rss_kib": int(sh("ps", "-o", "rss=", "-p", str(jpid)).strip() or 0)})
        if sender.poll() is None:
            os.killpg(sender.pid, signal.SIGKILL)
        out = (sender.stdout.read() or "0 0").split()
        m = metrics(ns_b, admin)
        return {"sent": int(out[0]), "seconds": float(out[1]), "heap_before_kib": before,
                "peak_heap_kib": max(s["heap_kib"] for s in samples) if samples else -1,
                "peak_client_keys": max(s["client_keys"] for s in samples) if samples else -1,
                "peak_sessions_open": max(s["sessions_open"] for s in samples) if samples else -1,
                "peak_rss_kib": max(s["rss_kib"] for s in samples) if samples else -1,
                "samples": samples, "metrics": {k: v for k, v in m.items() if v and any(
                    s in k for s in ("sessions_opened", "dropped_total", "datagrams_total", "udp_sessions_closed"))}}
    finally:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=25_000, help="datagrams/s the sender paces itself to")
    ap.add_argument("--every", type=float, default=5, help="seconds between samples during the flood")
    ap.add_argument("--jar", default=os.path.join(ROOT, "lb-core", "target", "wavelb.jar"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "latest.json"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run.py: needs root (network namespaces and a raw socket)")
    tag = f"wlbspoof{os.getpid()}"
    ns_b, ns_c = tag + "b", tag + "c"
    d = tempfile.mkdtemp(prefix="wavelb-spoof-")
    sink = None
    try:
        sh("ip", "netns", "add", ns_b)
        sh("ip", "netns", "add", ns_c)
        sh("ip", "link", "add", tag[:10] + "b", "type", "veth", "peer", "name", tag[:10] + "c")
        sh("ip", "link", "set", tag[:10] + "b", "netns", ns_b)
        sh("ip", "link", "set", tag[:10] + "c", "netns", ns_c)
        for ns, dev, addr in ((ns_b, tag[:10] + "b", B_ADDR), (ns_c, tag[:10] + "c", C_ADDR)):
            netns(ns, "ip", "link", "set", "lo", "up")
            netns(ns, "ip", "addr", "add", addr + "/30", "dev", dev)
            netns(ns, "ip", "link", "set", dev, "up")
        # The spoofed sources live behind the client: route them there, and let them in.
        netns(ns_b, "ip", "route", "add", "10.0.0.0/8", "via", C_ADDR)
        for key in ("all", "default", tag[:10] + "b"):
            netns(ns_b, "sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0")
        sink = subprocess.Popen(["ip", "netns", "exec", ns_b, "python3", "-c",
                                 "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                 f"s.bind(('127.0.0.1',{SINK_PORT}))\nwhile True: s.recv(2048)"],
                                start_new_session=True)
        results = {}
        for limits in (False, True):
            results["limits" if limits else "none"] = run_variant(a, ns_b, ns_c, limits, d)
            print(json.dumps({("limits" if limits else "none"): results["limits" if limits else "none"]}, indent=1),
                  flush=True)
        os.makedirs(os.path.dirname(a.out), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump({"sources": a.sources, "rate": a.rate, "max_sessions": MAX_SESSIONS, "results": results}, f, indent=1)
        none, lim = results["none"], results["limits"]
        for name, r in results.items():
            print(f"{name}: sent {r['sent']} in {r['seconds']} s; peak heap (live, after full GC) {r['peak_heap_kib']} KiB "
                  f"(before the flood {r['heap_before_kib']}); peak open sessions {r['peak_sessions_open']:.0f}; "
                  f"peak ClientKey objects {r['peak_client_keys']}; peak RSS {r['peak_rss_kib']} KiB; {r['metrics']}")
        print(f"peak heap difference, limits on - off: {lim['peak_heap_kib'] - none['peak_heap_kib']} KiB")
    finally:
        if sink:
            os.killpg(sink.pid, signal.SIGKILL)
        sh("ip", "netns", "del", ns_b, check=False)
        sh("ip", "netns", "del", ns_c, check=False)


if __name__ == "__main__":
    main()
