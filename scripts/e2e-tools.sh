#!/usr/bin/env bash
# npm run e2e:tools — builds the tools the real-engine e2e suites (e2e/engine/, e2e/docker/)
# run, from the Go module proxy and two source trees (below), into a cache OUTSIDE the
# repository:
#
#   ${APP_COUPLING_TOOLS:-$HOME/.cache/app-coupling/tools}/
#     bin/            pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes,
#                     kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#                     etcd, kwok, kwokctl, helm; for the real node (e2e/node/): kubelet,
#                     kube-proxy, coredns, local-path-provisioner
#     node-root/      Debian's containerd, runc, CNI plugins, iptables/nft, conntrack,
#                     busybox-static, unpacked (`apt-get download` + `dpkg -x`), not installed
#     node-bin/       wrappers that run node-root's programs with its libraries
#     images/         pause.tar, local-path-helper.tar: one-layer images for `ctr import`
#     plugins/        pulumi-resource-docker (kept off PATH: the suites install it into
#                     their PULUMI_HOME as the version @pulumi/docker asks for)
#     stamps/<tool>   the wanted version a binary was built at (reused while it matches)
#     versions        every wanted version; written once all tools are built
#     build-times.log one line per build: date, tool, version, seconds, cold|warm
#     src/<tool>/     generated wrapper modules (go.mod + tools.go), or the laid-out source
#                     tree of a tool built from source; nothing is committed
#     logs/<tool>.log the build output of each tool
#
# Usage: scripts/e2e-tools.sh [--force] [TOOL...]
#   --force  rebuild even when the stamp matches (the Go module/build caches stay
#            warm: this is how the "warm" build time is measured)
#   TOOL     only these of: pulumi langhost k8s-provider kube etcd kwok helm
#            kube-node coredns local-path node-debs node-images docker-provider
#
# Module sources stay in Go's module cache and objects in Go's build cache; only the
# binaries land in bin/ (and plugins/). Nothing is downloaded from anywhere but the Go
# module proxy (and, for node-debs, Debian's archive through apt).
#
# Two tools no module proxy serves build from public source trees named by environment
# variables (each a git directory without a work tree, or a checkout: its HEAD commit is
# built). Unset, the tool is skipped with one line (a binary built earlier is kept):
#   APP_COUPLING_PULUMI_SRC         github.com/pulumi/pulumi: the Node.js language host
#   APP_COUPLING_PULUMI_DOCKER_SRC  github.com/pulumi/pulumi-docker, and
#   APP_COUPLING_TF_DOCKER_SRC      github.com/kreuzwerker/terraform-provider-docker (its
#                                   upstream): pulumi-resource-docker
# Nothing of those trees is committed; they are laid out under src/ and built there.
# (With internet access none of this is needed: the Pulumi CLI ships the language host
# and downloads the Docker provider itself.)
set -euo pipefail

