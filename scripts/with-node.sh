#!/usr/bin/env bash
# Runs a command with a Node.js >= 22 first on PATH. When the machine's own node is
# older (Node 20 reached end of life in April 2026), the current LTS is installed once
# from the npm registry (the `node` package ships the official builds) into a cache
# outside the repository, so nobody has to install anything by hand.
#   bash scripts/with-node.sh npm test      # or: source it to change the current shell
set -euo pipefail

APP_COUPLING_NODE_MAJOR="${APP_COUPLING_NODE_MAJOR:-24}"      # current Active LTS
APP_COUPLING_NODE_PREFIX="${APP_COUPLING_NODE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/app-coupling/node}"

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge 22 ]; then return 0; fi
  local bin="$APP_COUPLING_NODE_PREFIX/node_modules/node/bin"
  if [ "$(node_major "$bin/node")" -lt 22 ]; then
    echo "with-node: node $(node -v 2>/dev/null || echo missing) is older than 22; installing node@$APP_COUPLING_NODE_MAJOR into $APP_COUPLING_NODE_PREFIX" >&2
    mkdir -p "$APP_COUPLING_NODE_PREFIX"
    npm install --prefix "$APP_COUPLING_NODE_PREFIX" --no-audit --no-fund --no-save --loglevel=error \
      "node@$APP_COUPLING_NODE_MAJOR" >&2
  fi
  export PATH="$bin:$PATH"
  [ "$(node_major)" -ge 22 ] || { echo "with-node: could not provide Node.js >= 22" >&2; return 1; }
}

ensure_node
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$#" -gt 0 ]; then exec "$@"; fi
