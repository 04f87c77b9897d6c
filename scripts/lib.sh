# shellcheck shell=bash
# Shared by scripts/up.sh and scripts/down.sh (sourced, not run).
# Uses bash builtins only until the tools are known to exist, so a missing tool
# stops the script before anything has been touched.

# The names up.sh creates and down.sh removes; nothing else is ever touched.
# shellcheck disable=SC2034  # used by the scripts that source this file
CLUSTER_NAME="${KIND_CLUSTER_NAME:-app-coupling}"
KUBE_CONTEXT="kind-${CLUSTER_NAME}"
REGISTRY_NAME="kind-registry"
REGISTRY_PORT="5001"
# kind's local-registry recipe (https://kind.sigs.k8s.io/docs/user/local-registry/) runs registry:3.
REGISTRY_IMAGE="registry:3"
STACK="dev"

# Exit codes: 3 = required tools missing, 4 = Docker engine not answering.
EXIT_MISSING_TOOLS=3
EXIT_NO_DOCKER_ENGINE=4

log() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }

install_hint() {
  case "$1" in
    pulumi) echo 'curl -fsSL https://get.pulumi.com | sh   (or see https://www.pulumi.com/docs/install/)' ;;
    docker) echo 'install Docker Desktop or Docker Engine: https://docs.docker.com/get-docker/' ;;
    kind) echo 'go install sigs.k8s.io/kind@v0.33.0   (or a release binary: https://kind.sigs.k8s.io/docs/user/quick-start/#installation)' ;;
    kubectl) echo 'https://kubernetes.io/docs/tasks/tools/#kubectl' ;;
    *) echo "install '$1' and put it on PATH" ;;
  esac
}

# require_tools TOOL... : presence check only (`command -v`, never runs a tool).
# Lists every missing tool with its install hint, then exits 3.
require_tools() {
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return 0
  {
    echo "error: missing required tools: ${missing[*]}"
    for tool in "${missing[@]}"; do
      echo "  ${tool}: $(install_hint "$tool")"
    done
    echo "Nothing was changed."
  } >&2
  exit "$EXIT_MISSING_TOOLS"
}

# The docker client alone is not enough: kind and the image builds need the engine.
require_docker_engine() {
  if ! docker info >/dev/null 2>&1; then
    {
      echo "error: the Docker engine is not running (or not reachable): 'docker info' failed."
      echo "  Start Docker Desktop / the docker service (or check DOCKER_HOST), then re-run."
      echo "Nothing was changed."
    } >&2
    exit "$EXIT_NO_DOCKER_ENGINE"
  fi
}

# True when a kind cluster with this exact name exists (no grep: builtins only).
kind_cluster_exists() {
  local name
  while IFS= read -r name; do
    [[ "$name" == "$1" ]] && return 0
  done < <(kind get clusters 2>/dev/null)
  return 1
}

# Work from the repository root, wherever the script was started from.
# (BASH_SOURCE[0] is this file, always sourced by a path containing a slash.)
cd_repo_root() {
  cd "${BASH_SOURCE[0]%/*}/.." || exit 1
}

# Where up.sh records the kind clusters it created, so down.sh deletes those and no other.
created_clusters_file() {
  printf '%s\n' "${XDG_STATE_HOME:-$HOME/.local/state}/app-coupling/kind-clusters"
}

# The kind clusters the dev stack deploys to: kind-NAME contexts name kind cluster NAME.
# With coupling `clusters`, the two sides' contexts; otherwise the stack's `context`
# (unset: $CLUSTER_NAME, which up.sh then writes into the stack). Other contexts are
# not kind's and are left alone. Needs the stack selected.
stack_kind_clusters() {
  local coupling context side
  coupling="$(pulumi config get coupling --stack "$STACK" 2>/dev/null || true)"
  if [[ "$coupling" == clusters ]]; then
    for side in generator echo; do
      context="$(pulumi config get --path "clusters.${side}.context" --stack "$STACK" 2>/dev/null || true)"
      if [[ "$context" == kind-* ]]; then printf '%s\n' "${context#kind-}"
      else warn "clusters.${side}.context '${context}' is not a kind context: not creating a cluster for it"
      fi
    done
  else
    context="$(pulumi config get context --stack "$STACK" 2>/dev/null || true)"
    if [[ -z "$context" ]]; then printf '%s\n' "$CLUSTER_NAME"
    elif [[ "$context" == kind-* ]]; then printf '%s\n' "${context#kind-}"
    else warn "context '${context}' is not a kind context: not creating a cluster for it"
    fi
  fi
}
