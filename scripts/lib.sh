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

# The local backend up.sh logs in to: ~/.pulumi, as `pulumi login --local`, without the
# metadata sidecar (race_free_backend_url).
LOCAL_BACKEND_URL='file://~?metadata=skip'

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

# A file:// backend URL with `metadata=skip` added (other URLs as they are). The file
# backend stores through gocloud.dev's fileblob, which replaces each state file atomically
# but rewrites its `.attrs` sidecar in place; the program reads its own stack (a
# StackReference) while the update saves checkpoints, and a read that finds the sidecar
# half-written fails the update with "failed to load checkpoint: EOF". `metadata=skip`
# stops the sidecar; the state stays where it is (README, "The local backend").
race_free_backend_url() {
  case "$1" in
    file://*\?metadata=* | file://*\&metadata=*) printf '%s\n' "$1" ;;
    file://*\?*) printf '%s&metadata=skip\n' "$1" ;;
    file://*) printf '%s?metadata=skip\n' "$1" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

# The "Backend URL:" line of `pulumi whoami -v` output (empty when it has none).
backend_url_of() {
  local line
  while IFS= read -r line; do
    if [[ "$line" == "Backend URL: "* ]]; then printf '%s\n' "${line#Backend URL: }"; return; fi
  done <<<"$1"
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
      else warn "clusters.${side}.context '${context}' is not a kind context: left alone (no kind cluster is made or removed for it)"
      fi
    done
  else
    context="$(pulumi config get context --stack "$STACK" 2>/dev/null || true)"
    if [[ -z "$context" ]]; then printf '%s\n' "$CLUSTER_NAME"
    elif [[ "$context" == kind-* ]]; then printf '%s\n' "${context#kind-}"
    else warn "context '${context}' is not a kind context: left alone (no kind cluster is made or removed for it)"
    fi
  fi
}

# The cleanup finalizer a cloud controller (on kind: cloud-provider-kind) puts on every
# LoadBalancer Service it provisions; only that controller removes it, after deleting the
# load balancer. With the controller stopped, deleting the Service never completes, and
# `pulumi destroy` (and the namespace's deletion) wait for it until they time out.
LB_FINALIZER="service.kubernetes.io/load-balancer-cleanup"
# The label cloud-provider-kind gives each load-balancer container (value: the kind cluster).
CPK_CLUSTER_LABEL="io.x-k8s.cloud-provider-kind.cluster"

# release_load_balancers CONTEXT: the dev stack's LoadBalancer Services in that cluster
# that carry the finalizer are deleted now; a running cloud-provider-kind releases them
# within seconds. Any still there after LB_RELEASE_SECONDS (default 30) have no controller
# to release them: the finalizer is removed (there is no cloud load balancer to leak on
# kind; its container, if one was made, is removed with the cluster), so the deletion,
# and then `pulumi destroy`, complete. Needs kubectl; without it, says what may hang.
release_load_balancers() {
  local context="$1" wait="${LB_RELEASE_SECONDS:-30}" ns name finalizers rest f fin
  if ! command -v kubectl >/dev/null 2>&1; then
    warn "kubectl not found: not releasing LoadBalancer Services in ${context}; if cloud-provider-kind is not running, 'pulumi destroy' waits for them"
    return 0
  fi
  local selector="app.kubernetes.io/part-of=app-coupling,app.kubernetes.io/instance=${STACK}"
  local jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}{" "}{.metadata.name}{" "}{.metadata.finalizers[*]}{"\n"}{end}'
  local held=()
  while read -r ns name finalizers; do
    [[ -n "$name" && " $finalizers " == *" $LB_FINALIZER "* ]] && held+=("$ns/$name")
  done < <(kubectl --context "$context" get services -A -l "$selector" -o "jsonpath=$jsonpath" 2>/dev/null || true)
  ((${#held[@]} > 0)) || return 0
  for f in "${held[@]}"; do
    log "deleting LoadBalancer Service ${f} in ${context} (its ${LB_FINALIZER} finalizer waits for cloud-provider-kind)"
    kubectl --context "$context" delete service -n "${f%%/*}" "${f#*/}" --wait=false >/dev/null 2>&1 || true
  done
  for f in "${held[@]}"; do
    ns="${f%%/*}" name="${f#*/}"
    kubectl --context "$context" wait --for=delete --timeout="${wait}s" -n "$ns" "service/$name" >/dev/null 2>&1 && continue
    finalizers="$(kubectl --context "$context" get service -n "$ns" "$name" -o 'jsonpath={.metadata.finalizers[*]}' 2>/dev/null)" || continue
    rest=""
    for fin in $finalizers; do [[ "$fin" == "$LB_FINALIZER" ]] || rest+="${rest:+,}\"$fin\""; done
    warn "service ${ns}/${name} in ${context} was not released in ${wait}s (cloud-provider-kind is not running): removing its ${LB_FINALIZER} finalizer"
    kubectl --context "$context" patch service -n "$ns" "$name" --type=merge -p "{\"metadata\":{\"finalizers\":[${rest}]}}" >/dev/null
  done
}

# remove_load_balancer_containers CLUSTER: cloud-provider-kind's load-balancer containers
# for a deleted kind cluster (left behind when it was stopped before the cluster went).
remove_load_balancer_containers() {
  local id
  while read -r id; do
    [[ -n "$id" ]] || continue
    log "removing cloud-provider-kind load-balancer container ${id} of cluster $1"
    docker rm -f "$id" >/dev/null 2>&1 || true
  done < <(docker ps -aq --filter "label=${CPK_CLUSTER_LABEL}=$1" 2>/dev/null || true)
}
