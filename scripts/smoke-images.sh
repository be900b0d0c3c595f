#!/usr/bin/env bash
# Runs each built image against the local infrastructure and waits for its
# health endpoint: /health/ready for the services, the portal's
# /.backstage/health/v1/readiness.
#
#   scripts/smoke-images.sh [image ...]     (default: all five)
#
# With a container engine that can run containers (docker, or podman with
# cgroups) each image runs as a container. Where it cannot (sandboxes with
# hybrid cgroups, like this project's build machine), the chroot mode runs
# the image's own filesystem and entrypoint instead: the image's filesystem
# (podman export), bind-mounted read-only with a tmpfs /tmp, and its Cmd run
# in a chroot as the image's User with its Env and WorkingDir. Needs root.
# SMOKE_MODE=container|chroot forces one; the default tries a container first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh
set +e

REGISTRY="${IMAGE_REGISTRY:-ghcr.io/homelab}"
TAG="${IMAGE_TAG:-latest}"
MODE="${SMOKE_MODE:-auto}"
TOOL="${CONTAINER_TOOL:-podman}"
images=("$@")
[ ${#images[@]} -eq 0 ] && images=(mqtt-kafka-bridge timescaledb-sink energy-ws device-simulator homelab-portal)
if [ "$MODE" = auto ]; then
  # Can this engine run a container at all? (Hybrid cgroups in sandboxes say no.)
  if "$TOOL" run --rm --network host "$REGISTRY/${images[0]:-energy-ws}:$TAG" node -e 0 >/dev/null 2>&1; then MODE=container; else MODE=chroot; fi
  echo "[smoke] mode: $MODE" >&2
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

setsid node packages/infra/bin/homelab-infra.mjs up --write-env "$work/infra.env" >"$work/infra.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$work/infra.env" ] && break; sleep 1; done
[ -s "$work/infra.env" ] || { cat "$work/infra.log" >&2; echo "infra did not start" >&2; exit 1; }
# shellcheck disable=SC1091
set -a; source "$work/infra.env"; set +a

secret=$(openssl rand -hex 32) # energy-ws wants at least 32 bytes
# Per image: its health URL and the variables that point it at the infra.
# Ports are moved off the defaults so that the five can run side by side.
image_env() {
  case "$1" in
    mqtt-kafka-bridge) echo "KAFKA_BROKERS=$KAFKA_BROKERS MQTT_URL=$MQTT_URL OPS_PORT=19464" ;;
    timescaledb-sink) echo "KAFKA_BROKERS=$KAFKA_BROKERS TIMESCALE_URL=$TIMESCALE_URL OPS_PORT=19465" ;;
    energy-ws) echo "KAFKA_BROKERS=$KAFKA_BROKERS JWT_SECRET=$secret OPS_PORT=18080" ;;
    device-simulator) echo "MQTT_URL=$MQTT_URL OPS_PORT=19104" ;;
    homelab-portal) echo "DATABASE_URL=$DATABASE_URL KAFKA_BROKERS=$KAFKA_BROKERS TIMESCALE_URL=$TIMESCALE_URL" \
      "JWT_SECRET=$secret AUTH_SESSION_SECRET=$secret BACKEND_PORT=17007" \
      "APP_BASE_URL=http://127.0.0.1:17007 BACKEND_BASE_URL=http://127.0.0.1:17007" \
      "AUTH_OIDC_METADATA_URL=http://127.0.0.1:9/.well-known/openid-configuration" \
      "AUTH_OIDC_CLIENT_ID=smoke AUTH_OIDC_CLIENT_SECRET=smoke" ;;
  esac
}
health_url() {
  case "$1" in
    mqtt-kafka-bridge) echo http://127.0.0.1:19464/health/ready ;;
    timescaledb-sink) echo http://127.0.0.1:19465/health/ready ;;
    energy-ws) echo http://127.0.0.1:18080/health/ready ;;
    device-simulator) echo http://127.0.0.1:19104/health/ready ;;
    homelab-portal) echo http://127.0.0.1:17007/.backstage/health/v1/readiness ;;
  esac
}

run_container() { # <image-ref> <env...>
  local args=(--rm --network host --read-only --tmpfs /tmp)
  for kv in "${@:2}"; do args+=(-e "$kv"); done
  "$TOOL" run "${args[@]}" "$1"
}

