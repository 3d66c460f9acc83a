#!/usr/bin/env python3
"""End-to-end benchmark: wavelb vs NGINX (stream) vs HAProxy vs no proxy, on loopback.

See benchmarks/README.md, "End-to-end (vs NGINX and HAProxy)". Usage:

  benchmarks/e2e/run.sh [--quick] [--rounds N] [--out FILE] [--only none,nginx,haproxy,wavelb]

The proxy runs on CPU 1 (taskset -c 1), load generators and backends on CPU 0. Candidates are
interleaved within each round (none, nginx, haproxy, wavelb, then again) and the table shows the
median over rounds. Every external command runs under `timeout`.
"""
import argparse, datetime, json, os, platform, re, shlex, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FLOWS = os.path.join(HERE, "udpflows.py")
TCPCONNS_C = os.path.join(HERE, "tcpconns.c")
LOAD = ["taskset", "-c", "0"]
PROXY_CPU = ["taskset", "-c", "1"]
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Backends (CPU 0)
IPERF_PORT, SOCKPERF_PORT, ECHO_PORT, TCP_ECHO_PORT = 25201, 25311, 25411, 25511
# Proxy ports: base + 1 iperf3 (tcp+udp), +2 sockperf (tcp+udp), +3 new UDP flows, +4 idle UDP sessions,
# +5 new TCP connections (to tcpconns echo)
BASE = {"nginx": 21000, "haproxy": 22000, "wavelb": 23000, "wavelb-nobatch": 24000,
        "wavelb-zgc": 26000, "wavelb-parallel": 27000, "wavelb-serial": 28000, "wavelb-iouring": 30000,
        "wavelb-channels": 31000, "wavelb-nogso": 32000, "wavelb-base": 33000,
        "wavelb-lowmem": 34000, "wavelb-flowlog": 35000, "wavelb-nettylistener": 36000, "wavelb-busypoll": 37000,
        "spike": 38000, "spike-variant": 39000, "wavelb-tcpchannels": 29000}
CANDIDATES = ["none", "nginx", "haproxy", "wavelb", "wavelb-nobatch", "wavelb-zgc", "wavelb-parallel", "wavelb-serial",
              "wavelb-iouring", "wavelb-channels", "wavelb-nogso", "wavelb-base", "wavelb-lowmem", "wavelb-flowlog", "wavelb-nettylistener", "wavelb-busypoll", "spike", "spike-variant", "wavelb-tcpchannels"]
DEFAULT_CANDIDATES = ["none", "nginx", "haproxy", "wavelb"]
# Variants: the same wavelb with other JVM flags, beside the default one (--only ...,wavelb-nobatch).
# wavelb-nobatch: one datagram per receive call, as before recvmmsg became the default.
# wavelb-zgc/-parallel/-serial: another collector instead of bin/wavelb's default G1.
# wavelb-channels: a Netty datagram channel per UDP session, as before native upstream sockets.
# wavelb-nogso: native upstream sockets, one send per datagram (no UDP GSO bursts).
# wavelb-lowmem: Netty's adaptive allocator in its low-memory mode (unpooled buffers above 16 KiB),
#   as before wavelb turned that mode off.
# wavelb-nettylistener: the listener sockets read and written by Netty's datagram channel, as before
#   wavelb's own recvmmsg/sendmmsg (-Dwavelb.udp.nativeListener=false).
# wavelb-tcpchannels: TCP relayed between Netty channels, as before the native relay (and as on NIO).
# wavelb-base: the jar named by $WAVELB_BASE_JAR (built from another commit), for before/after in one run.
# wavelb-flowlog: flow logs on at full rate (flow_log: a JSON record per flow, every flow, to a file in
#   the run's temporary directory), beside the default wavelb without them.
VARIANT_JAVA_OPTS = {"wavelb-nobatch": "-Dwavelb.udp.receiveBatch=1", "wavelb-zgc": "-XX:+UseZGC",
                     "wavelb-parallel": "-XX:+UseParallelGC", "wavelb-serial": "-XX:+UseSerialGC", "wavelb-iouring": "",
                     "wavelb-channels": "-Dwavelb.udp.nativeUpstream=false", "wavelb-nogso": "-Dwavelb.udp.gso=false",
                     "wavelb-base": "", "wavelb-lowmem": "-Dio.netty.allocator.lowMemory=true", "wavelb-flowlog": "",
                     "wavelb-nettylistener": "-Dwavelb.udp.nativeListener=false", "wavelb-busypoll": "",
                     "wavelb-tcpchannels": "-Dwavelb.tcp.nativeRelay=false"}
