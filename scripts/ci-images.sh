#!/usr/bin/env bash
# CI's image job (`CI_IMAGES=1 .ci/run`): build all five images and smoke-run
# each against the local infrastructure. Kept out of bin/test: it needs root
# and a container tool, and the portal's dependency install alone takes
# minutes.
#
# Without BASE_IMAGE it builds the Debian-made base first, so it works where
# Docker Hub cannot be reached. SMOKE_MODE=chroot where containers cannot run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export CONTAINER_TOOL=podman
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=$(scripts/make-local-base-image.sh)
  export BASE_IMAGE
fi
# chroot isolation: RUN steps need no cgroups (sandboxed CI runners lack them).
export BUILD_FLAGS="${BUILD_FLAGS:---network host --isolation chroot}"
scripts/build-images.sh
scripts/smoke-images.sh