# The flattened filesystem as `export` gives it (what a runtime would see);
# `image mount` shows incomplete merged layers in some sandboxes.
export_rootfs() { # <image-ref> -> prints the directory
  local rootfs cid
  rootfs=$(mktemp -d -p "$work")
  cid=$(podman create "$1") || return 1
  podman export "$cid" | tar xf - -C "$rootfs" || return 1
  podman rm "$cid" >/dev/null
  chmod 0755 "$rootfs" # mktemp's 0700 would shut the image's user out of its own /
  echo "$rootfs"
}

run_chroot() { # <image-ref> <rootfs> <env...>
  local ref=$1 rootfs=$2 mnt cfg
  cfg=$(podman image inspect "$ref" --format '{{json .Config}}')
  mnt=$(mktemp -d -p "$work")
  # The image's own Env, User, WorkingDir and Cmd, as an engine would use them.
  local user workdir cmd env
  user=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.User||"0:0")' "$cfg")
  workdir=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.WorkingDir||"/")' "$cfg")
  cmd=$(node -e 'const c=JSON.parse(process.argv[1]);console.log([...(c.Entrypoint||[]),...(c.Cmd||[])].map(a=>`'"'"'${a}'"'"'`).join(" "))' "$cfg")
  env=$(node -e 'const c=JSON.parse(process.argv[1]);console.log((c.Env||[]).map(a=>`'"'"'${a}'"'"'`).join(" "))' "$cfg")
  local extra=""
  for kv in "${@:3}"; do extra+=" '$kv'"; done
  exec unshare -m --propagation private -- sh -c "
    mount --bind '$rootfs' '$mnt' && mount -o remount,bind,ro '$mnt' &&
    mount -t tmpfs tmpfs '$mnt/tmp' && mount -t proc proc '$mnt/proc' && mount --rbind /dev '$mnt/dev' &&
    exec chroot --userspec='$user' '$mnt' /usr/bin/env -i $env $extra /bin/sh -c 'cd $workdir && exec $cmd'"
}

failed=0
for name in "${images[@]}"; do
  ref="$REGISTRY/$name:$TAG"
  # shellcheck disable=SC2046
  set -- $(image_env "$name")
  log="$work/$name.log"
  if [ "$MODE" = chroot ]; then
    # Unpacked before the health clock starts: on a busy machine it takes a while.
    rootfs=$(export_rootfs "$ref") || { echo "[smoke] FAIL $name: cannot export $ref"; failed=1; continue; }
    setsid bash -c "$(declare -f run_chroot); work='$work'; run_chroot \"\$@\"" _ "$ref" "$rootfs" "$@" >"$log" 2>&1 &
  else setsid bash -c "$(declare -f run_container); TOOL='$TOOL'; run_container \"\$@\"" _ "$ref" "$@" >"$log" 2>&1 &
  fi
  pids+=($!)
  url=$(health_url "$name")
  status=000
  for _ in $(seq 1 300); do
    status=$(curl -s -o "$work/$name.health" -w '%{http_code}' "$url")
    [ "$status" = 200 ] && break
    sleep 1
  done
  if [ "$status" = 200 ]; then
    echo "[smoke] ok   $name ($MODE): $url -> 200 $(head -c 300 "$work/$name.health")"
  else
    echo "[smoke] FAIL $name ($MODE): $url -> $status; last log lines:"
    tail -20 "$log"
    failed=1
  fi
done

# With the simulator, the bridge and the sink all up, readings must travel
# from one image to the next: MQTT -> Kafka -> TimescaleDB.
if [ $failed = 0 ] && [[ " ${images[*]} " == *" device-simulator "* && " ${images[*]} " == *" mqtt-kafka-bridge "* && " ${images[*]} " == *" timescaledb-sink "* ]]; then
  rows=0
  for _ in $(seq 1 120); do
    # The sink's own count of committed rows: the local TimescaleDB (PGlite)
    # serves one query at a time, so a second client would queue behind it.
    rows=$(curl -s http://127.0.0.1:19465/metrics | awk '/^timescaledb_sink_rows_written_total/ {n += $NF} END {print n + 0}')
    [ "${rows:-0}" -gt 0 ] && break
    sleep 1
  done
  if [ "${rows:-0}" -gt 0 ]; then echo "[smoke] ok   end to end: the sink committed $rows rows the simulator published"
  else echo "[smoke] FAIL end to end: no reading reached TimescaleDB"; failed=1
  fi
fi
exit $failed
