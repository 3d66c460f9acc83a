#!/usr/bin/env bash
# Installs moto (the AWS emulator the agent's tests run against) into a private folder, without
# touching the system's packages: Debian bookworm has no moto, trixie does, and mixing releases
# system-wide would break the machine. So: a private apt state naming both suites, `apt-get
# download` (apt verifies each .deb against the signed indexes), `dpkg-deb -x` into the cache.
# Pure-Python packages come from trixie, the compiled ones from bookworm (they must match the
# system's python3.11). Prints the install folder; idempotent (cached by a marker file).
#
#   lb-agent/scripts/moto.sh            install (if needed), print the folder
#   Run moto: PYTHONPATH=<folder>/usr/lib/python3/dist-packages /usr/bin/python3 -S -m moto.server -H 127.0.0.1 -p PORT
set -euo pipefail

dest="${WAVELB_MOTO_HOME:-$HOME/.cache/wavelb/moto-5}"
if [[ -f "$dest/.installed" ]]; then
  echo "$dest"
  exit 0
fi

mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
if [[ -z "$mirror" ]]; then
  mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
fi
[[ -n "$mirror" ]] || { echo "moto.sh: cannot find the Debian mirror in the apt sources" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
printf 'deb %s trixie main\ndeb %s bookworm main\n' "$mirror" "$mirror" > "$work/sources.list"
opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
      -o "APT::Sandbox::User=root")

apt-get "${opts[@]}" -qq update >&2

pure=(python3-moto python3-boto3 python3-botocore python3-s3transfer python3-jmespath python3-dateutil
      python3-six python3-flask python3-flask-cors python3-werkzeug python3-jinja2 python3-itsdangerous
      python3-click python3-blinker python3-requests python3-urllib3 python3-idna python3-certifi
      python3-chardet python3-responses python3-xmltodict python3-antlr4)
compiled=(python3-cryptography python3-cffi-backend python3-markupsafe python3-yaml python3-charset-normalizer)
wanted=()
for p in "${pure[@]}"; do wanted+=("$p/trixie"); done
for p in "${compiled[@]}"; do wanted+=("$p/bookworm"); done

(cd "$work/debs" && apt-get "${opts[@]}" -qq download "${wanted[@]}" >&2)

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest.tmp"
done
# The machine sets PYTHONDONTWRITEBYTECODE=1: compile once here, or every start recompiles (slow).
/usr/bin/python3 -m compileall -q "$dest.tmp/usr/lib/python3/dist-packages" >/dev/null 2>&1 || true
PYTHONPATH="$dest.tmp/usr/lib/python3/dist-packages" /usr/bin/python3 -S -c 'import moto.server' \
  || { echo "moto.sh: moto does not import from $dest.tmp" >&2; exit 1; }
rm -rf "$dest"
mv "$dest.tmp" "$dest"
touch "$dest/.installed"
echo "$dest"
