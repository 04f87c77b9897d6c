#!/usr/bin/env bash
# `npm run e2e`: every end-to-end layer this machine can run, in order (e2e/README.md) —
#   e2e:containers   the images built and run in a real Docker engine, every coupling
#   e2e:engine       the real Pulumi engine: stage A (render, no cluster), stage B (kwok API server)
#   e2e:node         the real engine on a real node (stage C): kubelet, containerd, kube-proxy,
#                    CoreDNS; root and the node's tools needed (it says so when it cannot run)
#   e2e:docker       the real Docker provider under the real engine: builds, pushes, the rules of the house
# A new layer joins by its npm script here. Each layer prints its own checks and, last, its
# closing line `e2e:<layer>: N passed, N failed, N skipped`; this adds them up, names every
# layer that ran no check (each says why above), and prints the closing line
# `e2e: N passed, N failed, N skipped`. Exit status: non-zero when any layer failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

parts=(e2e:containers e2e:engine e2e:node e2e:docker)
passed=0 failed=0 skipped=0 status=0
skipped_parts=()
durations=() # each layer's wall time, for the 60-minute CI budget
extra_lines=() # lines a layer prints for the summary besides its closing line

for part in "${parts[@]}"; do
  echo "==> npm run $part"
  log="$(mktemp)"
  t0=$SECONDS
  npm run -s "$part" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  durations+=("$part $((SECONDS - t0)) s")
  line="$(grep -E "^$part: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$" "$log" | tail -1)"
  while IFS= read -r l; do extra_lines+=("$l"); done < <(grep -E '^(clusters )?switch under traffic: [0-9]+ requests, [0-9]+ failed$' "$log")
  rm -f "$log"
  if [[ -z "$line" ]]; then
    echo "e2e: $part printed no closing line (exit $rc): counted as one failure"
    failed=$((failed + 1)); status=1; continue
  fi
  extra_lines=("$line" "${extra_lines[@]}")
  [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]
  passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2])); skipped=$((skipped + BASH_REMATCH[3]))
  if ((BASH_REMATCH[1] + BASH_REMATCH[2] == 0)); then skipped_parts+=("$part"); fi
  if ((rc != 0 || BASH_REMATCH[2] > 0)); then status=1; fi
done

echo
walls="$(printf '%s, ' "${durations[@]}")"
echo "e2e: layers run: ${parts[*]} (wall time: ${walls%, })"
if ((${#skipped_parts[@]})); then
  echo "e2e: layers that ran no check (their reasons are printed above): ${skipped_parts[*]}"
fi
for l in "${extra_lines[@]}"; do echo "$l"; done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
exit "$status"
