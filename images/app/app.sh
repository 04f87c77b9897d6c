#!/bin/sh
# app: the combined image's entrypoint. Runs generator.sh and echo.py (found next to
# this script, as they sit in the image) with the same environment, as one unit:
#   - SIGTERM/SIGINT is forwarded to both; we exit within 2 s leaving neither running;
#   - as soon as either program dies we stop the other and exit non-zero, so the
#     kubelet restarts the container.
#
#   app.sh           run both
#   app.sh --check   the container's probe: generator.sh --check and echo's /healthz
set -u

here=$(cd "$(dirname "$0")" && pwd)
PYTHON="${PYTHON:-python3}"

if [ "${1:-}" = "--check" ]; then
  # A liveness probe every 10 s: no cold Python here (its start-up alone comes close to the
  # probe's timeout on a loaded node). busybox wget (Alpine's wget is busybox) asks echo's
  # /healthz, no proxy, within 2 s; it exits non-zero on a refused connection or an error
  # status, and timeout on a hung one.
  sh "$here/generator.sh" --check || exit 1
  if command -v busybox >/dev/null 2>&1; then
    busybox timeout 2 busybox wget -q -Y off -O /dev/null "http://127.0.0.1:${PORT:-8000}/healthz" || {
      echo "app check failed: echo's /healthz did not answer 200" >&2
      exit 1
    }
  else
    "$PYTHON" "$here/echo.py" --probe /healthz || exit 1 # no busybox: the slow way
  fi
  exit 0
fi
if [ "$#" -gt 0 ]; then
  echo "app: unknown argument '$1' (the only option is --check)" >&2
  exit 2
fi

gen_pid=
echo_pid=
sleep_pid=

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# stop RC: TERM both children, give them ~1.5 s, KILL what is left, reap, exit RC.
stop() {
  trap '' TERM INT # a second signal must not re-enter this
  [ -n "$sleep_pid" ] && kill "$sleep_pid" 2>/dev/null
  for pid in $gen_pid $echo_pid; do kill -TERM "$pid" 2>/dev/null; done
  i=0
  while [ "$i" -lt 15 ] && { alive "$gen_pid" || alive "$echo_pid"; }; do
    sleep 0.1
    i=$((i + 1))
  done
  for pid in $gen_pid $echo_pid; do kill -KILL "$pid" 2>/dev/null; done
  wait
  exit "$1"
}
trap 'echo "app: stopping" >&2; stop 0' TERM INT

sh "$here/generator.sh" &
gen_pid=$!
"$PYTHON" "$here/echo.py" &
echo_pid=$!

# Poll both. `wait` on the background sleep reaps exited children, so kill -0 stops
# seeing a dead child (rather than its zombie) right after it dies; `sleep & wait`
# also lets the signal trap run immediately.
while :; do
  for name in generator echo; do
    if [ "$name" = generator ]; then pid=$gen_pid; else pid=$echo_pid; fi
    if ! alive "$pid"; then
      wait "$pid"
      rc=$?
      echo "app: $name (pid $pid) exited with status $rc; stopping" >&2
      [ "$rc" -eq 0 ] && rc=1 # a program ending on its own is a failure here
      stop "$rc"
    fi
  done
  sleep 0.2 &
  sleep_pid=$!
  wait "$sleep_pid"
  sleep_pid=
done
