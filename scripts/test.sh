#!/usr/bin/env bash
# `npm test` (run through scripts/with-node.sh): the type-check of everything
# (tsc --noEmit), the lint (eslint .) and the specs (mocha), the first two side by side
# with mocha rather than before it: each is mostly one core's work, and the specs mostly
# wait on the processes they run, so the whole takes about as long as mocha alone. Their
# output follows mocha's; a failure of any of the three fails the run, and the closing
# line `N passed, N failed, N skipped` counts tsc and eslint as one check each.
#   bash scripts/test.sh [mocha args]     # default: every test/**/*.spec.ts
set -uo pipefail
cd "$(dirname "$0")/.." || exit
PATH="$PWD/node_modules/.bin:$PATH" # as under npm run, also when run directly

out="$(mktemp -d)"
pids=()
cleanup() {
  # interrupted: stop tsc and eslint (each a child of its subshell), not only the subshells
  for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; done
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# tsc's incremental state (it re-reports every error of an unchanged file; a clean clone
# has none and checks everything), kept out of the work tree
cache=node_modules/.cache/app-coupling
mkdir -p "$cache"

start=$SECONDS
run() { # NAME COMMAND...: in the background, output to $out/NAME, status and seconds to $out/NAME.status
  local name=$1; shift
  ( local t=$SECONDS; "$@" >"$out/$name" 2>&1; echo "$? $((SECONDS - t))" >"$out/$name.status" ) &
  pids+=($!)
}
run tsc tsc --noEmit --incremental --tsBuildInfoFile "$cache/tsc.tsbuildinfo"
run eslint eslint .

[ "$#" -gt 0 ] || set -- 'test/**/*.spec.ts'
APP_COUPLING_TEST_STATS="$out/mocha.stats" mocha "$@"
mocha_status=$?
mocha_seconds=$((SECONDS - start))
wait "${pids[@]}"
pids=()

read -r passed failed skipped < <(cat "$out/mocha.stats" 2>/dev/null || echo "0 1 0")
[ -s "$out/mocha.stats" ] || echo "mocha: no results (exit $mocha_status)"
[ "$mocha_status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
checks=()
for name in tsc eslint; do
  read -r status seconds <"$out/$name.status"
  label=$name; [ "$name" = tsc ] && label="tsc --noEmit"
  if [ "$status" = 0 ]; then
    passed=$((passed + 1)); checks+=("$label ok (${seconds} s)")
  else
    echo; echo "$label failed (exit $status):"; cat "$out/$name"
    failed=$((failed + 1)); checks+=("$label FAILED")
  fi
done
summary=$(printf '; %s' "${checks[@]}")
echo "$passed passed, $failed failed, $skipped skipped (mocha ${mocha_seconds} s${summary}; ${SECONDS} s in all)"
[ "$failed" = 0 ]
