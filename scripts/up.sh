#!/usr/bin/env bash
# Local bootstrap for the dev stack (`npm run up`):
#   local registry (localhost:5001) -> kind cluster wired to it -> Pulumi dev stack -> pulumi up.
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

# 3. kind cluster whose containerd reads per-registry config from certs.d.
if kind_cluster_exists "$CLUSTER_NAME"; then
  log "kind cluster $CLUSTER_NAME already exists"
else
  log "creating kind cluster $CLUSTER_NAME"
  kind create cluster --name "$CLUSTER_NAME" --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
fi

# 4. Make localhost:5001 inside each node resolve to the registry container.
#    Always rewritten: cheap, and repairs nodes created by hand.
registry_dir="/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
nodes="$(kind get nodes --name "$CLUSTER_NAME")"
for node in $nodes; do
  docker exec "$node" mkdir -p "$registry_dir"
  docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml" <<EOF
[host."http://${REGISTRY_NAME}:5000"]
EOF
done

# 5. Put the registry on the kind network so nodes can reach it by name.
if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == "null" ]]; then
  log "connecting $REGISTRY_NAME to the kind network"
  docker network connect kind "$REGISTRY_NAME"
fi

# 6. Advertise the registry (KEP-1755) so tools can discover it.
kubectl --context "$KUBE_CONTEXT" apply -f - <<EOF
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

# 7. Pulumi: keep an existing login (e.g. Pulumi Cloud), else use the local file backend.
if ! pulumi whoami >/dev/null 2>&1; then
  log "not logged in to Pulumi: using the local backend (pulumi login --local)"
  pulumi login --local
fi
# Local/passphrase stacks need a passphrase to encrypt secrets; an empty one is
# fine for a throwaway dev stack, but say so.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  warn "PULUMI_CONFIG_PASSPHRASE is unset: using an empty passphrase for the dev stack's secrets"
  export PULUMI_CONFIG_PASSPHRASE=""
fi

pulumi stack select "$STACK" --create
if context="$(pulumi config get context --stack "$STACK" 2>/dev/null)"; then
  [[ "$context" == "$KUBE_CONTEXT" ]] ||
    warn "stack $STACK deploys to context '$context', not the cluster just prepared ($KUBE_CONTEXT)"
else
  pulumi config set context "$KUBE_CONTEXT" --stack "$STACK"
fi

pulumi up --yes --stack "$STACK" "$@"

# 8. How to reach echo.
echo
if port_forward="$(pulumi stack output portForward --stack "$STACK" 2>/dev/null)" && [[ -n "$port_forward" ]]; then
  echo "Reach echo:  $port_forward"
  echo "  then, in another shell:  curl http://localhost:8000/data"
else
  echo "Reach echo: see 'pulumi stack output portForward' (and 'pulumi stack output endpoint')."
fi
