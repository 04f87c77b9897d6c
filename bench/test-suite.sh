#!/usr/bin/env bash
# How long `npm test` takes, as is and beside a CPU-bound load, side by side in one run.
#   bash bench/test-suite.sh [ROUNDS] [TREE...]     # default: 2 rounds, this checkout
# Each round runs `npm test` in each TREE (a checkout with its node_modules, e.g. a clone
# of an older commit to compare with) twice, interleaved: once as the machine is
# ("as-is"), once beside LOAD_PROCESSES more busy loops ("+load": `yes >/dev/null`, one per
# core unless LOAD_PROCESSES says otherwise, stopped when the run ends). Prints one line
# per run: wall time, CPU time of the whole run (user+sys, children included), its result,
# and the 1-minute load average before it (the machine may be busy with other work: read
# the wall times against it; the CPU time barely depends on it). Each run starts without
# tsc's incremental state, as on a clean clone (a re-run with it is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
shift || true
trees=("$@")
[ "${#trees[@]}" -gt 0 ] || trees=("$PWD")
load_processes=${LOAD_PROCESSES:-$(nproc)}
# shellcheck source=scripts/with-node.sh
source scripts/with-node.sh

log="$(mktemp -d)"
load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  load_pids=()
}
trap 'stop_load; rm -rf "$log"' EXIT

run_once() { # TREE LABEL
  local tree=$1 label=$2 before status=0 wall user sys closing
  rm -rf "$tree/node_modules/.cache/app-coupling" # tsc's incremental state
  before=$(cut -d' ' -f1 /proc/loadavg)
  (cd "$tree" && /usr/bin/time -f '%e %U %S' -o "$log/time" npm test >"$log/out" 2>&1) || status=$?
  read -r wall user sys < <(tail -n 1 "$log/time") # after "Command exited with non-zero status N", if any
  closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1 || true)
  printf '%-8s %-7s wall %6.1f s  cpu %6.1f s  exit %d  load before %5s  %s\n' \
    "$(git -C "$tree" rev-parse --short HEAD)" "$label" "$wall" "$(echo "$user + $sys" | bc)" "$status" "$before" "${closing%% (*}"
  if [ "$status" != 0 ]; then echo "--- its last lines:"; tail -n 30 "$log/out"; fi
}

echo "npm test, $rounds round(s); node $(node -v), $(nproc) cores; +load = $load_processes x yes >/dev/null"
for _ in $(seq "$rounds"); do
  for tree in "${trees[@]}"; do
    run_once "$tree" "as-is"
    for _ in $(seq "$load_processes"); do yes >/dev/null & load_pids+=($!); done
    run_once "$tree" "+load"
    stop_load
  done
done
