#!/usr/bin/env bash
# Regenerates docs/screenshot.png (the Live tab) and docs/pipeline.png (the
# Pipeline tab) from the live demo: installs what is missing, builds the
# portal, then scripts/screenshots.ts (through tsx) starts fresh servers and bin/dev's
# stack, waits until the charts are full, takes both pictures and stops
# everything it started. Takes about eight minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

echo "[screenshots] building the portal (log: .tools/screenshots-app-build.log)"
yarn workspace app build >"$ROOT/.tools/screenshots-app-build.log" 2>&1 || {
  tail -40 "$ROOT/.tools/screenshots-app-build.log"
  echo "[screenshots] refused: the portal does not build; see .tools/screenshots-app-build.log" >&2
  exit 1
}
exec node --import tsx scripts/screenshots.ts "$@"