TOOLS="${APP_COUPLING_TOOLS:-$HOME/.cache/app-coupling/tools}"
# the repository, for tools built from its own sources (the real node's)
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# ---- wanted versions --------------------------------------------------------------
# Pulumi CLI and language host: the version of the locked @pulumi/pulumi.
PULUMI_VERSION="v3.276.0"
# The Node.js language host: the proxy here refuses every version of
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (its @v/list and
# @latest answer 403), so it is built from a pulumi/pulumi source tree, whose go.mod
# replaces pkg and sdk with the tree's own. The host's protocol is the engine's gRPC
# API; the suites prove it runs the locked @pulumi/pulumi under PULUMI_VERSION's CLI.
PULUMI_SRC="${APP_COUPLING_PULUMI_SRC:-}"
# pulumi-resource-docker: pulumi/pulumi-docker's provider with its upstream (the
# kreuzwerker commit its `upstream` submodule pins) laid out at upstream/ and its
# patches/ applied, as its scripts/upstream.sh does. Stamped as the version of the
# locked @pulumi/docker, the version the SDK asks the engine for (its schema for Image,
# RegistryImage and Provider is the npm SDK's).
PULUMI_DOCKER_SRC="${APP_COUPLING_PULUMI_DOCKER_SRC:-}"
TF_DOCKER_SRC="${APP_COUPLING_TF_DOCKER_SRC:-}"
DOCKER_PROVIDER_VERSION="5.2.0"
# pulumi-kubernetes' provider module is untagged; the proxy serves this one commit.
# K8S_PROVIDER_VERSION is the release that commit belongs to (nearest tag, from the
# module's own CHANGELOG.md): the version the plugin reports and is installed as.
K8S_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
K8S_PROVIDER_MODULE_VERSION="v4.0.0-20260115033456-f47bc2d6f199"
# That commit (2026-01-15T03:34:56Z) lies between the sdk/v4.24.1 tag (2025-11-24) and
# the sdk/v4.25.0 tag (2026-01-16): a pre-release of 4.25.0, stamped as such.
K8S_PROVIDER_VERSION="4.25.0-dev.20260115033456+f47bc2d6f199"
# Control plane: the Kubernetes minor kwok v0.8.0 is built against (k8s.io/* v0.36).
KUBE_VERSION="v1.36.3"
ETCD_VERSION="v3.6.16"
KWOK_VERSION="v0.8.0"
# The real node (e2e/node/): kubelet and kube-proxy from the same k8s.io/kubernetes as the
# control plane; CoreDNS with a short plugin list (e2e/node/coredns/main.go); the
# local-path provisioner kind uses (v0.0.30 is the only version the proxy serves).
COREDNS_VERSION="v1.15.0"
COREDNS_SRC="$REPO/e2e/node/coredns"
LOCAL_PATH_VERSION="v0.0.30"
NODE_SRC="$REPO/e2e/node"
# Debian's parts of a node. Unpacked, not installed: nothing on the machine changes (the
# machine's own containerd may be serving a dockerd), no maintainer scripts run, no root
# needed, and the versions are the stamp's. Their library closure comes along (below).
NODE_DEBS=(containerd runc containernetworking-plugins iptables nftables conntrack busybox-static)
# Helm, for `npm run bench:deploy`'s peer (a chart of the rendered manifests). v4, the
# current major: Helm 3 gets security fixes only since its final feature release
# (2026-09-09; none after 2027-02-10), and v4 applies server-side, as Pulumi and the
# bench's `kubectl apply --server-side` do, so the peers do the same kind of work.
HELM_VERSION="v4.3.1"

export GOFLAGS="-buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

BIN="$TOOLS/bin"
PLUGINS="$TOOLS/plugins"
STAMPS="$TOOLS/stamps"
SRC="$TOOLS/src"
LOGS="$TOOLS/logs"
TIMES="$TOOLS/build-times.log"

log() { printf '==> %s\n' "$*"; }
die() { printf 'e2e-tools: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26 is needed)"
mkdir -p "$BIN" "$PLUGINS" "$STAMPS" "$SRC" "$LOGS"

FORCE=0
ONLY=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    pulumi | langhost | k8s-provider | kube | etcd | kwok) ONLY+=("$arg") ;;
    helm) ONLY+=("$arg") ;;
    kube-node | coredns | local-path | node-debs | node-images) ONLY+=("$arg") ;;
    docker-provider) ONLY+=("$arg") ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

wanted() { # wanted TOOL -> the stamp content for TOOL
  local go_version
  go_version="$(go env GOVERSION)"
  case "$1" in
    pulumi) echo "pulumi $PULUMI_VERSION $go_version" ;;
    langhost) echo "langhost pulumi@$(src_commit "$PULUMI_SRC" HEAD) $go_version" ;;
    k8s-provider) echo "k8s-provider $K8S_PROVIDER_MODULE_VERSION $K8S_PROVIDER_VERSION $go_version" ;;
    kube) echo "kube $KUBE_VERSION $go_version" ;;
    etcd) echo "etcd $ETCD_VERSION $go_version" ;;
    kwok) echo "kwok $KWOK_VERSION $go_version" ;;
    kube-node) echo "kube-node $KUBE_VERSION $go_version" ;;
    coredns) echo "coredns $COREDNS_VERSION $(sha256sum "$COREDNS_SRC/main.go" | cut -c1-12) $go_version" ;;
    local-path) echo "local-path $LOCAL_PATH_VERSION $go_version" ;;
    node-debs) echo "node-debs $(deb_versions)" ;;
    node-images) echo "node-images $(cat "$NODE_SRC/pause/main.go" "$NODE_SRC/mkimage.py" "$STAMPS/node-debs" 2>/dev/null | sha256sum | cut -c1-12) $go_version" ;;
    helm) echo "helm $HELM_VERSION $go_version" ;;
    docker-provider) echo "docker-provider $DOCKER_PROVIDER_VERSION pulumi-docker@$(src_commit "$PULUMI_DOCKER_SRC" HEAD) upstream@$(docker_upstream_pin) $go_version" ;;
  esac
}

