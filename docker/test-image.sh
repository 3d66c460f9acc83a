#!/usr/bin/env bash
# Builds the image (docker/build-image.sh) and checks it the way a container runtime runs it,
# without one (`podman run` is refused by this sandbox: chroot stands in for it):
#   - metadata: a non-root USER, an exec-form ENTRYPOINT, the default CMD, an exec-form HEALTHCHECK;
#   - the jlink'd runtime holds every module the jars need (jdeps), minus the ones left out on purpose;
#   - in a network namespace of its own (loopback only, so 9901 and port 700 are ours), with the
#     image's root filesystem mounted and a config in its /etc/wavelb: the ENTRYPOINT + CMD run as the
#     image's user, the process is the JVM itself with CAP_NET_BIND_SERVICE and nothing else, it
#     listens on port 700, real UDP and TCP reach echo targets and come back, the HEALTHCHECK
#     command fails before start and passes after, the agent from the same image plans and runs
#     against moto and feeds the balancer, and SIGTERM stops both with exit 0.
# Every wait is bounded; the mounts vanish with the namespace; the image mount is undone on exit.
#
#   docker/test-image.sh          needs root, podman, debootstrap, iproute2, python3
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
fail() { echo "test-image: FAIL: $*" >&2; exit 1; }
say() { echo "test-image: $*" >&2; }

