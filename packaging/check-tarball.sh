#!/usr/bin/env bash
# Checks the release tarball as a user receives it: unpacked somewhere else, the launchers run
# from lib/ (never building anything), the shipped examples validate, and the balancer serves a
# datagram. Run after `mvn package` (CI runs it after bin/test).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tarball="$(ls "$root"/dist/target/wavelb-*.tar.gz)"
work="$(mktemp -d)"
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
tar -xzf "$tarball" -C "$work"
dir="$(ls -d "$work"/wavelb-*)"
cd "$dir"
for f in LICENSE README.md lib/wavelb.jar lib/wavelb-agent.jar systemd/wavelb.service systemd/wavelb-agent.service sysctl/60-wavelb.conf \
         examples/wavelb.yaml examples/agent.yaml grafana/wavelb-dashboard.json; do
  [[ -f "$f" ]] || { echo "check-tarball: missing $f" >&2; exit 1; }
done
out="$(bin/wavelb --version 2>&1)"
[[ "$out" == "wavelb "* && "$out" != *building* ]] || { echo "check-tarball: bin/wavelb --version said: $out" >&2; exit 1; }
out="$(bin/wavelb-agent --version 2>&1)"
[[ "$out" == "wavelb-agent "* && "$out" != *building* ]] || { echo "check-tarball: bin/wavelb-agent --version said: $out" >&2; exit 1; }
bin/wavelb check-config examples/wavelb.yaml examples/local.yaml examples/lifecycle.yaml >/dev/null
bin/wavelb-agent check-config examples/agent.yaml >/dev/null

# Serve one datagram through the unpacked balancer to a socat echo server.
free_port() {  # a port free for TCP and UDP on loopback, chosen by the kernel
  python3 -c 'import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'
}
port=$(free_port); echo_port=$(free_port); admin=$(free_port)
cat > "$work/t.yaml" <<YAML
admin:
  listen: 127.0.0.1:$admin
listeners:
  - name: t
    protocol: udp
    listen: 127.0.0.1:$port
    target_group: g
target_groups:
  - name: g
    targets:
      - address: 127.0.0.1:$echo_port
YAML
python3 - "$echo_port" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(30)
data, addr = s.recvfrom(2048); s.sendto(b"echo:" + data, addr)
PY
bin/wavelb run --config "$work/t.yaml" > "$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "on udp" "$work/run.log" && break; sleep 0.1; done
reply="$(python3 - "$port" <<'PY'
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)
c.sendto(b"ping", ("127.0.0.1", int(sys.argv[1])))
try:
    print(c.recvfrom(2048)[0].decode())
except socket.timeout:
    print("")
PY
)"
[[ "$reply" == "echo:ping" ]] || { echo "check-tarball: expected echo:ping through the balancer, got '$reply'" >&2; cat "$work/run.log" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid"; pid=
echo "check-tarball: $(basename "$tarball") ok (layout, launchers, examples, one datagram through the balancer)"