binaries() { # binaries TOOL -> the files TOOL puts into bin/
  case "$1" in
    pulumi) echo pulumi ;;
    langhost) echo pulumi-language-nodejs ;;
    k8s-provider) echo pulumi-resource-kubernetes ;;
    kube) echo kube-apiserver kube-controller-manager kube-scheduler kubectl ;;
    etcd) echo etcd ;;
    kwok) echo kwok kwokctl ;;
    kube-node) echo kubelet kube-proxy ;;
    coredns) echo coredns ;;
    local-path) echo local-path-provisioner ;;
    node-debs) echo ../node-bin/containerd ../node-bin/runc ../node-bin/iptables ../node-bin/nft ../node-bin/conntrack ;;
    node-images) echo ../images/pause.tar ../images/local-path-helper.tar ;;
    helm) echo helm ;;
    docker-provider) echo ../plugins/pulumi-resource-docker ;;
  esac
}

unavailable() { # unavailable TOOL -> why TOOL cannot be built here (nothing: it can)
  case "$1" in
    langhost) [[ -n "$PULUMI_SRC" ]] ||
      echo "set APP_COUPLING_PULUMI_SRC to a git directory or checkout of github.com/pulumi/pulumi" ;;
    docker-provider) [[ -n "$PULUMI_DOCKER_SRC" && -n "$TF_DOCKER_SRC" ]] ||
      echo "set APP_COUPLING_PULUMI_DOCKER_SRC and APP_COUPLING_TF_DOCKER_SRC to git directories or checkouts of github.com/pulumi/pulumi-docker and github.com/kreuzwerker/terraform-provider-docker" ;;
  esac
}

up_to_date() {
  local tool="$1" b
  if [[ -n "$(unavailable "$tool")" ]]; then
    [[ -f "$STAMPS/$tool" ]] || return 1 # built earlier from a source not named now: kept
  else
    [[ -f "$STAMPS/$tool" && "$(cat "$STAMPS/$tool")" == "$(wanted "$tool")" ]] || return 1
  fi
  for b in $(binaries "$tool"); do [[ -x "$BIN/$b" || ("$b" == *.tar && -f "$BIN/$b") ]] || return 1; done
}

# new_wrapper DIR MODULE_NAME GO_VERSION: a fresh wrapper module directory
new_wrapper() {
  rm -rf "$1"
  mkdir -p "$1"
  printf 'module %s\n\ngo %s\n' "$2" "$3" >"$1/go.mod"
}

# tools_go DIR IMPORT...: a tools.go that imports the main packages, so `go mod tidy`
# records everything they need
tools_go() {
  local dir="$1" pkg
  shift
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for pkg in "$@"; do printf '\t_ "%s"\n' "$pkg"; done
    printf ')\n'
  } >"$dir/tools.go"
}

