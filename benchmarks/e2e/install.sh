#!/usr/bin/env bash
# Installs what benchmarks/e2e/run.sh needs from Debian's packages. Idempotent and quiet:
# does nothing when every tool is already there; otherwise one `apt-get update` and one install.
set -euo pipefail

pkgs=(nginx libnginx-mod-stream haproxy iperf3 sockperf procps util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
  echo "install.sh: all present: ${pkgs[*]}"
  exit 0
fi
sudo=""
if (( EUID != 0 )); then sudo="sudo"; fi
echo "install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# --no-install-recommends: no extra packages. run.sh starts its own foreground nginx/haproxy.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages enable and start system services; stop them so they hold no ports or CPU.
for svc in nginx haproxy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $sudo systemctl stop "$svc" || true
  fi
  if command -v service >/dev/null 2>&1; then $sudo service "$svc" stop >/dev/null 2>&1 || true; fi
done
echo "install.sh: done"
