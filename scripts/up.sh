#!/usr/bin/env bash
# Local bootstrap for the dev stack (`npm run up`):
#   local registry (localhost:5001) -> Pulumi dev stack -> every kind cluster the stack
#   deploys to, each wired to the registry -> pulumi up --refresh.
# Idempotent: re-running skips what already exists. Extra args go to `pulumi up`.
set -euo pipefail

script_dir="${BASH_SOURCE[0]%/*}"
[[ "$script_dir" != "${BASH_SOURCE[0]}" ]] || script_dir=.   # started as `bash up.sh`
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$script_dir/lib.sh"

# 1. Preconditions first, so a missing tool changes nothing.
require_tools pulumi docker kind kubectl
require_docker_engine
cd_repo_root

# 2. Local registry, following kind's "local registry" recipe
#    (https://kind.sigs.k8s.io/docs/user/local-registry/).
case "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" in
  true) log "registry $REGISTRY_NAME already running" ;;
  false)
    log "starting existing registry container $REGISTRY_NAME"
    docker start "$REGISTRY_NAME" >/dev/null
    ;;
  *)
    log "creating registry $REGISTRY_NAME on 127.0.0.1:$REGISTRY_PORT"
    docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge \
      --name "$REGISTRY_NAME" "$REGISTRY_IMAGE" >/dev/null
    ;;
esac

# 3. Pulumi: keep an existing login (e.g. Pulumi Cloud), else use the local file backend.
#    A file backend is used with metadata=skip (lib.sh race_free_backend_url); for a
#    login without it, this run only: same state, nothing stored.
if ! whoami="$(pulumi whoami -v 2>/dev/null)"; then
  log "not logged in to Pulumi: using the local backend in ~/.pulumi (pulumi login '$LOCAL_BACKEND_URL')"
  pulumi login "$LOCAL_BACKEND_URL"
else
  backend="$(backend_url_of "$whoami")"
  race_free="$(race_free_backend_url "$backend")"
  if [[ "$race_free" != "$backend" ]]; then
    log "file backend $backend: this run uses $race_free (same state; README, \"The local backend\"); to keep it: pulumi login '$race_free'"
    export PULUMI_BACKEND_URL="$race_free"
  fi
fi
# Local/passphrase stacks need a passphrase to encrypt secrets; an empty one is
# fine for a throwaway dev stack, but say so (and how to read outputs later).
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  warn "PULUMI_CONFIG_PASSPHRASE is unset: using an empty passphrase for the dev stack's secrets"
  warn "  (to run pulumi yourself on this stack later: export PULUMI_CONFIG_PASSPHRASE=)"
  export PULUMI_CONFIG_PASSPHRASE=""
fi
pulumi stack select "$STACK" --create
if ! pulumi config get context --stack "$STACK" >/dev/null 2>&1 &&
   [[ "$(pulumi config get coupling --stack "$STACK" 2>/dev/null || true)" != clusters ]]; then
  pulumi config set context "$KUBE_CONTEXT" --stack "$STACK"
fi

# 4. Every kind cluster the stack deploys to (two with coupling `clusters`), each wired
#    to the registry exactly as kind's recipe does it.
ensure_kind_cluster() {
  local name="$1" node registry_dir="/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
  if kind_cluster_exists "$name"; then
    log "kind cluster $name already exists"
  else
    log "creating kind cluster $name"
    # containerd reads per-registry config from certs.d (the default from kind v0.27 on;
    # the patch keeps older node images working the same way).
    kind create cluster --name "$name" --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
    local created_file
    created_file="$(created_clusters_file)"
    mkdir -p "${created_file%/*}"
    printf '%s\n' "$name" >>"$created_file"
  fi
  # localhost:5001 inside a node is the node itself: alias it to the registry container.
  # Always rewritten: cheap, and repairs nodes created by hand.
  for node in $(kind get nodes --name "$name"); do
    docker exec "$node" mkdir -p "$registry_dir"
    docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml" <<EOF
[host."http://${REGISTRY_NAME}:5000"]
EOF
  done
  # Advertise the registry (KEP-1755) so tools can discover it.
  kubectl --context "kind-$name" apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${REGISTRY_PORT}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
}

clusters=()
while IFS= read -r name; do [[ -n "$name" ]] && clusters+=("$name"); done < <(stack_kind_clusters)
for name in "${clusters[@]}"; do ensure_kind_cluster "$name"; done
# Nodes reach the registry by name on the kind network (once, for all clusters).
if ((${#clusters[@]})) && [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == "null" ]]; then
  log "connecting $REGISTRY_NAME to the kind network"
  docker network connect kind "$REGISTRY_NAME"
fi
if [[ "$(pulumi config get coupling --stack "$STACK" 2>/dev/null || true)" == clusters ]] &&
   ! pulumi config get --path clusters.generatorUrl --stack "$STACK" >/dev/null 2>&1; then
  warn "coupling clusters discovers the generator through a LoadBalancer address: on kind, keep"
  warn "  cloud-provider-kind running (https://github.com/kubernetes-sigs/cloud-provider-kind),"
  warn "  or set clusters.generatorUrl; otherwise the update fails fast saying so."
fi

# 5. Deploy. --refresh reads the cluster first, so a cluster or registry recreated
#    outside the program is noticed and converged instead of reported as "no changes".
pulumi up --yes --refresh --stack "$STACK" "$@"

# 6. How to reach echo.
echo
if port_forward="$(pulumi stack output portForward --stack "$STACK" 2>/dev/null)" && [[ -n "$port_forward" ]]; then
  echo "Reach echo:  $port_forward"
  echo "  then, in another shell:  curl http://localhost:8000/data"
else
  echo "Reach echo: see 'pulumi stack output portForward' (and 'pulumi stack output endpoint')."
fi