# mod_file MODULE VERSION -> path of that module version's go.mod in Go's cache
mod_file() { go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'; }
# mod_dir MODULE VERSION -> the module's extracted (read-only) directory in Go's cache
mod_dir() { go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

# copy_replaces GOMOD WRAPPER_DIR: repeats GOMOD's replace directives whose target is
# a module (not a relative path) in the wrapper's go.mod
copy_replaces() {
  local line
  awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { print; next }
    /^replace[[:space:]]/ { sub(/^replace[[:space:]]+/, ""); print }
  ' "$1" | while IFS= read -r line; do
    line="${line%%//*}"
    [[ "$line" == *"=>"* ]] || continue
    local target="${line#*=>}"
    target="${target#"${target%%[![:space:]]*}"}"
    [[ "$target" == .* || "$target" == /* ]] && continue
    (cd "$2" && go mod edit -replace "$(echo "${line%%=>*}" | xargs | tr ' ' '@')=$(echo "$target" | xargs | tr ' ' '@')")
  done
}

build_pulumi() {
  local dir="$SRC/pulumi"
  new_wrapper "$dir" app-coupling-tools/pulumi "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit \
    -require "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    -require "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")
  copy_replaces "$(mod_file github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION")" "$dir"
  tools_go "$dir" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

# src_git DIR GIT-ARGS...: git on a source tree given as a git directory or a checkout
src_git() {
  local dir="$1"
  shift
  if [[ -e "$dir/.git" ]]; then git -C "$dir" "$@"; else git --git-dir="$dir" "$@"; fi
}

# src_commit DIR REV -> the full commit REV names in DIR (fails with a clear message)
src_commit() {
  src_git "$1" rev-parse --verify --quiet "$2^{commit}" && return
  printf 'e2e-tools: %s is not a git directory or checkout holding %s\n' "$1" "$2" >&2
  return 1
}

# src_archive DIR REV DEST [PATH...]: REV's tree (or PATHs of it) written into DEST. A
# snapshot may lack some large blobs (a partial clone); those files are left out, each
# named in the log, so a build that needs one fails on that file rather than here.
src_archive() {
  local dir="$1" rev="$2" dest="$3" oid kind file
  shift 3
  local -A path_of=()
  local excludes=()
  local listing
  listing="$(src_git "$dir" ls-tree -r --format='%(objecttype) %(objectname) %(path)' "$rev" -- "$@")" || return 1
  while read -r kind oid file; do
    [[ "$kind" == blob ]] && path_of[$oid]="$file"
  done <<<"$listing"
  while read -r oid kind; do
    [[ "$kind" == missing ]] || continue
    echo "source $dir: blob $oid (${path_of[$oid]}) is missing from the snapshot: left out"
    excludes+=(":(exclude)${path_of[$oid]}")
  done < <(printf '%s\n' "${!path_of[@]}" | src_git "$dir" cat-file --batch-check='%(objectname) %(objecttype)')
  mkdir -p "$dest" || return 1
  src_git "$dir" archive --format=tar "$rev" -- "$@" "${excludes[@]}" | tar -x -C "$dest"
}

build_langhost() {
  local dir="$SRC/langhost" commit sdk_version
  commit="$(src_commit "$PULUMI_SRC" HEAD)" || return 1
  rm -rf "$dir"
  src_archive "$PULUMI_SRC" "$commit" "$dir" sdk pkg || return 1
  # the tree's own version (sdk/.version names the release it leads to), marked as a
  # development build of that commit
  sdk_version="$(tr -d '[:space:]' <"$dir/sdk/.version")" || return 1
  (cd "$dir/sdk/nodejs/cmd/pulumi-language-nodejs" && go mod download &&
    go build -trimpath -o "$BIN/pulumi-language-nodejs" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$sdk_version-dev+${commit:0:10}" .)
}

build_k8s_provider() {
  local dir="$SRC/k8s-provider" src
  src="$(mod_dir "$K8S_PROVIDER_MODULE" "$K8S_PROVIDER_MODULE_VERSION")"
  new_wrapper "$dir" app-coupling-tools/k8s-provider "$(go env GOVERSION | sed 's/^go//')"
  # The embedded files come from the module's own `go generate` over its committed JSON:
  # run it on a writable copy of the module (Go's module cache is read-only), then
  # build the wrapper against that copy.
  cp -r "$src" "$dir/provider"
  chmod -R u+w "$dir/provider"
  (cd "$dir/provider" && go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 &&
    cd cmd/pulumi-resource-kubernetes && VERSION="$K8S_PROVIDER_VERSION" go generate .)
  (cd "$dir" && go mod edit \
    -require "$K8S_PROVIDER_MODULE@$K8S_PROVIDER_MODULE_VERSION" \
    -replace "$K8S_PROVIDER_MODULE=./provider")
  copy_replaces "$dir/provider/go.mod" "$dir"
  tools_go "$dir" "$K8S_PROVIDER_MODULE/cmd/pulumi-resource-kubernetes"
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/pulumi-resource-kubernetes" \
      -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=$K8S_PROVIDER_VERSION" \
      "$K8S_PROVIDER_MODULE/cmd/pulumi-resource-kubernetes")
}

# kube_wrapper DIR NAME: a wrapper module for k8s.io/kubernetes at KUBE_VERSION (the
# control plane's and the node's are built from the same one)
kube_wrapper() {
  local dir="$1" kmod staging m
  kmod="$(mod_file k8s.io/kubernetes "$KUBE_VERSION")"
  new_wrapper "$dir" "$2" "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION")
  # k8s.io/kubernetes replaces every staging module with ./staging/src/...: point each
  # at its published v0.X.Y instead, and repeat its other replaces.
  staging="v0.${KUBE_VERSION#v1.}"
  while IFS= read -r m; do
    (cd "$dir" && go mod edit -replace "$m=$m@$staging")
  done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$kmod")
  copy_replaces "$kmod" "$dir"
  if grep -q '^godebug' "$kmod"; then
    (cd "$dir" && grep '^godebug' "$kmod" >>go.mod)
  fi
}

# kube_ldflags: the version stamps `kubectl version` and the components report
kube_ldflags() {
  local minor vpkg ldflags=""
  minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  for vpkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor"
    ldflags+=" -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$ldflags"
}

# kube_build DIR PACKAGE...: tools.go, go mod tidy, and the binaries into bin/
kube_build() {
  local dir="$1"
  shift
  tools_go "$dir" "$@"
  (cd "$dir" && go mod tidy && go build -trimpath -o "$BIN/" -ldflags "$(kube_ldflags)" "$@")
}

build_kube() {
  kube_wrapper "$SRC/kube" app-coupling-tools/kube
  kube_build "$SRC/kube" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

# A tool of its own (not added to `kube`), so the control plane's stamp stays as it is.
build_kube_node() {
  kube_wrapper "$SRC/kube-node" app-coupling-tools/kube-node
  kube_build "$SRC/kube-node" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
}

build_etcd() {
  local dir="$SRC/etcd"
  new_wrapper "$dir" app-coupling-tools/etcd "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit -require "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  tools_go "$dir" go.etcd.io/etcd/server/v3
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/etcd" \
      -ldflags "-s -w" \
      go.etcd.io/etcd/server/v3)
}

build_kwok() {
  local dir="$SRC/kwok"
  new_wrapper "$dir" app-coupling-tools/kwok "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit -require "sigs.k8s.io/kwok@$KWOK_VERSION")
  copy_replaces "$(mod_file sigs.k8s.io/kwok "$KWOK_VERSION")" "$dir"
  tools_go "$dir" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/" \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION#v}" \
      sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl)
}

# the kreuzwerker commit pulumi-docker's `upstream` submodule pins
docker_upstream_pin() {
  src_git "$PULUMI_DOCKER_SRC" ls-tree HEAD upstream | awk '$2 == "commit" { print $3 }'
}

build_docker_provider() {
  local dir="$SRC/docker-provider" pin patch
  pin="$(docker_upstream_pin)" || return 1
  [[ -n "$pin" ]] || { echo "$PULUMI_DOCKER_SRC: HEAD has no upstream submodule"; return 1; }
  src_commit "$TF_DOCKER_SRC" "$pin" >/dev/null || return 1
  rm -rf "$dir"
  src_archive "$PULUMI_DOCKER_SRC" HEAD "$dir" || return 1
  rm -rf "$dir/upstream"
  src_archive "$TF_DOCKER_SRC" "$pin" "$dir/upstream" || return 1
  # the patches apply with `git apply --3way`, as scripts/upstream.sh applies them
  (cd "$dir/upstream" && git init -q && git add -A &&
    git -c user.name=e2e-tools -c user.email=e2e-tools@localhost commit -qm "upstream $pin" &&
    for patch in ../patches/*.patch; do git apply --3way "$patch" || exit 1; done) || return 1
  # the embedded schema: the committed schema.json stamped with the version, by the
  # provider's own generator (`go generate` in cmd/pulumi-resource-docker)
  (cd "$dir/provider" && go mod download &&
    cd cmd/pulumi-resource-docker && VERSION="$DOCKER_PROVIDER_VERSION" go run generate.go) || return 1
  # no_compose: the docker_compose resource (not in pulumi-docker's schema) left out
  (cd "$dir/provider" && go build -trimpath -tags no_compose -o "$PLUGINS/pulumi-resource-docker" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-docker/provider/v5/pkg/version.Version=$DOCKER_PROVIDER_VERSION" \
    github.com/pulumi/pulumi-docker/provider/v5/cmd/pulumi-resource-docker)
}

build_coredns() {
  local dir="$SRC/coredns"
  new_wrapper "$dir" app-coupling-tools/coredns "$(go env GOVERSION | sed 's/^go//')"
  cp "$COREDNS_SRC/main.go" "$dir/main.go"
  (cd "$dir" && go mod edit -require "github.com/coredns/coredns@$COREDNS_VERSION")
  copy_replaces "$(mod_file github.com/coredns/coredns "$COREDNS_VERSION")" "$dir"
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/coredns" \
      -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" .)
}

build_local_path() {
  local dir="$SRC/local-path"
  new_wrapper "$dir" app-coupling-tools/local-path "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit -require "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION")
  copy_replaces "$(mod_file github.com/rancher/local-path-provisioner "$LOCAL_PATH_VERSION")" "$dir"
  tools_go "$dir" github.com/rancher/local-path-provisioner
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/local-path-provisioner" -ldflags "-s -w -X main.VERSION=$LOCAL_PATH_VERSION" \
      github.com/rancher/local-path-provisioner)
}

# deps_of PACKAGE...: the packages and everything they depend on (Depends, Pre-Depends)
deps_of() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^[[:space:]<]' | sort -u
}

# deb_closure: NODE_DEBS and the packages they depend on, less the base system (the
# Essential packages and what they depend on: libc6 & co, on every Debian machine; a
# second libc next to the system's would break the programs)
deb_closure() {
  local essential
  mapfile -t essential < <(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }')
  comm -23 <(deps_of "${NODE_DEBS[@]}") <(deps_of "${essential[@]}")
}

# deb_versions: "name=candidate-version ..." of NODE_DEBS (what the stamp records)
deb_versions() {
  local p v out=()
  command -v apt-cache >/dev/null 2>&1 || { echo "no-apt"; return; }
  for p in "${NODE_DEBS[@]}"; do
    v="$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate: //p')"
    out+=("$p=${v:-none}")
  done
  echo "${out[*]}"
}

build_node_debs() {
  local root="$TOOLS/node-root" nbin="$TOOLS/node-bin" dl="$TOOLS/src/node-debs" lib deb p
  command -v apt-get >/dev/null 2>&1 || { echo "apt-get is not on PATH (a Debian machine is needed)"; return 1; }
  if apt-cache policy containerd 2>/dev/null | grep -q 'Candidate: (none)' || ! apt-cache show containerd >/dev/null 2>&1; then
    [[ "$(id -u)" == 0 ]] || { echo "apt's package lists have no containerd; run apt-get update as root"; return 1; }
    apt-get update -qq
  fi
  rm -rf "$root" "$nbin" "$dl"
  mkdir -p "$root" "$nbin" "$dl"
  mapfile -t pkgs < <(deb_closure)
  echo "downloading: ${pkgs[*]}"
  (cd "$dl" && apt-get download "${pkgs[@]}")
  for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  lib="$(find "$root/usr/lib" -maxdepth 1 -name '*-linux-gnu' | head -1)"
  # wrap NAME TARGET [ARG]: node-bin/NAME runs TARGET (with ARG first) with node-root's libraries
  wrap() {
    # shellcheck disable=SC2016 # $LD_LIBRARY_PATH and $@ are for the wrapper to expand
    printf '#!/bin/sh\n# generated by scripts/e2e-tools.sh: %s from node-root with its libraries\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" XTABLES_LIBDIR="%s/xtables" exec "%s" %s"$@"\n' \
      "$1" "$lib" "$lib" "$2" "${3:+$3 }" >"$nbin/$1"
    chmod +x "$nbin/$1"
  }
  for p in containerd containerd-shim-runc-v2 ctr; do wrap "$p" "$root/usr/bin/$p"; done
  wrap runc "$root/usr/sbin/runc"
  for p in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    wrap "$p" "$root/usr/sbin/xtables-nft-multi" "$p"
  done
  wrap nft "$root/usr/sbin/nft"
  wrap conntrack "$root/usr/sbin/conntrack"
  # smoke: every wrapper starts
  "$nbin/containerd" --version && "$nbin/runc" --version | head -1 && "$nbin/iptables" --version &&
    "$nbin/nft" --version && "$nbin/conntrack" --version && [[ -x "$root/usr/lib/cni/bridge" ]] &&
    [[ -x "$root/bin/busybox" ]]
}

# The sandbox image (registry.k8s.io is unreachable: a stand-in under containerd's
# sandbox_image name) and the local-path provisioner's helper image (busybox), each one
# layer with no base, for `ctr -n k8s.io images import`.
build_node_images() {
  local dir="$SRC/node-images" images="$TOOLS/images" bb="$TOOLS/node-root/bin/busybox" a
  [[ -x "$bb" ]] || { echo "no $bb: build node-debs first"; return 1; }
  new_wrapper "$dir" app-coupling-tools/pause "$(go env GOVERSION | sed 's/^go//')"
  cp "$NODE_SRC/pause/main.go" "$dir/main.go"
  mkdir -p "$images"
  (cd "$dir" && go build -trimpath -o "$dir/pause" -ldflags "-s -w" .)
  python3 "$NODE_SRC/mkimage.py" "$images/pause.tar" registry.k8s.io/pause:3.10 /pause "$dir/pause:/pause"
  local links=()
  for a in sh mkdir rm rmdir chmod ls cat test; do links+=("--link" "/bin/$a=busybox"); done
  python3 "$NODE_SRC/mkimage.py" "$images/local-path-helper.tar" app-coupling.local/local-path-helper:busybox /bin/sh \
    "$bb:/bin/busybox" "${links[@]}"
}

build_helm() {
  local dir="$SRC/helm"
  new_wrapper "$dir" app-coupling-tools/helm "$(go env GOVERSION | sed 's/^go//')"
  (cd "$dir" && go mod edit -require "helm.sh/helm/v4@$HELM_VERSION")
  copy_replaces "$(mod_file helm.sh/helm/v4 "$HELM_VERSION")" "$dir"
  tools_go "$dir" helm.sh/helm/v4/cmd/helm
  # the version stamps helm's own Makefile sets (the Kubernetes version it reports comes
  # from the client-go in its build info)
  (cd "$dir" && go mod tidy &&
    go build -trimpath -o "$BIN/helm" \
      -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
      helm.sh/helm/v4/cmd/helm)
}

run_tool() {
  local tool="$1" fn start secs kind reason
  fn="build_${tool//-/_}"
  reason="$(unavailable "$tool")"
  if [[ -n "$reason" ]]; then
    if up_to_date "$tool"; then
      log "$tool: kept as built before ($(cat "$STAMPS/$tool")); to rebuild, $reason"
    else
      log "$tool: skipped: $reason"
    fi
    return 0
  fi
  if ((FORCE == 0)) && up_to_date "$tool"; then
    log "$tool: up to date ($(cat "$STAMPS/$tool"))"
    return 0
  fi
  # "cold" = the binary was never built at this version here; "warm" = a rebuild
  # (--force) with Go's module and build caches already filled
  kind=cold
  [[ -f "$STAMPS/$tool" && "$(cat "$STAMPS/$tool")" == "$(wanted "$tool")" ]] && kind=warm
  log "$tool: building ($(wanted "$tool"), $kind; log: $LOGS/$tool.log)"
  start=$SECONDS
  if ! "$fn" >"$LOGS/$tool.log" 2>&1; then
    secs=$((SECONDS - start))
    printf '%s %s FAILED after %ss\n' "$(date -u +%FT%TZ)" "$(wanted "$tool")" "$secs" >>"$TIMES"
    tail -n 20 "$LOGS/$tool.log" >&2
    log "$tool: FAILED after ${secs}s (full log: $LOGS/$tool.log)"
    return 1
  fi
  secs=$((SECONDS - start))
  wanted "$tool" >"$STAMPS/$tool"
  printf '%s %s %ss %s\n' "$(date -u +%FT%TZ)" "$(wanted "$tool")" "$secs" "$kind" >>"$TIMES"
  log "$tool: built in ${secs}s"
}

ALL=(pulumi langhost k8s-provider kube etcd kwok)
ALL+=(kube-node coredns local-path node-debs node-images) # the real node (e2e/node/)
ALL+=(helm)
ALL+=(docker-provider)
((${#ONLY[@]})) || ONLY=("${ALL[@]}")
failed=()
total_start=$SECONDS
for tool in "${ONLY[@]}"; do
  run_tool "$tool" || failed+=("$tool")
done
log "done in $((SECONDS - total_start))s"

if ((${#failed[@]})); then
  die "failed: ${failed[*]} (see $LOGS/)"
fi
all_built=1
for tool in "${ALL[@]}"; do up_to_date "$tool" || all_built=0; done
if ((all_built)); then
  for tool in "${ALL[@]}"; do cat "$STAMPS/$tool"; done >"$TOOLS/versions"
  log "all tools in $BIN (versions: $TOOLS/versions)"
fi
