#!/usr/bin/env bash
# Lints .github/ (workflows and the local composite action) with actionlint, which also
# runs shellcheck over every `run:` script. actionlint is built once from the Go module
# proxy into a cache outside the repository (about 30 s) when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION="v1.7.12"
lint_bin="${XDG_CACHE_HOME:-$HOME/.cache}/app-coupling/lint/$ACTIONLINT_VERSION"

actionlint="$(command -v actionlint || true)"
if [[ -z "$actionlint" && -x "$lint_bin/actionlint" ]]; then actionlint="$lint_bin/actionlint"; fi
if [[ -z "$actionlint" && "${1:-}" == --install ]]; then
  if command -v go >/dev/null; then
    echo "lint-workflows: building actionlint $ACTIONLINT_VERSION into $lint_bin" >&2
    GOBIN="$lint_bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    actionlint="$lint_bin/actionlint"
  fi
fi
if [[ -z "$actionlint" ]]; then
  echo "lint-workflows: skipped: actionlint not found (bash scripts/lint-workflows.sh --install builds it with Go)" >&2
  exit 77
fi
args=()
if command -v shellcheck >/dev/null; then args+=(-shellcheck "$(command -v shellcheck)"); else args+=(-shellcheck=); fi
"$actionlint" "${args[@]}"
echo "lint-workflows: actionlint clean"
