#!/usr/bin/env bash
# Tear down what scripts/up.sh made (`npm run down`): the dev stack's resources,
# the kind clusters up.sh created and the local registry container, by their exact names only.
# The dev stack itself (its config and history) is kept. LoadBalancer Services that
# cloud-provider-kind provisioned are released first, whether it still runs or not (lib.sh).
set -euo pipefail

script_dir="${BASH_SOURCE[0]%/*}"
[[ "$script_dir" != "${BASH_SOURCE[0]}" ]] || script_dir=.   # started as `bash down.sh`
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$script_dir/lib.sh"

# kubectl is optional (it releases LoadBalancer Services, see lib.sh); the engine is needed (kind deletes containers).
require_tools pulumi docker kind
require_docker_engine
cd_repo_root

# 1. Destroy the stack's resources first, while the cluster still exists.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  warn "PULUMI_CONFIG_PASSPHRASE is unset: using an empty passphrase (as scripts/up.sh does)"
  export PULUMI_CONFIG_PASSPHRASE=""
fi
if ! pulumi whoami >/dev/null 2>&1; then
  warn "not logged in to Pulumi: no stack to destroy"
elif ! pulumi stack select "$STACK" >/dev/null 2>&1; then
  log "no Pulumi stack '$STACK': nothing to destroy"
else
  # LoadBalancer Services first: with cloud-provider-kind stopped their deletion never ends
  while IFS= read -r name; do
    if kind_cluster_exists "$name"; then release_load_balancers "kind-$name"; fi
  done < <(stack_kind_clusters)
  log "destroying stack $STACK"
  if ! pulumi destroy --yes --stack "$STACK"; then
    # Stop here: deleting the cluster now would orphan whatever the state still tracks.
    echo "error: 'pulumi destroy' failed; the cluster and registry were left in place." >&2
    echo "  If the cluster is already gone, 'pulumi state' / 'pulumi stack rm --force $STACK' can clean up." >&2
    exit 1
  fi
fi

# 2. The kind clusters up.sh created (it records their names), and $CLUSTER_NAME.
created_file="$(created_clusters_file)"
declare -A seen=()
to_delete=("$CLUSTER_NAME")
if [[ -f "$created_file" ]]; then
  while IFS= read -r name; do [[ -n "$name" ]] && to_delete+=("$name"); done <"$created_file"
fi
for name in "${to_delete[@]}"; do
  [[ -z "${seen[$name]:-}" ]] || continue
  seen[$name]=1
  if kind_cluster_exists "$name"; then
    log "deleting kind cluster $name"
    kind delete cluster --name "$name"
  else
    log "kind cluster $name not found"
  fi
done
rm -f "$created_file"
for name in "${!seen[@]}"; do remove_load_balancer_containers "$name"; done

# 3. The registry container (its images go with it).
if docker inspect "$REGISTRY_NAME" >/dev/null 2>&1; then
  log "removing registry container $REGISTRY_NAME"
  docker rm -f "$REGISTRY_NAME" >/dev/null
else
  log "registry container $REGISTRY_NAME not found"
fi