# ============================ inside the private network + mount namespace =======================
inside() {
  local m="$1" work="$2"
  local uid gid
  read -r uid gid < "$work/user"
  mapfile -t start < "$work/start.args"
  mapfile -t healthcheck < "$work/healthcheck.args"
  as_image_user() { chroot --userspec="$uid:$gid" "$m" "$@"; }

  ip link set lo up
  # What a runtime gives a container: /proc, /dev, a writable /tmp (Netty unpacks its epoll
  # library there) and the operator's config mounted over /etc/wavelb.
  mount -t proc proc "$m/proc"
  mount --rbind /dev "$m/dev"
  mount -t tmpfs -o mode=1777,size=64m tmpfs "$m/tmp"
  mount --bind -o ro "$work/etc-wavelb" "$m/etc/wavelb"

  pids=()   # global: the EXIT trap runs after this function has returned
  trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done' EXIT
  trap 'exit 143' TERM INT

  # Three echo targets on TCP and UDP, each answering with its name; they quit after 120 s anyway.
  python3 - <<'PY' > "$work/echo.log" 2>&1 &
import socket, socketserver, threading, time
class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(self.server.name + b" " + data, self.client_address)
class Tcp(socketserver.StreamRequestHandler):
    def handle(self):
        self.connection.settimeout(10)
        for line in self.rfile:
            self.wfile.write(self.server.name + b" " + line)
class UdpServer(socketserver.ThreadingUDPServer): allow_reuse_address = True
class TcpServer(socketserver.ThreadingTCPServer): allow_reuse_address = True; daemon_threads = True
for i, port in enumerate((9001, 9002, 9003), 1):
    for cls, handler in ((UdpServer, Udp), (TcpServer, Tcp)):
        s = cls(("127.0.0.1", port), handler); s.name = f"target-{i}".encode()
        threading.Thread(target=s.serve_forever, daemon=True).start()
print("echo targets up", flush=True)
time.sleep(120)
PY
  pids+=($!)

  # The HEALTHCHECK command fails while nothing answers: it can fail.
  if as_image_user "${healthcheck[@]}" 2>/dev/null; then fail "HEALTHCHECK passed with no balancer running"; fi

  say "starting the image's entrypoint as $uid:$gid: ${start[*]}"
  # chroot itself in the background (not a function: that would fork a shell in between)
  chroot --userspec="$uid:$gid" "$m" "${start[@]}" > "$work/wavelb.log" 2>&1 &
  local lb=$!
  pids+=("$lb")
  local healthy=""
  for _ in $(seq 150); do
    kill -0 "$lb" 2>/dev/null || { cat "$work/wavelb.log" >&2; fail "the balancer exited at start"; }
    if as_image_user "${healthcheck[@]}" 2>/dev/null; then healthy=1; break; fi
    sleep 0.1
  done
  [[ -n "$healthy" ]] || { cat "$work/wavelb.log" >&2; fail "HEALTHCHECK never passed within 15 s"; }
  grep -q "echo targets up" "$work/echo.log" || fail "echo targets did not start: $(cat "$work/echo.log")"

  # The process we started is the JVM itself (the entrypoint exec'd it: SIGTERM reaches it), as the
  # image's user, with CAP_NET_BIND_SERVICE (bit 10) effective and no other capability.
  [[ "$(readlink "/proc/$lb/exe")" == "$m/opt/java/bin/java" ]] \
    || fail "PID $lb is $(readlink "/proc/$lb/exe"), not the image's JVM: the entrypoint does not exec"
  awk -v u="$uid" '/^Uid:/ { if ($2 != u || $3 != u || $4 != u || $5 != u) exit 1 }' "/proc/$lb/status" \
    || fail "the JVM does not run as $uid: $(grep ^Uid: "/proc/$lb/status")"
  ! grep -qE $'^Groups:.*(\t| )0( |$)' "/proc/$lb/status" || fail "the JVM keeps group 0: $(grep ^Groups: "/proc/$lb/status")"
  grep -qx $'CapEff:\t0000000000000400' "/proc/$lb/status" \
    || fail "the JVM's capabilities: $(grep ^Cap "/proc/$lb/status" | tr '\n' ' ') (expected only CAP_NET_BIND_SERVICE)"

  # Real traffic through the balancer, which listens on port 700 (a privileged port).
  python3 - <<'PY' || fail "traffic through the balancer (log: $(tail -5 "$work/wavelb.log"))"
import socket, sys
seen = set()
for i in range(12):                       # 12 UDP flows: one socket each, so 12 source ports
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(3)
    c.sendto(b"ping-%d" % i, ("127.0.0.1", 700))
    data = c.recvfrom(2048)[0]
    name, _, rest = data.partition(b" ")
    assert rest == b"ping-%d" % i and name.startswith(b"target-"), data
    seen.add(name); c.close()
assert len(seen) >= 2, f"12 UDP flows all went to {seen}"
for i in range(4):
    with socket.create_connection(("127.0.0.1", 700), timeout=3) as t:
        t.sendall(b"hello-%d\n" % i)
        data = b""
        while not data.endswith(b"\n"):
            chunk = t.recv(2048)
            assert chunk, "connection closed before the answer"
            data += chunk
        assert data.startswith(b"target-") and data.endswith(b" hello-%d\n" % i), data
print(f"udp: 12 flows over {sorted(s.decode() for s in seen)}; tcp: 4 connections", file=sys.stderr)
PY
  python3 - <<'PY' || fail "the balancer's /metrics did not count the traffic"
import re, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:9901/metrics", timeout=3).read().decode()
def value(pattern):
    m = re.search(r"(?m)^" + pattern + r" (\S+)$", text)
    assert m, pattern
    return float(m.group(1))
assert value(r'wavelb_udp_sessions_opened_total\{listener="media"\}') >= 12
assert value(r'wavelb_tcp_connections_accepted_total\{listener="media"\}') >= 4
PY

  # The agent from the same image, against moto: plan prints, run feeds the balancer's 'fed' group.
  local agent_ok=""
  if [[ -n "${WAVELB_MOTO_HOME:-}" ]]; then
    PYTHONPATH="$WAVELB_MOTO_HOME/usr/lib/python3/dist-packages" /usr/bin/python3 -S -m moto.server \
      -H 127.0.0.1 -p 5055 > "$work/moto.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
      python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5055), timeout=1)' 2>/dev/null && break
      sleep 0.1
    done
    PYTHONPATH="$WAVELB_MOTO_HOME/usr/lib/python3/dist-packages" /usr/bin/python3 "$here/compose/seed-aws.py" \
      --endpoint http://127.0.0.1:5055 --target 127.0.0.1:9003 --template "$here/compose/agent.yaml.in" \
      --out "$work/agent/agent.yaml" --set AWS_ENDPOINT=http://127.0.0.1:5055 \
      --set BALANCER_URL=http://127.0.0.1:9901 >&2 || fail "seeding moto: $(tail -5 "$work/moto.log")"
    mount --bind -o ro "$work/agent" "$m/run/wavelb-agent"
    local out
    out="$(timeout 60 chroot --userspec="$uid:$gid" "$m" /usr/local/bin/wavelb-agent plan \
           --config /run/wavelb-agent/agent.yaml 2>&1)" || fail "the image's agent plan: $out"
    [[ "$out" == *"UPSERT A media.example.com"*"155.146.10.20"* && "$out" == *"127.0.0.1:9003"* ]] \
      || fail "the image's agent plan printed: $out"
    chroot --userspec="$uid:$gid" "$m" /usr/local/bin/wavelb-agent run --config /run/wavelb-agent/agent.yaml \
      > "$work/agent.log" 2>&1 &
    local agent=$!
    pids+=("$agent")
    local fed=""
    for _ in $(seq 200); do
      kill -0 "$agent" 2>/dev/null || break
      if python3 - 2>/dev/null <<'PY'
import socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(0.5)
c.sendto(b"fed", ("127.0.0.1", 701))
assert c.recvfrom(2048)[0] == b"target-3 fed"
PY
      then fed=1; break; fi
      sleep 0.1
    done
    [[ -n "$fed" ]] || { cat "$work/agent.log" >&2; fail "the agent never fed target 127.0.0.1:9003 to the balancer's 'fed' group"; }
    [[ "$(readlink "/proc/$agent/exe")" == "$m/opt/java/bin/java" ]] || fail "the agent entrypoint does not exec the JVM"
    python3 -c 'import urllib.request; t = urllib.request.urlopen("http://127.0.0.1:9902/metrics", timeout=3).read().decode(); assert "wavelb_agent_published_weight" in t' \
      || fail "the agent's /metrics"
    kill -TERM "$agent"
    local code=0
    timeout 60 tail --pid="$agent" -f /dev/null || fail "the agent did not stop within 60 s of SIGTERM"
    wait "$agent" || code=$?
    [[ $code -eq 0 ]] || { tail -20 "$work/agent.log" >&2; fail "the agent exited $code after SIGTERM (expected 0)"; }
    agent_ok=1
    say "agent: plan and run against moto from the image, fed a target, SIGTERM drain exit 0"
  fi

  kill -TERM "$lb"
  timeout 60 tail --pid="$lb" -f /dev/null || fail "the balancer did not stop within 60 s of SIGTERM"
  local code=0
  wait "$lb" || code=$?
  [[ $code -eq 0 ]] || { tail -20 "$work/wavelb.log" >&2; fail "the balancer exited $code after SIGTERM (expected 0)"; }
  grep -q "stopped" "$work/wavelb.log" || fail "no 'stopped' in the balancer's log after SIGTERM"
  [[ -n "$agent_ok" ]] || say "agent part skipped: WAVELB_MOTO_HOME not set"
  say "balancer: healthcheck, capabilities, UDP+TCP through port 700, SIGTERM exit 0"
}

if [[ "${1:-}" == "--inside" ]]; then
  inside "$2" "$3"
  exit 0
fi

# ============================ outside: build, inspect, mount ======================================
[[ $EUID -eq 0 ]] || fail "needs root (podman image mount, chroot, namespaces)"
started=$SECONDS
image="$(timeout 900 bash "$here/build-image.sh" "${1:-localhost/wavelb:test}")" || fail "build-image.sh failed"
say "built $image in $((SECONDS - started)) s"