# wavelb-busypoll: runtime.busy_poll (the event loop polls for that long after its last I/O before it sleeps).
VARIANT_BUSY_POLL = {"wavelb-busypoll": os.environ.get("E2E_BUSY_POLL", "100us")}
# wavelb-iouring: runtime.transport io_uring instead of auto (epoll).
VARIANT_TRANSPORT = {"wavelb-iouring": "io_uring"}
TCP_ONLY = {"haproxy"}
# spike: benchmarks/src/main/java/io/wavelb/bench/spike/BareTcpRelay.java, a one-target TCP relay on bare
# descriptors (not product code), from $E2E_SPIKE_JAR or benchmarks/target/benchmarks.jar; it serves
# only the new-connection port (base + 5), so it takes part in the newconns step alone.
# spike-variant: the same with the system properties in $E2E_SPIKE_VARIANT_OPTS, by default
# -Dspike.extraSyscalls=4 (4 getsockopt(SO_ERROR) calls more per connection: the price of a system call here);
# -Dspike.halfClose=false closes both sockets at the first FIN as NGINX does.
NEWCONNS_ONLY = {"spike", "spike-variant"}
SPIKE_JAR = os.environ.get("E2E_SPIKE_JAR", os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar"))
# The JVM flags bin/wavelb starts wavelb with, so the spike and wavelb differ only in their code.
SPIKE_JAVA_OPTS = ["-Xms128m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                   "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+UseStringDeduplication",
                   "--sun-misc-unsafe-memory-access=allow"]

def log(*a):
    print(*a, file=sys.stderr, flush=True)

def run(cmd, limit, check=False):
    """Runs cmd under `timeout limit`; returns (rc, stdout, stderr)."""
    full = ["timeout", "-k", "2", str(int(limit))] + cmd
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} -> rc {p.returncode}: {p.stderr[-500:]}")
    return p.returncode, p.stdout, p.stderr

# ---------------------------------------------------------------------------- /proc readers

def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return pids

def cpu_seconds(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / CLK

def rss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total

SLABS = ("UDP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq")

JAVA_HOME = None

def jvm_heap_used_kib(pid):
    """Live heap of a JVM after a full GC (jcmd), or None when pid is not a JVM."""
    if not JAVA_HOME:
        return None
    jcmd = os.path.join(JAVA_HOME, "bin", "jcmd")
    run([jcmd, str(pid), "GC.run"], 30)
    rc, out, _ = run([jcmd, str(pid), "GC.heap_info"], 30)
    m = re.search(r"heap.*?used (\d+)K", out)
    return int(m.group(1)) if m else None

def kernel_socket_bytes():
    """Kernel memory that one more UDP socket costs: slab objects of the socket, its inode, file,
    dentry and epoll registration, plus the buffer pages /proc/net/sockstat counts for UDP."""
    slab = 0
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] in SLABS:
                    slab += int(parts[1]) * int(parts[3])  # active_objs * objsize
    except OSError:
        slab = None
    udp_pages = used = 0
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("UDP:"):
                udp_pages = int(line.split()[4])
            if line.startswith("sockets:"):
                used = int(line.split()[2])
    return {"slab": slab, "udp_mem": udp_pages * PAGE, "sockets": used}

# ---------------------------------------------------------------------------- processes

def wait_tcp(port, secs=60):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

