#!/usr/bin/env bash
# End-to-end benchmark: wavelb vs NGINX stream vs HAProxy vs no proxy on loopback.
#   benchmarks/e2e/run.sh --quick        # 1 round, 2 s per measurement (~4 min)
#   benchmarks/e2e/run.sh                # 3 rounds, 5 s per measurement (~15 min)
# Needs benchmarks/e2e/install.sh first. See benchmarks/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
