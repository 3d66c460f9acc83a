#!/usr/bin/env bash
# Sustained pressure: slow TCP readers + a UDP session flood + a reload storm together (default 10 min).
#   benchmarks/pressure/run.sh                      # 600 s, 2,000 slow readers, results/latest.md
#   benchmarks/pressure/run.sh --secs 60 --slow 500 # a short look
# Runs bin/wavelb (build it first: mvn -pl lb-core -am package -DskipTests). See benchmarks/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