class Proc:
    def __init__(self, name, cmd, logdir, stdin=None):
        self.name = name
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=stdin,
                                  start_new_session=True)
    @property
    def pid(self):
        return self.p.pid
    def alive(self):
        return self.p.poll() is None
    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)  # our own process group only
                self.p.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                    self.p.wait(5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        self.log.close()

# ---------------------------------------------------------------------------- configs

def nginx_conf(d, base):
    h = "hash $remote_addr$remote_port consistent;"
    return f"""# generated by benchmarks/e2e/run.py
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
worker_rlimit_nofile 20000;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 40000; }}
stream {{
  upstream iperf {{ {h} server 127.0.0.1:{IPERF_PORT}; }}
  upstream sockperf {{ {h} server 127.0.0.1:{SOCKPERF_PORT}; }}
  upstream echo {{ {h} server 127.0.0.1:{ECHO_PORT}; }}
  server {{ listen 127.0.0.1:{base+1}; listen 127.0.0.1:{base+1} udp reuseport; proxy_pass iperf; }}
  server {{ listen 127.0.0.1:{base+2}; listen 127.0.0.1:{base+2} udp reuseport; proxy_pass sockperf; }}
  # new flows: a session ends after its one reply (the notes' fair config; RLIMIT_NOFILE is 20000)
  server {{ listen 127.0.0.1:{base+3} udp reuseport; proxy_pass echo; proxy_responses 1; proxy_timeout 5s; }}
  # idle sessions: kept open 60 s (long enough to measure, short enough to be gone by the next round)
  server {{ listen 127.0.0.1:{base+4} udp reuseport; proxy_pass echo; proxy_timeout 60s; }}
  # new TCP connections: plain proxy_pass, as the other TCP ports
  server {{ listen 127.0.0.1:{base+5}; proxy_pass 127.0.0.1:{TCP_ECHO_PORT}; }}
}}
"""

def haproxy_conf(d, base):
    def fe(name, port, backend_port):
        return f"""
frontend fe_{name}
  bind 127.0.0.1:{port}
  default_backend be_{name}
backend be_{name}
  balance source
  hash-type consistent
  server s1 127.0.0.1:{backend_port}
"""
    return f"""# generated by benchmarks/e2e/run.py (HAProxy OSS has no UDP: TCP only)
global
  nbthread 1
  maxconn 9000
  pidfile {d}/haproxy.pid
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
""" + fe("iperf", base + 1, IPERF_PORT) + fe("sockperf", base + 2, SOCKPERF_PORT) + \
        fe("newconns", base + 5, TCP_ECHO_PORT)

def wavelb_conf(admin, base, transport="auto", flow_log=None, busy_poll=None):
    flows = f"""flow_log:
  path: {flow_log}
""" if flow_log else ""
    busy = f"  busy_poll: {busy_poll}\n" if busy_poll else ""
    return f"""# generated by benchmarks/e2e/run.py
admin:
  listen: 127.0.0.1:{admin}
runtime:
  event_loops: 1
  transport: {transport}
{busy}{flows}listeners:
  - name: iperf
    protocol: tcp_udp
    listen: 127.0.0.1:{base+1}
    target_group: iperf
  - name: sockperf
    protocol: tcp_udp
    listen: 127.0.0.1:{base+2}
    target_group: sockperf
  - name: newflows
    protocol: udp
    listen: 127.0.0.1:{base+3}
    target_group: echo
    udp:
      idle_timeout: 5s      # as nginx's proxy_timeout 5s
      max_responses: 1      # as nginx's proxy_responses 1: a one-shot flow ends with its reply
  - name: idle
    protocol: udp
    listen: 127.0.0.1:{base+4}
    target_group: echo
    udp:
      idle_timeout: 60s     # gone before the next round's measurement (nginx: proxy_timeout 60s)
  - name: newconns
    protocol: tcp
    listen: 127.0.0.1:{base+5}
    target_group: tcpecho
target_groups:
  - name: iperf
    targets: [{{address: "127.0.0.1:{IPERF_PORT}"}}]
  - name: sockperf
    targets: [{{address: "127.0.0.1:{SOCKPERF_PORT}"}}]
  - name: echo
    targets: [{{address: "127.0.0.1:{ECHO_PORT}"}}]
  - name: tcpecho
    targets: [{{address: "127.0.0.1:{TCP_ECHO_PORT}"}}]
"""

def start_proxy(name, d):
    base = BASE[name]
    if name == "nginx":
        f = os.path.join(d, "nginx.conf")
        open(f, "w").write(nginx_conf(d, base))
        cmd = PROXY_CPU + ["nginx", "-p", d, "-e", os.path.join(d, "nginx-error.log"), "-c", f, "-g", "daemon off;"]
    elif name == "haproxy":
        f = os.path.join(d, "haproxy.cfg")
        open(f, "w").write(haproxy_conf(d, base))
        cmd = PROXY_CPU + ["haproxy", "-f", f, "-db"]
    elif name in ("spike", "spike-variant"):
        if not os.path.isfile(SPIKE_JAR):
            raise RuntimeError(f"spike needs {SPIKE_JAR}: mvn -o -B -q -pl benchmarks -am package -DskipTests")
        extra = os.environ.get("E2E_SPIKE_JAVA_OPTS", "").split()
        if name == "spike-variant":
            extra += os.environ.get("E2E_SPIKE_VARIANT_OPTS", "-Dspike.extraSyscalls=4").split()
        cmd = PROXY_CPU + [os.path.join(JAVA_HOME, "bin", "java")] + SPIKE_JAVA_OPTS + extra + \
            ["-cp", SPIKE_JAR, "io.wavelb.bench.spike.BareTcpRelay", str(base + 5), f"127.0.0.1:{TCP_ECHO_PORT}"]
        p = Proc(name, cmd, d)
        if not wait_tcp(base + 5, 60) or not p.alive():
            p.stop()
            raise RuntimeError(f"{name} did not start; see {d}/{name}.log")
        return p
    else:
        f = os.path.join(d, f"{name}.yaml")
        flow_log = os.path.join(d, f"{name}-flows.log") if name == "wavelb-flowlog" else None
        open(f, "w").write(wavelb_conf(free_port(), base, VARIANT_TRANSPORT.get(name, "auto"), flow_log,
                                       VARIANT_BUSY_POLL.get(name)))
        env = ["env", "JAVA_OPTS=" + VARIANT_JAVA_OPTS[name]] if VARIANT_JAVA_OPTS.get(name) else []
        if name == "wavelb-base":
            jar = os.environ.get("WAVELB_BASE_JAR")
            if not jar or not os.path.isfile(jar):
                raise RuntimeError("wavelb-base needs WAVELB_BASE_JAR=<a wavelb.jar built from the commit to compare with>")
            env = ["env", "WAVELB_JAR=" + jar]
        extra = os.environ.get("E2E_WAVELB_JAVA_OPTS", "").replace("{name}", name)
        if extra:  # e.g. a flight recording per candidate: -XX:StartFlightRecording=filename=/tmp/{name}.jfr
            opts = (VARIANT_JAVA_OPTS.get(name, "") + " " + extra).strip()
            env = (env or ["env"]) + ["JAVA_OPTS=" + opts]
        cmd = PROXY_CPU + env + [os.path.join(ROOT, "bin", "wavelb"), "run", "--config", f]
    p = Proc(name, cmd, d)
    if not wait_tcp(base + 1, 90) or not p.alive():
        p.stop()
        raise RuntimeError(f"{name} did not start; see {d}/{name}.log")
    return p

# ---------------------------------------------------------------------------- measurements

class Bench:
    def __init__(self, a, d):
        self.a, self.d = a, d
        self.flow_start = 1000  # source-address index; never reused within a run
        self.backends = {}
        self.idle_done = {}

    def target(self, cand, off, backend_port):
        return backend_port if cand == "none" else BASE[cand] + off

    def start_backends(self):
        d = self.d
        self.backends["iperf3"] = Proc("iperf3", LOAD + ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)], d)
        self.backends["sockperf-udp"] = Proc("sockperf-udp", LOAD + ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(SOCKPERF_PORT)], d)
        self.backends["sockperf-tcp"] = Proc("sockperf-tcp", LOAD + ["sockperf", "sr", "--tcp", "-i", "127.0.0.1", "-p", str(SOCKPERF_PORT)], d)
        self.backends["echo"] = Proc("echo", LOAD + ["python3", FLOWS, "echo", str(ECHO_PORT)], d)
        self.tcpconns = os.path.join(d, "tcpconns")
        subprocess.run(["cc", "-O2", "-o", self.tcpconns, TCPCONNS_C], check=True)
        self.backends["tcp-echo"] = Proc("tcp-echo", LOAD + [self.tcpconns, "echo", str(TCP_ECHO_PORT)], d)
        if not wait_tcp(TCP_ECHO_PORT, 10):
            raise RuntimeError("tcpconns echo did not start")
        if not wait_tcp(IPERF_PORT, 10):
            raise RuntimeError("iperf3 server did not start")
        time.sleep(0.5)

    def restart_iperf(self):
        self.backends["iperf3"].stop()
        self.backends["iperf3"] = Proc("iperf3", LOAD + ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)], self.d)
        wait_tcp(IPERF_PORT, 10)

    def timed(self, proxy, fn):
        """Runs fn(); returns (result, proxy CPU seconds spent meanwhile)."""
        c0 = cpu_seconds(proxy.pid) if proxy else 0.0
        r = fn()
        c1 = cpu_seconds(proxy.pid) if proxy else 0.0
        return r, c1 - c0

    def iperf(self, port, extra, secs):
        cmd = LOAD + ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(secs), "-J"] + extra
        for attempt in range(3):
            rc, out, err = run(cmd, secs + 15)
            try:
                j = json.loads(out)
            except ValueError:
                j = {"error": (err.strip() or out.strip())[-200:]}
            if "error" not in j and "sum_received" in j.get("end", {}):
                return j
            log(f"  iperf3 {shlex.join(extra)} on port {port} failed (rc {rc}): {j.get('error')}; restarting the server")
            self.restart_iperf()
            time.sleep(1)
        return None

    def udp(self, cand, proxy, size, pps, secs):
        rate = "0" if pps == 0 else str(pps * size * 8)
        port = self.target(cand, 1, IPERF_PORT)
        j, cpu = self.timed(proxy, lambda: self.iperf(port, ["-u", "-l", str(size), "-b", rate], secs))
        if not j or "end" not in j or "sum_received" not in j["end"]:
            return None
        e = j["end"]
        sent = e["sum_sent"]["bytes"] / size
        rcvd = e["sum_received"]["bytes"] / size  # iperf3 3.12's UDP packet counter is wrong
        secs_r = e["sum_received"]["seconds"] or secs
        r = {"kpps": rcvd / secs_r / 1e3, "loss": 100.0 * max(0.0, 1 - rcvd / sent) if sent else None}
        if proxy and cpu > 0:
            r["kpps_core"] = rcvd / cpu / 1e3
            r["cpu"] = cpu / secs_r
        return r

    def tcp(self, cand, proxy, streams, secs):
        port = self.target(cand, 1, IPERF_PORT)
        j, cpu = self.timed(proxy, lambda: self.iperf(port, ["-P", str(streams)], secs))
        if not j or "end" not in j:
            return None
        e = j["end"]["sum_received"]
        r = {"gbps": e["bits_per_second"] / 1e9}
        if proxy and cpu > 0:
            r["gbps_core"] = e["bytes"] * 8 / cpu / 1e9
            r["cpu"] = cpu / e["seconds"]
        return r

    def rtt(self, cand, proto, secs):
        port = self.target(cand, 2, SOCKPERF_PORT)
        cmd = LOAD + ["sockperf", "pp", "-i", "127.0.0.1", "-p", str(port), "-t", str(secs), "-m", "64", "--full-rtt"]
        if proto == "tcp":
            cmd.append("--tcp")
        rc, out, err = run(cmd, secs + 15)
        pct = dict((float(k), float(v)) for k, v in re.findall(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)", out + err))
        if 50.0 not in pct or 99.0 not in pct:
            log(f"  sockperf {proto} via {cand} failed (rc {rc}): {(out + err).strip()[-200:]}")
            return None
        r = {"p50": pct[50.0], "p99": pct[99.0]}
        if 99.9 in pct:
            r["p999"] = pct[99.9]
        return r

    def newflows(self, cand, proxy, secs):
        port = self.target(cand, 3, ECHO_PORT)
        cmd = LOAD + ["python3", FLOWS, "newflows", f"127.0.0.1:{port}", "--seconds", str(secs),
                      "--start", str(self.flow_start)]
        (rc, out, err), cpu = self.timed(proxy, lambda: run(cmd, secs + 20))
        try:
            j = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            log(f"  newflows via {cand} failed (rc {rc}): {err.strip()[-200:]}")
            return None
        self.flow_start = j["next_start"] + 1000
        r = {"fps": j["flows_per_s"], "fail": 100.0 * (j["sent"] - j["replies"]) / max(1, j["sent"])}
        if proxy and cpu > 0:
            r["fps_core"] = j["replies"] / cpu
            r["cpu"] = cpu / secs
        return r

    def newconns(self, cand, proxy, secs, concurrency=32):
        """New TCP connections/s: tcpconns keeps `concurrency` connections cycling (connect, 64 B,
        its echo, close), each from the next of 127.0.0.2..254."""
        port = self.target(cand, 5, TCP_ECHO_PORT)
        cmd = LOAD + [self.tcpconns, f"127.0.0.1:{port}", str(concurrency), str(secs)]
        (rc, out, err), cpu = self.timed(proxy, lambda: run(cmd, secs + 10))
        m = re.search(r"conns (\d+) rate (\d+) p50_us (\d+) p99_us (\d+) errors (\d+)", out)
        if not m:
            log(f"  newconns via {cand} failed (rc {rc}): {(out + err).strip()[-200:]}")
            return None
        n, rate, p50, p99, errors = (int(x) for x in m.groups())
        r = {"cps": rate, "p50": p50, "p99": p99, "errors": errors}
        if proxy and cpu > 0:
            r["cps_core"] = n / cpu
            r["cpu"] = cpu / secs
        return r

    def idle_memory(self, cand, proxy, n):
        port = self.target(cand, 4, ECHO_PORT)
        # The previous round's idle sessions must have ended (60 s idle timeout), or they would be
        # in the baseline and, with 20000 descriptors and ~28k ephemeral ports, block new ones.
        wait = self.idle_done.get(cand, 0) + 65 - time.time()
        if wait > 0:
            log(f"  waiting {wait:.0f} s for {cand}'s previous idle sessions to expire")
            time.sleep(wait)
        time.sleep(1.0)  # let the new-flow sessions of the previous step end
        jvm = cand.startswith("wavelb")
        h0 = jvm_heap_used_kib(proxy.pid) if jvm else None
        k0, m0 = kernel_socket_bytes(), rss_kib(proxy.pid)
        cmd = ["timeout", "-k", "2", "120"] + LOAD + ["python3", FLOWS, "hold", f"127.0.0.1:{port}",
                                                      "--flows", str(n), "--start", str(self.flow_start),
                                                      "--timeout", "2"]
        h = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = h.stdout.readline()
            j = json.loads(line)
            time.sleep(2.0)  # settle
            k1, m1 = kernel_socket_bytes(), rss_kib(proxy.pid)
            h1 = jvm_heap_used_kib(proxy.pid) if jvm else None
        except ValueError:
            log(f"  hold via {cand} failed: {h.stderr.read()[-200:] if h.poll() is not None else ''}")
            return None
        finally:
            h.stdin.close()
            try:
                h.wait(10)
            except subprocess.TimeoutExpired:
                h.kill()
        self.flow_start = j["next_start"] + 1000
        self.idle_done[cand] = time.time()
        opened = j["replies"]
        if opened == 0:
            return None
        scale = 100000 / opened
        r = {"opened": opened, "rss_mib": m1 / 1024, "rss_100k": (m1 - m0) * 1024 * scale / 2**20,
             "sockets": k1["sockets"] - k0["sockets"]}
        if h0 is not None and h1 is not None:
            r["heap_100k"] = (h1 - h0) * 1024 * scale / 2**20
        if k0["slab"] is not None:
            r["kmem_100k"] = ((k1["slab"] - k0["slab"]) + (k1["udp_mem"] - k0["udp_mem"])) * scale / 2**20
        return r

# ---------------------------------------------------------------------------- table

# key, label, unit, higher is better, format
METRICS = [
    ("udp64_30k.kpps", "UDP 64 B @ 30 kpps offered: received", "kpps", True, 1),
    ("udp64_30k.loss", "UDP 64 B @ 30 kpps: loss", "%", False, 2),
    ("udp64_30k.kpps_core", "UDP 64 B @ 30 kpps: per proxy core", "kpps/core", True, 1),
    ("udp64_max.kpps", "UDP 64 B @ -b 0 (generator ceiling): received", "kpps", True, 1),
    ("udp64_max.loss", "UDP 64 B @ -b 0: loss", "%", False, 2),
    ("udp64_max.kpps_core", "UDP 64 B @ -b 0: per proxy core", "kpps/core", True, 1),
    ("udp1200_30k.kpps", "UDP 1200 B @ 30 kpps offered: received", "kpps", True, 1),
    ("udp1200_30k.loss", "UDP 1200 B @ 30 kpps: loss", "%", False, 2),
    ("udp1200_30k.kpps_core", "UDP 1200 B @ 30 kpps: per proxy core", "kpps/core", True, 1),
    ("udp1200_max.kpps", "UDP 1200 B @ -b 0 (generator ceiling): received", "kpps", True, 1),
    ("udp1200_max.loss", "UDP 1200 B @ -b 0: loss", "%", False, 2),
    ("udp1200_max.kpps_core", "UDP 1200 B @ -b 0: per proxy core", "kpps/core", True, 1),
    ("tcp1.gbps", "TCP 1 stream", "Gbit/s", True, 2),
    ("tcp1.gbps_core", "TCP 1 stream: per proxy core", "Gbit/s/core", True, 2),
    ("tcp4.gbps", "TCP 4 streams", "Gbit/s", True, 2),
    ("tcp4.gbps_core", "TCP 4 streams: per proxy core", "Gbit/s/core", True, 2),
    ("rtt_udp.p50", "UDP round trip p50 (sockperf, 64 B)", "µs", False, 1),
    ("rtt_udp.p99", "UDP round trip p99", "µs", False, 1),
    ("rtt_udp.p999", "UDP round trip p99.9", "µs", False, 1),
    ("rtt_tcp.p50", "TCP round trip p50", "µs", False, 1),
    ("rtt_tcp.p99", "TCP round trip p99", "µs", False, 1),
    ("rtt_tcp.p999", "TCP round trip p99.9", "µs", False, 1),
    ("newflows.fps", "new UDP flows/s (1 datagram + reply each)", "flows/s", True, 0),
    ("newflows.fail", "new UDP flows: no reply within 0.5 s", "%", False, 2),
    ("newflows.fps_core", "new UDP flows/s per proxy core", "flows/s/core", True, 0),
    ("newconns.cps", "new TCP connections/s (connect, 64 B, echo, close; 32 at a time)", "conns/s", True, 0),
    ("newconns.cps_core", "new TCP connections/s per proxy core", "conns/s/core", True, 0),
    ("newconns.p50", "new TCP connection, connect to echo: p50", "µs", False, 0),
    ("newconns.p99", "new TCP connection, connect to echo: p99", "µs", False, 0),
    ("newconns.errors", "new TCP connections failed", "count", False, 0),
    ("idle.rss_mib", "proxy RSS with the idle sessions open", "MiB", False, 1),
    ("idle.rss_100k", "RSS growth per 100k idle UDP sessions (scaled)", "MiB", False, 1),
    ("idle.heap_100k", "JVM live heap growth per 100k idle UDP sessions (after full GC, scaled)", "MiB", False, 1),
    ("idle.kmem_100k", "kernel socket memory per 100k idle UDP sessions (scaled)", "MiB", False, 1),
]

def get(results, cand, key):
    part, field = key.split(".")
    vals = [r[part][field] for r in results.get(cand, []) if r.get(part) and r[part].get(field) is not None]
    return statistics.median(vals) if vals else None

def fmt(v, nd):
    if v is None:
        return "—"
    return f"{v:,.{nd}f}"

def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"

def table(results, cands):
    cols = [c for c in CANDIDATES if c in cands]
    variants = [c for c in cols if c in VARIANT_JAVA_OPTS]
    spike = ["spike/nginx", "spike/haproxy", "spike/wavelb"] if "spike" in cols else []
    spike += ["spike-variant/spike"] if "spike-variant" in cols else []
    hdr = "| metric | unit | " + " | ".join(cols) + " | wavelb/nginx | wavelb/haproxy | wavelb/none |" + \
        "".join(f" {v}/wavelb |" for v in variants) + "".join(f" {x} |" for x in spike)
    out = [hdr, "|" + "---|" * 2 + "---:|" * (len(cols) + 3 + len(variants) + len(spike))]
    for key, label, unit, _, nd in METRICS:
        vals = {c: get(results, c, key) for c in cols}
        if all(v is None for v in vals.values()):
            continue
        w = vals.get("wavelb")
        out.append(f"| {label} | {unit} | " + " | ".join(fmt(vals[c], nd) for c in cols) +
                   f" | {ratio(w, vals.get('nginx'))} | {ratio(w, vals.get('haproxy'))} | {ratio(w, vals.get('none'))} |" +
                   "".join(f" {ratio(vals.get(v), w)} |" for v in variants) +
                   "".join(f" {ratio(vals.get(x.split('/')[0]), vals.get(x.split('/')[1]))} |" for x in spike))
    return "\n".join(out)

def machine():
    def sh(c):
        try:
            return subprocess.run(c, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60).stdout.strip()
        except subprocess.TimeoutExpired:
            return "?"
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    java = sh(f"bash -c 'source {ROOT}/bin/java-env.sh >/dev/null 2>&1; \"$WAVELB_JAVA_HOME/bin/java\" -version 2>&1 | head -1'")
    return {"nproc": sh("nproc"), "cpu": model, "kernel": platform.release(), "jdk": java,
            "nginx": sh("nginx -v 2>&1"), "haproxy": sh("haproxy -v | head -1"), "iperf3": sh("iperf3 -v | head -1"),
            "sockperf": sh("sockperf --version 2>&1 | head -1"), "wavelb": sh(f"{ROOT}/bin/wavelb --version"),
            "loadavg": open("/proc/loadavg").read().split()[:3]}

# ---------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 round, short durations")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--secs", type=int, default=None, help="seconds per iperf3/sockperf/new-flow run")
    ap.add_argument("--sessions", type=int, default=None, help="idle UDP sessions to open (RLIMIT_NOFILE caps it)")
    ap.add_argument("--only", default=",".join(DEFAULT_CANDIDATES),
                    help="candidates, from: " + ",".join(CANDIDATES) + " (wavelb-nobatch: one datagram per receive call)")
    ap.add_argument("--out", default=None, help="markdown results file (default benchmarks/e2e/results/e2e-DATE.md)")
    ap.add_argument("--steps", default=None,
                    help="measure only these steps (comma-separated: udp64_30k,udp64_max,udp1200_30k,udp1200_max,"
                         "tcp1,tcp4,rtt_udp,rtt_tcp,newflows,newconns,idle); default all")
    ap.add_argument("--one-core", action="store_true",
                    help="load generators, backends and the proxy all on CPU 1: the proxy shares its core with the load")
    ap.add_argument("--rerender", metavar="RAW_JSON", help="print the table of an earlier run's raw.json")
    a = ap.parse_args()
    if a.rerender:
        r = json.load(open(a.rerender))
        print(table(r["results"], [c for c in CANDIDATES if c in r["results"]]))
        return
    if a.one_core:
        global LOAD
        LOAD = list(PROXY_CPU)
    rounds = a.rounds or (1 if a.quick else 3)
    secs = a.secs or (2 if a.quick else 5)
    n_sessions = a.sessions or (5000 if a.quick else 10000)
    cands = [c for c in a.only.split(",") if c in CANDIDATES]
    cmdline = "benchmarks/e2e/run.sh " + " ".join(shlex.quote(x) for x in sys.argv[1:])

    for tool in ("nginx", "haproxy", "iperf3", "sockperf", "taskset", "timeout"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit(f"run.py: {tool} missing; run benchmarks/e2e/install.sh")
    log("building wavelb if needed ...")
    run([os.path.join(ROOT, "bin", "wavelb"), "--version"], 600, check=True)
    m = machine()
    global JAVA_HOME
    JAVA_HOME = subprocess.run(["bash", "-c", f"source {ROOT}/bin/java-env.sh >/dev/null 2>&1; echo $WAVELB_JAVA_HOME"],
                               stdout=subprocess.PIPE, text=True).stdout.strip() or None
    started = datetime.datetime.now(datetime.timezone.utc)
    log(f"machine: {m}")

    d = tempfile.mkdtemp(prefix="wavelb-e2e-")
    b = Bench(a, d)
    results = {c: [] for c in cands}
    loads = [m["loadavg"]]
    proxies = {}
    notes = []
    try:
        b.start_backends()
        for c in cands:
            if c != "none":
                log(f"starting {c} ...")
                proxies[c] = start_proxy(c, d)
        # Warm-up (not recorded): JIT for wavelb, caches for all. With --steps newconns alone, only
        # the new-connection path is warmed (the rest would not be measured).
        only_newconns = a.steps is not None and a.steps.split(",") == ["newconns"]
        for c in cands:
            p = proxies.get(c)
            log(f"warm-up {c}")
            if not only_newconns and c not in NEWCONNS_ONLY:
                if c not in TCP_ONLY:
                    b.udp(c, p, 1200, 30000, 2)
                    b.newflows(c, p, 1)
                b.tcp(c, p, 1, 2)
                b.rtt(c, "tcp", 1)
                if c not in TCP_ONLY:
                    b.rtt(c, "udp", 1)
            if a.steps is None or "newconns" in a.steps.split(","):
                b.newconns(c, p, 8)  # the JIT: shorter leaves the first round low
        for rnd in range(rounds):
            loads.append(open("/proc/loadavg").read().split()[:3])
            log(f"round {rnd + 1}/{rounds}, load average {loads[-1]}")
            steps = [
                ("udp64_30k", False, lambda c, p: b.udp(c, p, 64, 30000, secs)),
                ("udp64_max", False, lambda c, p: b.udp(c, p, 64, 0, secs)),
                ("udp1200_30k", False, lambda c, p: b.udp(c, p, 1200, 30000, secs)),
                ("udp1200_max", False, lambda c, p: b.udp(c, p, 1200, 0, secs)),
                ("tcp1", True, lambda c, p: b.tcp(c, p, 1, secs)),
                ("tcp4", True, lambda c, p: b.tcp(c, p, 4, secs)),
                ("rtt_udp", False, lambda c, p: b.rtt(c, "udp", secs)),
                ("rtt_tcp", True, lambda c, p: b.rtt(c, "tcp", secs)),
                ("newflows", False, lambda c, p: b.newflows(c, p, secs)),
                ("newconns", True, lambda c, p: b.newconns(c, p, secs)),
            ]
            if a.steps:
                steps = [st for st in steps if st[0] in a.steps.split(",")]
            rec = {c: {} for c in cands}
            for name, tcp_ok, fn in steps:
                for c in (cands if rnd % 2 == 0 else list(reversed(cands))):  # interleave, alternate order
                    if c in TCP_ONLY and not tcp_ok or c in NEWCONNS_ONLY and name != "newconns":
                        continue
                    p = proxies.get(c)
                    if p is not None and not p.alive():
                        log(f"  {c} died; see {d}/{c}.log")
                        continue
                    rec[c][name] = fn(c, p)
                    log(f"  {name:12s} {c:8s} {rec[c][name]}")
            for c in cands:
                if a.steps and "idle" not in a.steps.split(","):
                    break
                if c in proxies and c not in TCP_ONLY and c not in NEWCONNS_ONLY and proxies[c].alive():
                    rec[c]["idle"] = b.idle_memory(c, proxies[c], n_sessions)
                    log(f"  {'idle':12s} {c:8s} {rec[c]['idle']}")
            for c in cands:
                results[c].append(rec[c])
        loads.append(open("/proc/loadavg").read().split()[:3])
        for c in cands:
            if c == "wavelb-flowlog" and os.path.exists(os.path.join(d, f"{c}-flows.log")):
                with open(os.path.join(d, f"{c}-flows.log"), "rb") as f:
                    notes.append(f"{c}: {sum(1 for _ in f)} flow log records written")
    finally:
        for p in list(proxies.values()) + list(b.backends.values()):
            p.stop()

    raw = os.path.join(d, "raw.json")
    json.dump({"machine": m, "results": results, "loads": loads}, open(raw, "w"), indent=1)
    tbl = table(results, cands)
    opened = [r["idle"]["opened"] for c in cands for r in results[c] if r.get("idle")]
    md = f"""Run {started:%Y-%m-%d %H:%M} UTC: `{cmdline}` ({rounds} round(s) of {secs} s per measurement, medians)

- machine: {m['nproc']} vCPU, {m['cpu']}, kernel {m['kernel']}, {m['jdk']}
- peers: {m['nginx']}, {m['haproxy']}; load: {m['iperf3']}, {m['sockperf']}; {m['wavelb']}
- load average (1/5/15 min) before the run {' / '.join(loads[0])}; per round {'; '.join(' / '.join(l) for l in loads[1:-1])}; after {' / '.join(loads[-1])}
- {'proxy, load generators and backends all on CPU 1 (--one-core)' if a.one_core else 'proxy on CPU 1, load generators and backends on CPU 0'}; idle sessions opened: {min(opened) if opened else '—'} per proxy, scaled to 100k (RLIMIT_NOFILE is 20000)
{''.join(f"- {n}{chr(10)}" for n in notes)}
{tbl}
"""
    out = a.out or os.path.join(HERE, "results", f"e2e-{started:%Y%m%d-%H%M%S}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    open(out, "w").write(md)
    print(md)
    log(f"results: {out}; raw: {raw}; logs: {d}")

if __name__ == "__main__":
    main()
