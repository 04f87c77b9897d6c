#!/usr/bin/env bash
# npm run e2e:containers — the images built and run in a real Docker engine, every coupling.
#
# Installs what it needs when missing (as root, from Debian's apt: docker.io, docker-registry;
# busybox-static is only downloaded, to build stand-in bases), starts dockerd when no engine
# answers, runs the checks (e2e/containers/run.ts) and stops what it started. The checks
# print one line each and the closing line "e2e:containers: N passed, N failed, N skipped";
# without any engine the layer prints why and counts as skipped. Safe in CI: no stdin,
# bounded in time (E2E_TIMEOUT seconds).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# shellcheck source=scripts/with-node.sh
source scripts/with-node.sh >/dev/null
set +e # with-node.sh may turn on errexit; this script checks each status itself

say() { printf 'e2e:containers: %s\n' "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e-containers.XXXXXX")
export E2E_WORK="$WORK"
started_dockerd=

# run.ts stops the dockerd started here with its other cleanups (before its closing line);
# this stops it when run.ts could not (killed, timed out).
# shellcheck disable=SC2317 # called by the EXIT trap
stop_started() {
    local rc=$?
    if [ -n "$started_dockerd" ] && kill -0 "$started_dockerd" 2>/dev/null; then
        say "stopping the dockerd we started (pid $started_dockerd)"
        kill "$started_dockerd" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$started_dockerd" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap stop_started EXIT
trap 'exit 130' INT TERM

as_root() { [ "$(id -u)" = 0 ]; }

# ---- packages -------------------------------------------------------------------------
need=()
command -v docker >/dev/null || need+=(docker.io)
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
if [ "${#need[@]}" -gt 0 ]; then
    if as_root && command -v apt-get >/dev/null; then
        say "installing ${need[*]} (apt-get)"
        { timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
            --no-install-recommends "${need[@]}"; } </dev/null >"$WORK/apt.log" 2>&1 \
            || say "apt-get install ${need[*]} failed (see below); the checks that need them are skipped"$'\n'"$(tail -5 "$WORK/apt.log")"
    else
        say "missing ${need[*]} and not root with apt-get: not installing"
    fi
fi
# A static busybox for the stand-in bases: downloaded, not installed (it conflicts with busybox).
BUSYBOX_STATIC="${XDG_CACHE_HOME:-$HOME/.cache}/app-coupling/busybox-static"
if [ ! -x "$BUSYBOX_STATIC" ] && command -v apt-get >/dev/null; then
    mkdir -p "$(dirname "$BUSYBOX_STATIC")"
    (cd "$WORK" && timeout 120 apt-get download busybox-static </dev/null >/dev/null 2>&1 \
        && dpkg-deb -x busybox-static_*.deb bbs && cp bbs/bin/busybox "$BUSYBOX_STATIC") \
        || say "could not download busybox-static; an Alpine stand-in will use the host's busybox and its libraries"
fi
[ -x "$BUSYBOX_STATIC" ] && export E2E_BUSYBOX="$BUSYBOX_STATIC"

# ---- engine ---------------------------------------------------------------------------
engine_up() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! command -v docker >/dev/null; then
    export E2E_NO_ENGINE="no docker CLI (docker.io could not be installed)"
elif engine_up; then
    say "using the running Docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
elif ! command -v dockerd >/dev/null; then
    export E2E_NO_ENGINE="no engine answers and there is no dockerd to start"
elif ! as_root; then
    export E2E_NO_ENGINE="no engine answers and starting dockerd needs root"
else
    # Flags that work in containers/VMs without iptables or a systemd: no iptables rules
    # (user-defined networks still route between containers), overlay2, else vfs.
    for driver in overlay2 vfs; do
        say "starting dockerd (storage driver $driver)"
        dockerd --iptables=false --ip6tables=false --storage-driver="$driver" \
            --data-root="${E2E_DOCKER_ROOT:-/var/lib/docker}" </dev/null >"$WORK/dockerd-$driver.log" 2>&1 &
        started_dockerd=$!
        for _ in $(seq 1 60); do engine_up && break; kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.5; done
        if engine_up; then break; fi
        say "dockerd ($driver) did not come up: $(tail -2 "$WORK/dockerd-$driver.log" | tr '\n' ' ')"
        kill "$started_dockerd" 2>/dev/null; wait "$started_dockerd" 2>/dev/null
        started_dockerd=
    done
    engine_up || export E2E_NO_ENGINE="dockerd would not start here (see its log lines above)"
fi

# ---- the checks -----------------------------------------------------------------------
[ -n "$started_dockerd" ] && export E2E_STARTED_DOCKERD="$started_dockerd"
# Bounded: the whole run is killed after E2E_TIMEOUT seconds (default 14 min).
timeout --kill-after=20 "${E2E_TIMEOUT:-840}" npx ts-node --transpile-only e2e/containers/run.ts </dev/null
rc=$?
[ "$rc" = 124 ] && say "timed out after ${E2E_TIMEOUT:-840} s"
exit "$rc"