work="$(mktemp -d)"
mounted=""
cleanup() {
  [[ -n "$mounted" ]] && podman image unmount "$image" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

podman image inspect "$image" > "$work/inspect.json"
m="$(podman image mount "$image")"
mounted=1
[[ -d "$m/opt/java" ]] || fail "podman image mount gave $m without /opt/java"

# Metadata, read as a runtime reads it; writes the start command and the healthcheck as lines.
python3 - "$work" "$m" <<'PY' || fail "image metadata"
import json, os, sys
work, rootfs = sys.argv[1], sys.argv[2]
image = json.load(open(f"{work}/inspect.json"))[0]
cfg = image["Config"]
def check(ok, what):
    if not ok:
        sys.exit(f"test-image: FAIL: {what}")
user = cfg.get("User", "")
check(user, "no USER: the image would run as root")
name, _, group = user.partition(":")
users = {l.split(":")[0]: l.split(":") for l in open(f"{rootfs}/etc/passwd")}
by_uid = {f[2]: f for f in users.values()}
entry = users.get(name) or by_uid.get(name)
check(entry, f"USER {user} is not in the image's /etc/passwd")
uid, gid = entry[2], group or entry[3]
check(uid != "0" and gid != "0", f"USER {user} is root")
ep, cmd = cfg.get("Entrypoint") or [], cfg.get("Cmd") or []
check(ep == ["/usr/local/bin/wavelb"], f"ENTRYPOINT {ep} (expected exec form [\"/usr/local/bin/wavelb\"])")
check(cmd == ["run", "--config", "/etc/wavelb/wavelb.yaml"], f"CMD {cmd}")
for path in ep[:1] + ["/usr/local/bin/wavelb-agent"]:
    st = os.stat(rootfs + path)
    check(st.st_mode & 0o111 and st.st_uid == 0, f"{path} in the image: not an executable owned by root")
hc = image.get("Healthcheck") or cfg.get("Healthcheck") or {}
test = hc.get("Test") or []
check(test[:1] == ["CMD"] and len(test) > 1, f"HEALTHCHECK {test} (expected exec form CMD [...])")
check(os.access(rootfs + test[1], os.X_OK), f"HEALTHCHECK command {test[1]} is not in the image")
check(0 < hc.get("Timeout", 0) <= hc.get("Interval", 0) and hc.get("Retries", 0) >= 1, f"HEALTHCHECK timings {hc}")
open(f"{work}/user", "w").write(f"{uid} {gid}\n")
open(f"{work}/start.args", "w").write("\n".join(ep + cmd) + "\n")
open(f"{work}/healthcheck.args", "w").write("\n".join(test[1:]) + "\n")
PY

# The runtime's modules: every module a jar needs is kept or left out on purpose in jlink-modules.
# shellcheck source=bin/java-env.sh
source "$root/bin/java-env.sh"
kept="$(grep -E '^[a-z]' "$here/jlink-modules" | sort)"
left_out="$(grep -E '^-[a-z]' "$here/jlink-modules" | cut -c2- | sort)"
# shellcheck disable=SC1091
in_image="$(. "$m/opt/java/release" && tr ' ' '\n' <<< "$MODULES" | sort)"
missing="$(comm -23 <(echo "$kept") <(echo "$in_image"))"
[[ -z "$missing" ]] || fail "the image's runtime lacks $missing (listed in docker/jlink-modules)"
for jar in "$m"/opt/wavelb/lib/wavelb.jar "$m"/opt/wavelb/lib/wavelb-agent.jar; do
  python3 - "$jar" "$work/plain.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], "w") as b:
    for i in a.infolist():
        if not i.filename.endswith("module-info.class"):
            b.writestr(i, a.read(i))
PY
  needed="$("$WAVELB_JAVA_HOME/bin/jdeps" --list-deps --ignore-missing-deps --multi-release 21 "$work/plain.jar" \
            | tr -d ' ' | grep -v '^JDK' | sort -u)"
  unknown="$(comm -23 <(echo "$needed") <(sort -u <(echo "$kept"; echo "$left_out")))"
  [[ -z "$unknown" ]] || fail "$(basename "$jar") needs $(echo "$unknown" | paste -sd' ') — add it to docker/jlink-modules (kept, or -left out with the reason)"
done

# The operator's /etc/wavelb: root-owned, readable by the image's group; the token for the agent.
read -r uid gid < "$work/user"
mkdir -p "$work/etc-wavelb" "$work/agent"
cat > "$work/etc-wavelb/wavelb.yaml" <<'YAML'
admin:
  listen: 127.0.0.1:9901
  token_file: admin.token
runtime:
  event_loops: 2
listeners:
  - name: media
    protocol: tcp_udp
    listen: 127.0.0.1:700          # below 1024: needs the image's CAP_NET_BIND_SERVICE
    target_group: media
  - name: fed
    protocol: udp
    listen: 127.0.0.1:701
    target_group: fed
target_groups:
  - name: media
    targets:
      - address: 127.0.0.1:9001
      - address: 127.0.0.1:9002
  - name: fed                      # empty until the agent feeds it from Cloud Map
    targets: []
YAML
head -c 24 /dev/urandom | base64 > "$work/etc-wavelb/admin.token"
chown -R "0:$gid" "$work/etc-wavelb"
chmod 0755 "$work" "$work/etc-wavelb" "$work/agent"
chmod 0644 "$work/etc-wavelb/wavelb.yaml"
chmod 0640 "$work/etc-wavelb/admin.token"
[[ -d "$m/run" ]] || fail "the image has no /run"
# The agent's config goes to /run/wavelb-agent (a tmpfs over the image's /run, made inside).

export WAVELB_MOTO_HOME="${WAVELB_MOTO_HOME:-}"
timeout 300 unshare --net --mount --propagation private bash -c '
  set -e
  mount -t tmpfs -o mode=0755 tmpfs "$1/run"
  mkdir "$1/run/wavelb-agent"
  exec bash "$0" --inside "$1" "$2"' "$0" "$m" "$work" \
  || fail "the image did not pass (see above)"
say "ok in $((SECONDS - started)) s"
