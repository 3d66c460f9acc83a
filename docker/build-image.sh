#!/usr/bin/env bash
# Builds the wavelb image without a Docker engine or a registry: podman, a debian:bookworm-slim
# base made locally with debootstrap (cached), and the distribution built on the host
# (docker/Dockerfile's DIST=prebuilt path). On a machine with a Docker engine use the Dockerfile's
# default path instead: `docker build -f docker/Dockerfile -t wavelb .`.
#
#   docker/build-image.sh [IMAGE]        default IMAGE: localhost/wavelb:<version>; prints IMAGE
#
#   WAVELB_TARBALL   the release tarball to pack (default: dist/target/wavelb-*.tar.gz, built with
#                    `mvn package -DskipTests` when missing)
#   WAVELB_CACHE     where the debootstrap'd base is cached (default ~/.cache/wavelb)
#
# Needs root, podman and debootstrap (Debian: apt-get install podman debootstrap).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=bin/java-env.sh
source "$root/bin/java-env.sh"
export JAVA_HOME="$WAVELB_JAVA_HOME"

base_image="docker.io/library/debian:bookworm-slim"
cache="${WAVELB_CACHE:-$HOME/.cache/wavelb}"
log() { echo "build-image: $*" >&2; }

for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { log "needs $tool (apt-get install podman debootstrap)"; exit 1; }
done

# --- the distribution -------------------------------------------------------------------------
tarball="${WAVELB_TARBALL:-}"
if [[ -z "$tarball" ]]; then
  tarball="$(ls "$root"/dist/target/wavelb-*.tar.gz 2>/dev/null | head -1 || true)"
  if [[ -z "$tarball" ]]; then
    log "no release tarball yet: mvn package -DskipTests"
    (cd "$root" && mvn -B -ntp -q package -DskipTests) >&2
    tarball="$(ls "$root"/dist/target/wavelb-*.tar.gz | head -1)"
  fi
fi
version="$(basename "$tarball" .tar.gz)"
version="${version#wavelb-}"
image="${1:-localhost/wavelb:$version}"

# --- the base image: debian:bookworm-slim, made here when no registry can give it ---------------
if ! podman image exists "$base_image"; then
  base_tar="$cache/debian-bookworm-minbase.tar"
  if [[ ! -s "$base_tar" ]]; then
    mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
    [[ -n "$mirror" ]] || mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
    [[ -n "$mirror" ]] || { log "cannot find the Debian mirror in the apt sources"; exit 1; }
    log "debootstrap --variant=minbase bookworm from $mirror (about 1-2 min, once; cached in $cache)"
    mkdir -p "$cache"
    rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    # What Docker's bookworm-slim leaves out: downloaded .debs, apt lists (so a build's `apt-get
    # update` is needed, as with the real one), docs, man pages and translations.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
           "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
           "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
    tar --numeric-owner --xattrs -C "$rootfs" -cf "$base_tar.tmp" .
    mv "$base_tar.tmp" "$base_tar"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  podman import --quiet "$base_tar" "$base_image" >/dev/null
  log "imported $base_image from $base_tar"
fi

# --- the build context: the Dockerfile's files plus prebuilt/{wavelb,java} ----------------------
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/docker" "$ctx/prebuilt/wavelb"
cp -a "$here/Dockerfile" "$here/jlink-modules" "$here/rootfs" "$ctx/docker/"
tar -xzf "$tarball" -C "$ctx/prebuilt/wavelb" --strip-components=1
modules="$(grep -E '^[a-z]' "$here/jlink-modules" | paste -sd, -)"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$ctx/prebuilt/java"

log "podman build $image (JDK $WAVELB_JAVA_MAJOR runtime: $modules)"
old="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
# --format docker: the OCI format has no HEALTHCHECK. (Not --layers=false: podman 4.3 then fails a
# multi-stage build at its end with "identifier is not an image".)
podman build --quiet --format docker --pull=never --isolation chroot \
  --build-arg DIST=prebuilt -f "$ctx/docker/Dockerfile" -t "$image" "$ctx" >/dev/null
new="$(podman image inspect --format '{{.Id}}' "$image")"
if [[ -n "$old" && "$old" != "$new" ]]; then
  podman rmi "$old" >/dev/null 2>&1 || true     # the previous build of this tag, now untagged
fi
echo "$image"
