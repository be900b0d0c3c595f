#!/usr/bin/env bash
# Builds a stand-in for the official node:24-bookworm-slim image from Debian
# packages and the Node 24 binary bootstrap.sh already fetched, for machines
# that cannot pull from Docker Hub. Usage:
#   scripts/make-local-base-image.sh [image-name]   (default localhost/homelab-node-base:24)
# then: BASE_IMAGE=localhost/homelab-node-base:24 scripts/build-images.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${1:-localhost/homelab-node-base:24}"
TOOL="${CONTAINER_TOOL:-podman}"
NODE_BIN="${NODE_BIN:-$(command -v node)}"
# Certificate authorities this machine trusts beyond Debian's (e.g. an
# egress proxy's), so that `yarn workspaces focus` in the portal's build can
# reach the npm registry the way the host does.
EXTRA_CA_DIR="${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"

command -v mmdebstrap >/dev/null || { echo "mmdebstrap missing: apt-get install mmdebstrap" >&2; exit 1; }
[ "$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')" = 24 ] || {
  echo "$NODE_BIN is not Node 24: source scripts/bootstrap.sh first or set NODE_BIN" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# minbase already carries libc6, libstdc++6 and libgcc-s1, which the Node
# binary links against; ca-certificates is what the slim image adds for TLS.
mmdebstrap --variant=minbase --include=ca-certificates \
  --customize-hook="cp '$NODE_BIN' \"\$1/usr/local/bin/node\"" \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook="cp -r '$EXTRA_CA_DIR'/. \"\$1/usr/local/share/ca-certificates/\" 2>/dev/null || true" \
  --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$work/rootfs.tar" http://deb.debian.org/debian

"$TOOL" import --change 'CMD ["node"]' --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
echo "$IMAGE"
