#!/bin/sh
# generator: append one random integer (0-32767) per line to $DATA_DIR/data every
# INTERVAL_SECONDS, keeping only the newest MAX_LINES lines.
#
# POSIX sh on purpose: it must run under dash and busybox ash alike (no $RANDOM,
# no bashisms). Randomness comes from /dev/urandom via od.
#
#   generator.sh           run forever (until SIGTERM/SIGINT, then exit 0)
#   generator.sh --check   liveness/readiness probe: exit 0 iff the data file exists
#                          and was modified within STALE_AFTER_SECONDS
set -u

DATA_DIR="${DATA_DIR:-/data}"
INTERVAL_SECONDS="${INTERVAL_SECONDS:-2}"
MAX_LINES="${MAX_LINES:-10000}"
DATA_FILE="$DATA_DIR/data"

log() { printf 'generator: %s\n' "$*" >&2; }

# usage_error VAR VALUE WHAT: bad configuration is a distinct exit code (2).
usage_error() {
  log "invalid $1='$2': must be $3"
  exit 2
}

# A positive decimal number such as 2, 0.1 or 1.5 (no sign, no exponent, not zero).
is_positive_number() {
  case $1 in
    '' | . | *[!0-9.]* | *.*.*) return 1 ;;
  esac
  case $1 in
    *[1-9]*) return 0 ;;
  esac
  return 1
}

# A positive integer such as 1 or 10000.
is_positive_int() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
  esac
  case $1 in
    *[1-9]*) return 0 ;;
  esac
  return 1
}

is_positive_number "$INTERVAL_SECONDS" ||
  usage_error INTERVAL_SECONDS "$INTERVAL_SECONDS" "a positive number of seconds (e.g. 2 or 0.5)"
is_positive_int "$MAX_LINES" ||
  usage_error MAX_LINES "$MAX_LINES" "a positive integer"

# ---- probe mode -------------------------------------------------------------------
if [ "${1:-}" = "--check" ]; then
  if [ -n "${STALE_AFTER_SECONDS:-}" ]; then
    is_positive_int "$STALE_AFTER_SECONDS" ||
      usage_error STALE_AFTER_SECONDS "$STALE_AFTER_SECONDS" "a positive integer"
    stale_after=$STALE_AFTER_SECONDS
  else
    # max(10, ceil(5 * INTERVAL_SECONDS)): a few missed beats before we call it dead.
    # awk because shell arithmetic is integer-only (awk is in busybox and Debian).
    stale_after=$(awk -v i="$INTERVAL_SECONDS" \
      'BEGIN { s = 5 * i; c = int(s); if (c < s) c++; if (c < 10) c = 10; print c }')
  fi
  if [ ! -f "$DATA_FILE" ]; then
    echo "generator check failed: $DATA_FILE does not exist"
    exit 1
  fi
  mtime=$(stat -c %Y "$DATA_FILE") || { echo "generator check failed: cannot stat $DATA_FILE"; exit 1; }
  age=$(($(date +%s) - mtime))
  if [ "$age" -gt "$stale_after" ]; then
    echo "generator check failed: $DATA_FILE last modified ${age}s ago (limit ${stale_after}s)"
    exit 1
  fi
  exit 0
fi

if [ "$#" -gt 0 ]; then
  log "unknown argument '$1' (the only option is --check)"
  exit 2
fi

# ---- run mode ---------------------------------------------------------------------
TMP_FILE="$DATA_DIR/.data.tmp.$$" # same directory as the data file, so mv is a rename
# Group-writable files: on OpenShift a restarted pod may get another UID in group 0.
umask 002
sleep_pid=

on_signal() {
  # The trap runs as soon as `wait` returns; the background sleep is ours to end.
  [ -n "$sleep_pid" ] && kill "$sleep_pid" 2>/dev/null
  rm -f "$TMP_FILE"
  log "stopping"
  exit 0
}
trap on_signal TERM INT

# `printf ''`, not `:`: a failed redirection on a special built-in such as `:` ends a POSIX
# shell on the spot (dash with status 2, the bad-config code) before this message prints.
if ! mkdir -p "$DATA_DIR" || ! printf '' >>"$DATA_FILE"; then
  log "cannot create $DATA_FILE (is $DATA_DIR writable by uid $(id -u) gid $(id -g)?)"
  exit 1
fi

# A failed write (a full or read-only volume) is reported once, then retried every beat:
# the file and what echo serves stay as they were, and the freshness probe (--check)
# tells the kubelet when it has lasted too long. Recovery is reported too.
failing=
write_failed() {
  [ -z "$failing" ] && log "$1 (disk full or read-only?); retrying every ${INTERVAL_SECONDS}s"
  failing=1
}
write_ok() {
  [ -n "$failing" ] && log "writing to $DATA_FILE again"
  failing=
}

# Keep existing numbers (the file may live on a volume that outlives the pod); count
# them once and track the count ourselves instead of running wc every beat.
count=$(($(wc -l <"$DATA_FILE") + 0)) # textual: some wc pad the number with spaces
log "writing to $DATA_FILE every ${INTERVAL_SECONDS}s, keeping ${MAX_LINES} lines (have $count)"

while :; do
  # Two random bytes give 0..65535; modulo 32768 keeps it uniform over 0..32767.
  n=$(($(od -An -N2 -tu2 /dev/urandom) % 32768))

  if [ "$count" -lt "$MAX_LINES" ]; then
    # A single small O_APPEND write: readers see whole lines only.
    if printf '%s\n' "$n" >>"$DATA_FILE"; then
      count=$((count + 1))
      write_ok
    else
      write_failed "cannot append to $DATA_FILE"
    fi
  else
    # Full: build the trimmed file (newest MAX_LINES-1 lines plus the new one) next to
    # it and rename over it, so the file never exceeds MAX_LINES and readers never see
    # a half-written file. `tail -n +K` (from line K on) streams; `tail -n N` would hold
    # the N lines in memory under busybox (57 MB at 10,000,000 lines).
    if { tail -n "+$((count - MAX_LINES + 2))" "$DATA_FILE" && printf '%s\n' "$n"; } >"$TMP_FILE" &&
      mv -f "$TMP_FILE" "$DATA_FILE"; then
      count=$MAX_LINES
      write_ok
    else
      rm -f "$TMP_FILE"
      write_failed "cannot rewrite $DATA_FILE"
    fi
  fi

  # sleep in the background and wait for it: a foreground sleep would delay the
  # SIGTERM trap until it finished.
  sleep "$INTERVAL_SECONDS" &
  sleep_pid=$!
  wait "$sleep_pid"
  sleep_pid=
done
