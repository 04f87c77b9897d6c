#!/usr/bin/env bash
# How long `npm test` takes, as is and beside a CPU-bound load, side by side in one run.
#   bash bench/test-suite.sh [ROUNDS] [LOAD_PROCESSES]     # default: 2 rounds, 2 load processes
# Each round runs `npm test` twice, interleaved: once as the machine is ("as-is"), once with
# LOAD_PROCESSES more busy loops ("+load": `yes >/dev/null`, stopped when the run ends). Prints one line
# per run: wall time, CPU time of the whole run (user+sys, children included), its result,
# and the 1-minute load average before it (the machine may be busy with other work: read
# the wall times against it; the CPU time barely depends on it). Each run starts without
# tsc's incremental state, as on a clean clone (a re-run with it is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
load_processes=${2:-$(nproc)}
# shellcheck source=../scripts/with-node.sh
source scripts/with-node.sh

log="$(mktemp -d)"
load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  load_pids=()
}
trap 'stop_load; rm -rf "$log"' EXIT

run_once() { # LABEL
  local label=$1 before status
  rm -rf node_modules/.cache/app-coupling # tsc's incremental state: every run checks from scratch, as on a clean clone
  before=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e %U %S' -o "$log/time" npm test >"$log/out" 2>&1 && status=0 || status=$?
  read -r wall user sys < <(tail -n 1 "$log/time") # after "Command exited with non-zero status N", if any
  local closing
  closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1 || true)
  printf '%-10s wall %6.1f s  cpu %6.1f s  exit %d  load before %5s  %s\n' \
    "$label" "$wall" "$(echo "$user + $sys" | bc)" "$status" "$before" "${closing%% (*}"
  [ "$status" = 0 ] || { echo "--- $label failed; its last lines:"; tail -n 30 "$log/out"; }
}

echo "npm test, $rounds round(s); node $(node -v), $(nproc) cores; load = $load_processes x yes >/dev/null"
for round in $(seq "$rounds"); do
  run_once "as-is"
  for _ in $(seq "$load_processes"); do yes >/dev/null & load_pids+=($!); done
  run_once "+load"
  stop_load
done
