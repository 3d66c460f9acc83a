#!/usr/bin/env bash
# Restart under live UDP flows: wavelb takeover vs NGINX binary upgrade and reload (and a plain restart).
#   benchmarks/takeover/run.sh                       # 3 rounds x 4 scenarios of 15 s, ~5 min; results/latest.md
#   benchmarks/takeover/run.sh --rounds 1 --only wavelb-takeover,nginx-upgrade
# Runs bin/wavelb on WAVELB_JAR (default lb-core/target/wavelb.jar) and /usr/sbin/nginx with the
# stream module (benchmarks/e2e/install.sh). See benchmarks/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# run.py kills every process it started (each in its own process group) on its way out; this trap
# hands it Ctrl-C / SIGTERM and waits for that cleanup.
python3 "$here/run.py" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"' INT TERM
wait "$pid"
