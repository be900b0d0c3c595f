#!/usr/bin/env bash
# Builds every container image: one per service and the portal.
#
#   scripts/build-images.sh                 # all five
#   scripts/build-images.sh energy-ws       # only the named ones
#
# Environment:
#   IMAGE_REGISTRY  name prefix (default ghcr.io/homelab, as deploy/ expects)
#   IMAGE_TAG       tag (default latest)
#   BASE_IMAGE      base for every image (default: each Dockerfile's
#                   node:24-bookworm-slim); scripts/make-local-base-image.sh
#                   makes one from Debian packages where Docker Hub is out of reach
#   CONTAINER_TOOL  docker, podman or buildah (default: the first one that runs)
#   BUILD_FLAGS     extra flags for the build, e.g. "--network host"
#
# Host-build pattern, as Backstage does it: code is built here and the
# Dockerfiles only copy it in, so an image build needs no source toolchain.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh

SERVICES=(mqtt-kafka-bridge timescaledb-sink energy-ws device-simulator)
PORTAL=homelab-portal
REGISTRY="${IMAGE_REGISTRY:-ghcr.io/homelab}"
TAG="${IMAGE_TAG:-latest}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${SERVICES[@]}" "$PORTAL")

pick_tool() {
  if [ -n "${CONTAINER_TOOL:-}" ]; then echo "$CONTAINER_TOOL"; return; fi
  # The docker client may exist without a daemon behind it.
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then echo docker; return; fi
  for t in podman buildah; do command -v "$t" >/dev/null && { echo "$t"; return; }; done
  echo "no container build tool: install docker, podman or buildah" >&2
  exit 1
}
TOOL=$(pick_tool)

build_image() { # <name> <dockerfile>
  local args=(-f "$2" -t "$REGISTRY/$1:$TAG")
  [ -n "${BASE_IMAGE:-}" ] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
  # shellcheck disable=SC2206
  [ -n "${BUILD_FLAGS:-}" ] && args+=($BUILD_FLAGS)
  echo "[images] $TOOL build $REGISTRY/$1:$TAG" >&2
  case "$TOOL" in
    buildah) buildah build "${args[@]}" . ;;
    *) "$TOOL" build "${args[@]}" . ;;
  esac
}

# Why the services are bundled and not installed with `yarn workspaces focus
# --production`: their whole dependency tree is pure JavaScript, so esbuild
# folds it, and the workspace packages they import, into one file. The image
# then needs no node_modules, no Yarn, no registry during the build and no
# tsx at run time (tsx compiles into a cache dir, which a read-only root
# filesystem refuses): production dependencies only, by construction.
bundle_service() { # <name>
  # pg-native, bufferutil and utf-8-validate are optional native speed-ups
  # their libraries try to load and do without; they are not installed.
  esbuild "services/$1/src/main.ts" --bundle --platform=node --target=node24 --format=cjs \
    --outfile="services/$1/dist/main.cjs" --sourcemap --legal-comments=external --log-level=warning \
    --external:pg-native --external:bufferutil --external:utf-8-validate
}

build_portal_artifacts() {
  # No `yarn tsc` first: backend builds do not read dist-types, and the type
  # check is the test suite's job, not the image build's.
  yarn build:backend
  # The catalog's file locations, for the portal to read inside the image.
  git ls-files -z catalog-info.yaml catalog 'services/*/catalog-info.yaml' \
    plugins/streaming-backend/src/schema/openapi.yaml \
    | tar czf packages/backend/dist/catalog.tar.gz --null -T -
}

for t in "${targets[@]}"; do
  if [ "$t" = "$PORTAL" ]; then
    build_portal_artifacts
    build_image "$PORTAL" packages/backend/Dockerfile
  elif [ -f "services/$t/Dockerfile" ]; then
    bundle_service "$t"
    build_image "$t" "services/$t/Dockerfile"
  else
    echo "unknown image $t: one of ${SERVICES[*]} $PORTAL" >&2
    exit 1
  fi
done
