#!/usr/bin/env bash
# npm run e2e:node — stage C, the real engine on a real node (e2e/node/run.ts): brings the
# node up, deploys and checks every coupling, takes it down again.
# npm run e2e:node -- up|down|status|env|snapshot — the node alone: a real single-node
# Kubernetes cluster on this machine, from the parts `npm run e2e:tools` put into the tool cache:
#   control plane   kwokctl --runtime binary (etcd, kube-apiserver, controller-manager,
#                   scheduler), without kwok-controller, which would fake the node
#   node            containerd + runc + CNI bridge, kubelet, kube-proxy (iptables mode)
#   cluster DNS     CoreDNS as a host process on the bridge address, behind kube-dns
#   storage         local-path-provisioner, default StorageClass `standard`
#                   (volumeBindingMode: WaitForFirstConsumer, as kind, EKS and GKE have)
#   images          pulled from the local registry on localhost:5001 (plain HTTP);
#                   Debian's docker-registry is started there when nothing answers
#
#   up        bring the cluster up (root); prints the kubeconfig's path as its last line.
#             Idempotent: what runs already is kept.
#   up --clusters 2
#             also a second cluster on a second node in a network namespace of its own
#             (for the `clusters` coupling; see use_node below); prints node 1's
#             kubeconfig's path, then node 2's.
#   down      remove everything `up` made (node 2's first): processes, mounts, network
#             namespaces, cgroups, iptables chains, links, routes, data directories, and
#             the sysctls back to the values they had before the first `up`; then check
#             that nothing is left (exit 1 naming what is). Safe to re-run, and after a
#             failed or partial `up`. `down --node 2`: node 2 alone.
#   status    what runs, and the node's state (exit 0 when the node is Ready); --node 2
#   env       shell assignments for scripts: KUBECONFIG, KUBE_CONTEXT, REGISTRY, ...
#             (the same as the file $APP_COUPLING_NODE_DIR/env `up` writes); --node 2:
#             node 2's, with NETNS and LOADBALANCER_CIDR, without STORAGE_CLASS
#   snapshot  what of this machine's state the nodes touch (their processes, mounts,
#             cgroups, KUBE-* chains, links, routes, sysctls), one line each: `down`
#             compares it with the one taken before the first `up`. --node 2: node 2's
#             lines alone (none once it is down).
#
# Environment: APP_COUPLING_TOOLS (tool cache, default ~/.cache/app-coupling/tools),
# APP_COUPLING_NODE_DIR (state, default ~/.local/state/app-coupling/node),
# APP_COUPLING_NODE2_DIR (node 2's state, default second-node next to node 1's),
# APP_COUPLING_REGISTRY_STORAGE (the registry's storage when this starts it; default the
# one `npm run e2e:containers` keeps, ~/.cache/app-coupling/registry).
#
# Network safety: the node's address is the bridge's (no name lookup: the API server
# reaches the kubelet by InternalIP); the pod range is the bridge's subnet and the Service
# range is routed to the bridge, so a packet to an address no rule translates stays on
# this machine; CoreDNS answers only the cluster's names (no forwarding).
# Runs under `flock /tmp/app-coupling-e2e.lock` when called by the e2e suites: one
# cluster at a time (its names, addresses and ports are fixed).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${APP_COUPLING_TOOLS:-$HOME/.cache/app-coupling/tools}"
DIR1="${APP_COUPLING_NODE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/app-coupling/node}"
# the second node's state: a name that does not contain node 1's path (node 1 finds its
# processes by the path in their arguments)
DIR2="${APP_COUPLING_NODE2_DIR:-$(dirname "$DIR1")/second-node}"
REGISTRY_STORAGE="${APP_COUPLING_REGISTRY_STORAGE:-$HOME/.cache/app-coupling/registry}"
REGISTRY=localhost:5001
REGISTRY_ADDR=127.0.0.1:5001
# the sysctls kubelet and the node change; restored by `down`
# (kubelet: pkg/kubelet/cm/container_manager_linux.go setupKernelTunables; kube-proxy:
# route_localnet, conntrack)
SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_be_liberal)

BIN="$TOOLS/bin"
NODE_BIN="$TOOLS/node-bin"
NODE_ROOT="$TOOLS/node-root"
BASELINE="$DIR1/baseline" # the machine's state before the first `up` (kept until a clean `down`)
export KWOK_KUBECTL_BINARY="$BIN/kubectl"
export PATH="$NODE_BIN:$BIN:$PATH"

# ---- the clusters' fixed names and addresses ---------------------------------------------
# use_node 1|2: the names, addresses and directories of one node (and its cluster).
#   node 1  in this machine's network namespace: bridge acnode0 10.244.0.1/24 (node IP,
#           API server's advertise address, pods), Services 10.0.0.0/24 routed to it.
#   node 2  (`up --clusters 2`) in a network namespace of its own, so its
#           kube-proxy, kubelet and pods have their own iptables, routes and loopback; a
#           veth pair acnode2 (here, 10.246.0.1/30) <-> eth0 (there, 10.246.0.2/30); its
#           bridge acnode2br 10.245.0.1/24 (node IP, pods), Services 10.0.1.0/24, and a
#           load-balancer range 10.246.1.0/24 that kube-proxy there serves (a stand-in
#           controller writes such addresses into LoadBalancer Services' status). This
#           machine routes the pod, Service and load-balancer ranges to the veth; node 2's
#           namespace has no default route, so nothing from it leaves the machine. Its
#           control plane runs here (a second kwokctl cluster, other ports), advertised on
#           10.246.0.1; its containerd pulls localhost:5001 through 10.246.0.1:5001.
use_node() {
  NODE="$1"
  case "$NODE" in
    1)
      DIR="$DIR1"
      CLUSTER=app-coupling-node # kwokctl's cluster name; the kube context is kwok-$CLUSTER
      NODE_NAME=app-coupling-node
      BRIDGE=acnode0
      NODE_IP=10.244.0.1 # the bridge's address: node IP, API server's advertise address, DNS
      POD_CIDR=10.244.0.0/24
      SERVICE_CIDR=10.0.0.0/24 # kube-apiserver's default range, given explicitly
      API_SERVICE_IP=10.0.0.1
      DNS_IP=10.0.0.10
      CGROUP_ROOT=app-coupling-node
      NETNS="" # this machine's own
      ADVERTISE_IP="$NODE_IP"
      REGISTRY_MIRROR="http://$REGISTRY"
      ;;
    2)
      DIR="$DIR2"
      CLUSTER=app-coupling-node2
      NODE_NAME=app-coupling-node2
      BRIDGE=acnode2br
      NODE_IP=10.245.0.1
      POD_CIDR=10.245.0.0/24
      SERVICE_CIDR=10.0.1.0/24
      API_SERVICE_IP=10.0.1.1
      DNS_IP=10.0.1.10
      CGROUP_ROOT=app-coupling-node2
      NETNS="$DIR/run/netns" # a file: the namespace bind-mounted there (not /run/netns, which `ip netns` would make a mount of its own)
      VETH=acnode2 # this machine's end; the other is eth0 in the namespace
      HOST_IP=10.246.0.1
      NETNS_IP=10.246.0.2
      LB_CIDR=10.246.1.0/24
      NODE1_POD_CIDR=10.244.0.0/24 # node 1's pods: the callers node 2 routes back to
      ADVERTISE_IP="$HOST_IP"
      REGISTRY_MIRROR="http://$HOST_IP:5001"
      ;;
    *) echo "e2e:node: no node '$NODE' (1 or 2)" >&2; exit "$EXIT_USAGE" ;;
  esac
  CONTEXT="kwok-$CLUSTER"
  ETC="$DIR/etc"
  RUN="$DIR/run"
  LOGS="$DIR/logs"
  DATA="$DIR/data"
  KUBECONFIG_FILE="$DIR/kubeconfig"
  # the kubeconfig of what runs in the node's network namespace (node 2's loopback is its own)
  NODE_KUBECONFIG="$KUBECONFIG_FILE"
  NS_EXEC=() # the prefix that starts a command in the node's network namespace
  if [[ -n "$NETNS" ]]; then
    NODE_KUBECONFIG="$ETC/node-kubeconfig"
    NS_EXEC=(nsenter "--net=$NETNS" --)
  fi
  export KWOK_WORKDIR="$DATA/kwok"
}

EXIT_USAGE=2
EXIT_NOT_ROOT=3
EXIT_MISSING_TOOLS=4

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'e2e:node: %s\n' "$*" >&2; exit 1; }
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" --context "$CONTEXT" "$@"; }
ctr_() { "$NODE_BIN/ctr" --address "$RUN/containerd.sock" "$@"; }
# innet COMMAND...: runs COMMAND in the node's network namespace (node 2's; node 1 has none
# of its own). Only the network namespace: mounts (kubelet's volumes, containerd's root
# filesystems) are made where the other processes and `down` see them.
innet() { "${NS_EXEC[@]}" "$@"; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

need_root() {
  [[ "$(id -u)" == 0 ]] || { echo "e2e:node: $1 needs root (it runs containerd and the kubelet, and changes iptables, links and sysctls)" >&2; exit "$EXIT_NOT_ROOT"; }
}

need_tools() {
  local t missing=()
  for t in bin/kubelet bin/kube-proxy bin/coredns bin/local-path-provisioner bin/kube-apiserver bin/kube-controller-manager \
    bin/kube-scheduler bin/kubectl bin/etcd bin/kwokctl node-bin/containerd node-bin/runc node-bin/iptables node-bin/nft \
    node-bin/conntrack images/pause.tar images/local-path-helper.tar; do
    [[ -e "$TOOLS/$t" ]] || missing+=("$t")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "e2e:node: missing from the tool cache $TOOLS: ${missing[*]}" >&2
  echo "  build them with: flock /tmp/app-coupling-tools.lock npm run e2e:tools   (tens of minutes on two cores, once)" >&2
  exit "$EXIT_MISSING_TOOLS"
}

# ---- processes -----------------------------------------------------------------------------

# start NAME COMMAND...: runs COMMAND in a session of its own, logs to logs/NAME.log,
# records its pid in run/NAME.pid; a no-op while that pid still runs
start() {
  local name="$1" pid
  shift
  if running "$name"; then return 0; fi
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$RUN/$name.pid"
}

running() {
  local pid
  [[ -f "$RUN/$1.pid" ]] || return 1
  pid="$(cat "$RUN/$1.pid")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# stop NAME: SIGTERM, SIGKILL after 15 s; the pid file goes
stop() {
  local name="$1" pid
  [[ -f "$RUN/$name.pid" ]] || return 0
  pid="$(cat "$RUN/$name.pid")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then say "$name ($pid) did not stop in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $name ($pid)"
  fi
  rm -f "$RUN/$name.pid"
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.25 s
wait_for() {
  local what="$1" secs="$2" end
  shift 2
  end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { say "timed out after ${secs}s waiting for $what"; return 1; }
    sleep 0.25
  done
}

# ---- what the node touches (snapshot) ------------------------------------------------------

# The node's processes: those that refer to its directory (every component is started
# with its files there; the shims with containerd's socket), run Debian's parts from the
# tool cache (node 1: so node 2's are listed there too), or sit in the node's cgroups (the
# pods' processes). The machine's own containerd, a dockerd, other clusters and tools run
# from bin/ by others are not listed.
our_pids() {
  local p exe args
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    args="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    if [[ ("$NODE" == 1 && "$exe" == "$NODE_ROOT"/*) || "$args" == *"$DIR"* ]]; then echo "${p#/proc/}"; fi
  done
  # every depth: <root>/kubepods/<qos>/pod<uid>/<container>
  find /sys/fs/cgroup/pids/"$CGROUP_ROOT" /sys/fs/cgroup/unified/"$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null || true
}

our_processes() {
  local p
  for p in $(our_pids | sort -un); do
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    [[ -r "/proc/$p/cmdline" ]] || continue
    echo "process $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
  done | sort
}

# snapshot: what of this machine both nodes touch (node 2's lines: none while it is down)
snapshot() {
  (use_node 1; snapshot_node1; use_node 2; snapshot_node2)
}

snapshot_node2() {
  local h
  our_processes
  awk -v d="$DIR" '$5 == d || index($5, d "/") == 1 { print "mount " $5 }' /proc/self/mountinfo | sort
  for h in /sys/fs/cgroup/*/; do if [[ -d "$h$CGROUP_ROOT" ]]; then echo "cgroup $h$CGROUP_ROOT"; fi; done
  { ip -o link show "$VETH" 2>/dev/null || true; } | awk -F': ' '{ split($2, n, "@"); print "link " n[1] }'
  ip -o route show 2>/dev/null | awk -v v="$VETH" -v s="$SERVICE_CIDR" -v p="$POD_CIDR" -v l="$LB_CIDR" '$0 ~ (" dev " v "( |$)") || $1 == s || $1 == p || $1 == l { print "route " $1 " " $2 " " $3 }' | sort
}

snapshot_node1() {
  local s h t f c
  our_processes
  awk -v d="$DIR" '$5 == d || index($5, d "/") == 1 || $5 ~ "^/run/netns/cni-" || $5 ~ "^/var/run/netns/cni-" { print "mount " $5 }' /proc/self/mountinfo | sort
  for h in /sys/fs/cgroup/*/; do
    for c in "$CGROUP_ROOT" k8s.io kubepods; do [[ -d "$h$c" ]] && echo "cgroup $h$c"; done
  done
  for t in iptables ip6tables; do
    for f in filter nat mangle raw; do
      { "$NODE_BIN/$t-save" -t "$f" 2>/dev/null || true; } | awk -v t="$t" -v f="$f" '/^:KUBE-/ { print "chain " t " " f " " substr($1, 2) } /^-A .*KUBE-/ { print "rule " t " " f " " $0 }'
    done
  done | sort
  { "$NODE_BIN/nft" list tables 2>/dev/null || true; } | sed 's/^/nft /' | sort
  ip -o link show 2>/dev/null | awk -F': ' '{ split($2, n, "@"); print n[1] " " $3 }' |
    awk -v b="$BRIDGE" '$1 == b || $0 ~ ("master " b " ") || ($1 ~ /^veth/ && $0 !~ / master /) { print "link " $1 }' | sort
  ip -o route show 2>/dev/null | awk -v b="$BRIDGE" -v s="$SERVICE_CIDR" -v p="$POD_CIDR" '$0 ~ (" dev " b " ") || $1 == s || $1 == p { print "route " $1 " " $2 " " $3 }' | sort
  for s in "${SYSCTLS[@]}"; do echo "sysctl $s=$(sysctl -n "$s" 2>/dev/null || echo absent)"; done
}

# ---- up ------------------------------------------------------------------------------------

# put FILE: writes stdin to FILE only when that changes it (kube-proxy exits when its
# config file is written, so a second `up` must leave an unchanged one alone)
put() {
  local tmp
  tmp="$(mktemp "$1.XXXXXX")"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 644 "$tmp" && mv "$tmp" "$1"; fi
}

write_configs() {
  mkdir -p "$ETC/containerd/certs.d/$REGISTRY" "$ETC/cni" "$ETC/local-path"
  put "$ETC/containerd/config.toml" <<EOF
version = 2
root = "$DATA/containerd/root"
state = "$DATA/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$RUN/containerd.sock"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DATA/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # the stand-in imported by \`up\` (registry.k8s.io is unreachable)
  sandbox_image = "registry.k8s.io/pause:3.10"
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # no CAP_SYS_RESOURCE here: a sandbox asking for oom_score_adj -998 fails otherwise
  # ("can't get final child's PID from pipe: EOF")
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$NODE_BIN/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$NODE_ROOT/usr/lib/cni"
    conf_dir = "$ETC/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$ETC/containerd/certs.d"
EOF
  # plain HTTP to the local registry, as kind's local-registry recipe does (node 2: through
  # the forwarder on this machine's end of its veth)
  put "$ETC/containerd/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."$REGISTRY_MIRROR"]
  capabilities = ["pull", "resolve"]
EOF
  put "$ETC/cni/10-acnode.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "acnode${NETNS:+-$NODE}",
  "plugins": [{
    "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
      "routes": [{"dst": "0.0.0.0/0"}],
      "dataDir": "$DATA/cni-ipam"
    }
  }]
}
EOF
  # pods' resolver for dnsPolicy Default, and CoreDNS's: never the machine's own
  put "$ETC/resolv.conf" <<<"nameserver $NODE_IP"
  put "$ETC/kwokctl.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  kubeApiserverCertSANs: ["$API_SERVICE_IP", "$NODE_IP"${NETNS:+, \"$HOST_IP\"}]
EOF
  local pki="$KWOK_WORKDIR/clusters/$CLUSTER/pki"
  put "$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 only on this machine (its init keeps the v1 memory hierarchy busy)
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
containerRuntimeEndpoint: unix://$RUN/containerd.sock
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# the API server presents kwok's admin certificate; everyone else is refused
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
clusterDNS: ["$DNS_IP"]
resolvConf: $ETC/resolv.conf
podLogsDir: $DATA/pod-logs
failSwapOn: false
serializeImagePulls: false
registerNode: true
maxPods: 60
# a shared machine: evict only when the disk is really full
evictionHard: {"memory.available": "200Mi", "nodefs.available": "2%", "imagefs.available": "2%"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
  put "$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $NODE_KUBECONFIG
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
  masqueradeAll: false
EOF
  put "$ETC/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18081
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $NODE_KUBECONFIG $CONTEXT
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
}
EOF
  put "$ETC/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_STORAGE
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  put "$ETC/local-path/config.json" <<EOF
{"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$DATA/local-path"]}]}
EOF
  put "$ETC/local-path/helper-pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  containers:
  - name: helper-pod
    image: app-coupling.local/local-path-helper:busybox
    imagePullPolicy: Never
EOF
}

# What the cluster needs besides the program: cluster DNS (the host process behind the
# kube-dns Service and a hand-made EndpointSlice), and on node 1 the provisioner's
# namespace and scripts, and the default StorageClass (node 2 has no storage).
cluster_manifests() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: app-coupling-node}
addressType: IPv4
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
endpoints:
- addresses: ["$NODE_IP"]
  conditions: {ready: true}
  nodeName: $NODE_NAME
EOF
  [[ "$NODE" == 1 ]] || return 0
  cat <<EOF
---
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner, namespace: local-path-storage}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
EOF
}

routes_free() {
  local r via="$BRIDGE"
  [[ -z "$NETNS" ]] || via="$VETH"
  for r in "$POD_CIDR" "$SERVICE_CIDR" ${NETNS:+"$LB_CIDR" "${HOST_IP%.*}.0/30"}; do
    if ip -o route show "$r" | grep -qv " dev $via "; then
      die "the machine already routes $r elsewhere ($(ip -o route show "$r")): refusing to add a cluster on top of it"
    fi
  done
}

# node 1's network: the bridge in this machine's namespace
network_up_node1() {
  say "network: bridge $BRIDGE $NODE_IP/24, Service range $SERVICE_CIDR routed to it"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE"
  sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
}

# node 2's network: a namespace of its own behind a veth pair; its bridge, sysctls and
# (later) iptables are the namespace's, and go with it
network_up_node2() {
  say "network: namespace $NETNS (veth $VETH $HOST_IP/30 <-> eth0 $NETNS_IP/30), bridge $BRIDGE $NODE_IP/24 there;" \
    "$POD_CIDR, $SERVICE_CIDR and $LB_CIDR routed to it"
  if ! awk -v f="$NETNS" '$5 == f { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    touch "$NETNS"
    unshare --net="$NETNS" true
  fi
  if ! ip link show "$VETH" >/dev/null 2>&1; then
    # made there, this end moved here (to the namespace of this script's process)
    innet ip link add eth0 type veth peer name "$VETH" netns "$$"
    ip addr add "$HOST_IP/30" dev "$VETH"
    innet ip addr add "$NETNS_IP/30" dev eth0
  fi
  ip link set "$VETH" up
  innet ip link set lo up
  innet ip link set eth0 up
  if ! innet ip link show "$BRIDGE" >/dev/null 2>&1; then
    innet ip link add "$BRIDGE" type bridge
    innet ip addr add "$NODE_IP/24" dev "$BRIDGE"
  fi
  innet ip link set "$BRIDGE" up
  innet ip route replace "$SERVICE_CIDR" dev "$BRIDGE"
  # back to node 1's pods (the callers of its load balancer) and nowhere else: no default route
  innet ip route replace "$NODE1_POD_CIDR" via "$HOST_IP" dev eth0
  local r
  for r in "$POD_CIDR" "$SERVICE_CIDR" "$LB_CIDR"; do ip route replace "$r" via "$NETNS_IP" dev "$VETH"; done
  innet sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  # forwarding here too (node 1's pods to node 2): node 1's up set it, restored by its down
  [[ "$(sysctl -n net.ipv4.ip_forward)" == 1 ]] || die "net.ipv4.ip_forward is off on this machine: node 1 should have set it"
}

# the registry for node 2's containerd: what answers on localhost:5001 here, forwarded
# from this machine's end of the veth (node 2's loopback is its own)
registry_up_node2() {
  say "registry: $REGISTRY_ADDR forwarded from $HOST_IP:5001 (for node 2 only)"
  curl -sf "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 || die "nothing answers on $REGISTRY_ADDR (node 1's up starts a registry there)"
  start registry-forward python3 "$REPO/e2e/node/forward.py" --listen "$HOST_IP:5001" --to "$REGISTRY_ADDR" \
    --allow "${HOST_IP%.*}.0/30" --ready-file "$RUN/registry-forward.ready"
  wait_for "the registry forwarder" 20 test -e "$RUN/registry-forward.ready" ||
    die "the registry forwarder did not start: $(tail -3 "$LOGS/registry-forward.log")"
  wait_for "the registry through the forwarder" 20 innet curl -sf "http://$HOST_IP:5001/v2/" ||
    die "node 2 does not reach the registry through $HOST_IP:5001: $(tail -3 "$LOGS/registry-forward.log")"
}

registry_up_node1() {
  say "registry on $REGISTRY_ADDR"
  if ! curl -sf "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
    local registry_bin
    registry_bin="$(command -v docker-registry || true)"
    [[ -n "$registry_bin" ]] || die "nothing answers on $REGISTRY_ADDR and docker-registry is not installed (apt-get install docker-registry)"
    mkdir -p "$REGISTRY_STORAGE"
    start registry "$registry_bin" serve "$ETC/registry.yml"
    wait_for "the registry" 20 curl -sf "http://$REGISTRY_ADDR/v2/" || die "docker-registry did not answer: $(tail -3 "$LOGS/registry.log")"
  fi
}

# one_option CMD NAME ARGS...: the value of the one option ARGS may hold (--NAME V or
# --NAME=V), "" when there is none; anything else is a usage error
one_option() {
  local cmd="$1" name="$2"
  shift 2
  case "$#:${1:-}" in
    0:) echo "" ;;
    2:"--$name") echo "$2" ;;
    1:"--$name="*) echo "${1#*=}" ;;
    *) echo "e2e:node: $cmd: unknown arguments '$*' (--$name N)" >&2; exit "$EXIT_USAGE" ;;
  esac
}

cmd_up() {
  local clusters
  clusters="$(one_option up clusters "$@")"
  clusters="${clusters:-1}"
  [[ "$clusters" == 1 || "$clusters" == 2 ]] || { echo "e2e:node: up: --clusters takes 1 or 2, not '$clusters'" >&2; exit "$EXIT_USAGE"; }
  need_root up
  need_tools
  [[ "$DIR2" != *"$DIR1"* ]] || die "node 2's directory $DIR2 contains node 1's $DIR1: set APP_COUPLING_NODE2_DIR elsewhere"
  use_node 1
  up_node
  if ((clusters == 2)); then
    use_node 2
    up_node
  fi
}

# up_node: brings up the node use_node chose; its kubeconfig's path on stdout
up_node() {
  local t0=$SECONDS
  mkdir -p "$ETC" "$RUN" "$LOGS" "$DATA"
  # the machine's state before the first up: kept through later ups and failed downs
  [[ "$NODE" != 1 || -f "$BASELINE" ]] || snapshot >"$BASELINE"
  routes_free
  write_configs

  "network_up_node$NODE"
  "registry_up_node$NODE"

  say "containerd"
  start containerd "${NS_EXEC[@]}" "$NODE_BIN/containerd" --config "$ETC/containerd/config.toml"
  wait_for containerd 30 ctr_ version || die "containerd did not start: $(tail -5 "$LOGS/containerd.log")"
  ctr_ -n k8s.io images import "$TOOLS/images/pause.tar" >/dev/null
  [[ "$NODE" != 1 ]] || ctr_ -n k8s.io images import "$TOOLS/images/local-path-helper.tar" >/dev/null

  say "control plane (kwokctl $CLUSTER)"
  if ! "$BIN/kwokctl" get clusters 2>/dev/null | grep -qx "$CLUSTER" || ! kc get --raw /readyz >/dev/null 2>&1; then
    "$BIN/kwokctl" create cluster --name "$CLUSTER" --runtime binary \
      --kube-apiserver-binary "$BIN/kube-apiserver" --kube-controller-manager-binary "$BIN/kube-controller-manager" \
      --kube-scheduler-binary "$BIN/kube-scheduler" --kwok-controller-binary "$BIN/kwok" --etcd-binary "$BIN/etcd" \
      --secure-port=true --kube-authorization=true --kube-admission=true \
      --disable kwok-controller --config "$ETC/kwokctl.yaml" \
      --extra-args "kube-apiserver=advertise-address=$ADVERTISE_IP" \
      --extra-args "kube-apiserver=service-cluster-ip-range=$SERVICE_CIDR" \
      --extra-args "kube-apiserver=kubelet-preferred-address-types=InternalIP" \
      --extra-args "kube-apiserver=kubelet-client-certificate=$KWOK_WORKDIR/clusters/$CLUSTER/pki/admin.crt" \
      --extra-args "kube-apiserver=kubelet-client-key=$KWOK_WORKDIR/clusters/$CLUSTER/pki/admin.key" \
      --kubeconfig "$KUBECONFIG_FILE" --wait 3m >>"$LOGS/kwokctl.log" 2>&1 ||
      die "kwokctl create cluster failed: $(tail -5 "$LOGS/kwokctl.log")"
  fi
  # kwokctl writes into the kubeconfig it is given: keep ours holding this cluster only
  chmod 600 "$KUBECONFIG_FILE"
  if [[ -n "$NETNS" ]]; then
    # the API server listens on every address of this machine: node 2 reaches it on the veth
    kc config view --raw --minify | sed "s#server: https://127.0.0.1:#server: https://$HOST_IP:#" | put "$NODE_KUBECONFIG"
    chmod 600 "$NODE_KUBECONFIG"
    grep -q "server: https://$HOST_IP:" "$NODE_KUBECONFIG" || die "kwokctl's kubeconfig names no https://127.0.0.1 server: $(grep server: "$KUBECONFIG_FILE")"
  fi

  say "cgroup root /$CGROUP_ROOT"
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ "$h" == /sys/fs/cgroup/unified/ ]] && continue
    mkdir -p "$h$CGROUP_ROOT"
  done
  if [[ -d /sys/fs/cgroup/cpuset/$CGROUP_ROOT ]]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$CGROUP_ROOT/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$CGROUP_ROOT/cpuset.mems"
  fi

  say "kubelet, kube-proxy, CoreDNS$([[ "$NODE" != 1 ]] || echo ", local-path-provisioner")"
  mkdir -p "$DATA/kubelet" "$DATA/local-path"
  start kubelet "${NS_EXEC[@]}" "$BIN/kubelet" --config "$ETC/kubelet.yaml" --kubeconfig "$NODE_KUBECONFIG" \
    --root-dir "$DATA/kubelet" --cert-dir "$DATA/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
  start kube-proxy "${NS_EXEC[@]}" "$BIN/kube-proxy" --config "$ETC/kube-proxy.yaml" --v=1
  start coredns "${NS_EXEC[@]}" "$BIN/coredns" -conf "$ETC/Corefile"
  kc apply -f - <<<"$(cluster_manifests)" >>"$LOGS/manifests.log"
  if [[ "$NODE" == 1 ]]; then
    start local-path "$BIN/local-path-provisioner" start --kubeconfig "$KUBECONFIG_FILE" --namespace local-path-storage \
      --service-account-name local-path-provisioner --configmap-name local-path-config --config "$ETC/local-path/config.json" \
      --helper-image app-coupling.local/local-path-helper:busybox --helper-pod-file "$ETC/local-path/helper-pod.yaml"
  fi

  say "waiting for node $NODE_NAME to be Ready"
  wait_for "node $NODE_NAME registered" 60 kc get node "$NODE_NAME" || die "the kubelet did not register: $(tail -5 "$LOGS/kubelet.log")"
  kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null || die "node not Ready: $(tail -5 "$LOGS/kubelet.log")"
  wait_for "CoreDNS ready" 30 innet curl -sf http://127.0.0.1:18181/ready || die "CoreDNS not ready: $(tail -5 "$LOGS/coredns.log")"
  for t in kube-proxy local-path registry registry-forward; do
    [[ ! -f "$RUN/$t.pid" ]] || running "$t" || die "$t exited: $(tail -5 "$LOGS/$t.log")"
  done

  write_env
  say "cluster up in $((SECONDS - t0))s (node $NODE_NAME Ready; env: $DIR/env)"
  echo "$KUBECONFIG_FILE"
}

write_env() {
  cat >"$DIR/env" <<EOF
KUBECONFIG=$KUBECONFIG_FILE
KUBE_CONTEXT=$CONTEXT
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
REGISTRY=$REGISTRY
POD_CIDR=$POD_CIDR
SERVICE_CIDR=$SERVICE_CIDR
DNS_IP=$DNS_IP
EOF
  if [[ "$NODE" == 1 ]]; then
    echo "STORAGE_CLASS=standard" >>"$DIR/env"
  else
    # no storage on node 2; addresses kube-proxy there serves for LoadBalancer Services
    printf 'NETNS=%s\nLOADBALANCER_CIDR=%s\n' "$NETNS" "$LB_CIDR" >>"$DIR/env"
  fi
}

# ---- down ----------------------------------------------------------------------------------

# the network namespaces and mounts of our pods, read from containerd before it goes
sandbox_netns() {
  local id
  for id in $(ctr_ -n k8s.io containers ls -q 2>/dev/null); do
    ctr_ -n k8s.io containers info "$id" 2>/dev/null |
      sed -n 's#.*"path": "\(/var/run/netns/cni-[^"]*\|/run/netns/cni-[^"]*\)".*#\1#p'
  done | sort -u
}

remove_kube_chains() {
  local t f chain rule
  for t in iptables ip6tables; do
    for f in filter nat mangle raw; do
      # rules in other chains that jump to a KUBE-* chain, then the KUBE-* chains themselves
      while IFS= read -r rule; do
        # shellcheck disable=SC2086 # the rule's words, as iptables-save printed them
        "$NODE_BIN/$t" -t "$f" -D ${rule#-A } 2>/dev/null || true
      done < <("$NODE_BIN/$t-save" -t "$f" 2>/dev/null | grep -E '^-A ' | grep -vE '^-A KUBE-' | grep -E -- '-j KUBE-|--jump KUBE-')
      for chain in $("$NODE_BIN/$t-save" -t "$f" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do
        "$NODE_BIN/$t" -t "$f" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$NODE_BIN/$t-save" -t "$f" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do
        "$NODE_BIN/$t" -t "$f" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

# nft tables iptables-nft created for the node: deleted when they were not there before
# and hold nothing but empty base chains now
remove_new_nft_tables() {
  local family name
  while read -r _ family name; do
    grep -qx "nft table $family $name" "$BASELINE" 2>/dev/null && continue
    if ! "$NODE_BIN/nft" list table "$family" "$name" 2>/dev/null | grep -vE '^\s*(table|chain|type|policy|\}|$|#)' | grep -q .; then
      "$NODE_BIN/nft" delete table "$family" "$name" && say "nft table $family $name deleted"
    fi
  done < <("$NODE_BIN/nft" list tables 2>/dev/null)
}

# down [--node 2]: node 2 first (node 1's down would take its pods' namespaces), then node 1,
# whose check against the baseline covers both
cmd_down() {
  local only rc=0
  only="$(one_option down node "$@")"
  [[ -z "$only" || "$only" == 2 ]] || { echo "e2e:node: down: --node takes 2 (node 1 goes down with plain down)" >&2; exit "$EXIT_USAGE"; }
  need_root down
  use_node 2
  if [[ -d "$DIR" ]]; then
    down_node2 || rc=$?
  elif [[ -n "$only" ]]; then
    say "nothing to do: no node state at $DIR"
  fi
  [[ -z "$only" ]] || return "$rc"
  use_node 1
  down_node1
  return "$rc"
}

# stop_processes: every process of the node use_node chose, its pods and its control
# plane; SANDBOX_NETNS: the pods' network namespaces, as containerd named them
stop_processes() {
  local c s left
  stop local-path
  stop kube-proxy
  stop kubelet
  stop coredns
  SANDBOX_NETNS=""
  if ctr_ version >/dev/null 2>&1; then
    SANDBOX_NETNS="$(sandbox_netns)"
    for c in $(ctr_ -n k8s.io tasks ls -q 2>/dev/null); do ctr_ -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true; done
    sleep 0.5
    for c in $(ctr_ -n k8s.io containers ls -q 2>/dev/null); do
      ctr_ -n k8s.io tasks rm -f "$c" >/dev/null 2>&1 || true
      ctr_ -n k8s.io containers rm "$c" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  # shims outlive containerd (reparented to init): end those of our containerd only
  for s in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $RUN/containerd.sock" || true); do kill -KILL "$s" 2>/dev/null || true; done
  if [[ -x "$BIN/kwokctl" ]] && "$BIN/kwokctl" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    "$BIN/kwokctl" delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" >>"$LOGS/kwokctl.log" 2>&1 || say "kwokctl delete cluster failed (see $LOGS/kwokctl.log)"
  fi
  stop registry
  stop registry-forward
  # anything of the node's still running (after a crash, or pods whose shim is gone)
  left="$(our_processes)"
  if [[ -n "$left" ]]; then
    say "ending what is left:"$'\n'"$left"
    for s in $(our_pids | sort -un); do
      [[ "$s" == "$$" || "$s" == "$BASHPID" ]] || kill -KILL "$s" 2>/dev/null || true
    done
    sleep 1
  fi
}

# unmount_dir: every mount under the node's directory, deepest first (pod volumes, overlay
# root filesystems, shm, kubelet's shared bind mount; node 2's namespace)
unmount_dir() {
  local m
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done < <(awk -v d="$DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

# the network namespaces of node 2's pods: those its containerd named, and (after a
# crash) any that holds an address of its pod range
node2_pod_netns() {
  local f
  for f in /run/netns/cni-*; do
    [[ -e "$f" ]] || continue
    if nsenter --net="$f" ip -4 -o addr show 2>/dev/null | grep -q " inet ${POD_CIDR%.0/24}\."; then echo "$f"; fi
  done
}

down_node2() {
  local t0=$SECONDS netns m h left
  [[ -x "$NODE_BIN/ctr" ]] || die "the tool cache $TOOLS has no node-bin/ctr: cannot clean up the node's containers (build: npm run e2e:tools node-debs)"
  say "node 2: stopping its processes"
  stop_processes
  netns="$SANDBOX_NETNS"

  say "node 2: its pods' namespaces, its own namespace (its iptables, bridge and sysctls with it), the veth"
  for m in $netns $(node2_pod_netns); do
    umount "$m" 2>/dev/null || true
    rm -f "$m"
  done
  umount "$NETNS" 2>/dev/null || true
  if ip link del "$VETH" 2>/dev/null; then say "link $VETH deleted"; fi

  say "node 2: mounts and cgroups"
  unmount_dir
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h$CGROUP_ROOT" ]] && find "$h$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
  done

  # the sysctls kubelet sets machine-wide are node 1's baseline's: its down restores them
  left="$(snapshot_node2)"
  finish_down "$left" "node 2 left behind:" \
    "node 2 down in $((SECONDS - t0))s: nothing of it left (processes, namespaces, mounts, cgroups, links, routes)"
}

# finish_down LEFT HEADING DONE: with anything LEFT, says so under HEADING, keeps the
# node's state for another down and fails; else removes the state and says DONE
finish_down() {
  if [[ -n "$1" ]]; then
    say "$2"
    echo "$1" >&2
    say "state kept in $DIR; run down again once the cause is fixed"
    return 1
  fi
  rm -rf "$DIR"
  say "$3"
}

down_node1() {
  local t0=$SECONDS netns m h c s
  if [[ ! -d "$DIR" ]]; then
    say "nothing to do: no node state at $DIR"
    return 0
  fi
  [[ -x "$NODE_BIN/ctr" ]] || die "the tool cache $TOOLS has no node-bin/ctr: cannot clean up the node's containers (build: npm run e2e:tools node-debs)"

  say "stopping the node's processes"
  stop_processes
  netns="$SANDBOX_NETNS"

  say "network: iptables chains, namespaces, links, routes"
  if [[ -x "$BIN/kube-proxy" ]]; then "$BIN/kube-proxy" --cleanup >>"$LOGS/kube-proxy-cleanup.log" 2>&1 || true; fi
  remove_kube_chains
  remove_new_nft_tables
  # the pods' network namespaces: those containerd named, and any cni-* that was not there
  # before the first up (containerd gone after a crash cannot name them)
  for m in $netns $(awk '$5 ~ "^/(var/)?run/netns/cni-" { print $5 }' /proc/self/mountinfo); do
    grep -qx "mount $m" "$BASELINE" 2>/dev/null && continue
    umount "$m" 2>/dev/null || true
    rm -f "$m"
  done
  ip route del "$SERVICE_CIDR" dev "$BRIDGE" 2>/dev/null || true
  if ip link del "$BRIDGE" 2>/dev/null; then say "link $BRIDGE deleted"; fi

  say "mounts and cgroups"
  unmount_dir
  for h in /sys/fs/cgroup/*/; do
    for c in "$CGROUP_ROOT" k8s.io; do
      [[ -d "$h$c" ]] || continue
      grep -qx "cgroup $h$c" "$BASELINE" 2>/dev/null && continue
      find "$h$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  done

  say "sysctls back to their values before the first up"
  if [[ -f "$BASELINE" ]]; then
    while IFS='=' read -r s c; do
      s="${s#sysctl }"
      [[ "$c" == absent ]] || [[ "$(sysctl -n "$s" 2>/dev/null)" == "$c" ]] || sysctl -q -w "$s=$c" || say "could not restore $s=$c"
    done < <(grep '^sysctl ' "$BASELINE")
  fi

  # what differs from before the first up (the baseline), if anything
  local now diff=""
  if [[ -f "$BASELINE" ]]; then
    now="$(snapshot)"
    diff="$(diff <(sort "$BASELINE") <(sort <<<"$now") | grep -E '^[<>]' || true)"
  fi
  finish_down "$diff" "left behind (< before the first up, > now):" \
    "down in $((SECONDS - t0))s: nothing left (processes, mounts, cgroups, KUBE-* chains, links, routes, sysctls as before)"
}

# ---- status / env --------------------------------------------------------------------------

# --node 1|2 (default 1): the node a status or env command is about
node_arg() {
  local which
  which="$(one_option "$@")"
  use_node "${which:-1}"
}

cmd_status() {
  local n rc=1
  node_arg status node "$@"
  if [[ ! -d "$DIR" ]]; then echo "e2e:node: down (no state at $DIR)"; return 1; fi
  for n in registry registry-forward containerd kubelet kube-proxy coredns local-path; do
    [[ "$NODE" == 2 && ( "$n" == registry || "$n" == local-path ) ]] && continue
    [[ "$NODE" == 1 && "$n" == registry-forward ]] && continue
    if running "$n"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; elif [[ -f "$RUN/$n.pid" ]]; then echo "$n: exited (see $LOGS/$n.log)"; else echo "$n: not started by e2e:node"; fi
  done
  if [[ -f "$KUBECONFIG_FILE" ]] && kc get node "$NODE_NAME" >/dev/null 2>&1; then
    kc get node "$NODE_NAME" -o wide
    kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True && rc=0
  else
    echo "API server: not answering"
  fi
  [[ -f "$DIR/env" ]] && echo "env: $DIR/env" && echo "kubeconfig: $KUBECONFIG_FILE"
  return "$rc"
}

cmd_env() {
  node_arg env node "$@"
  [[ -f "$DIR/env" ]] || die "not up (no $DIR/env): npm run e2e:node -- up$([[ "$NODE" == 1 ]] || echo " --clusters 2")"
  cat "$DIR/env"
}

case "${1:-}" in
  "") exec bash "$REPO/scripts/with-node.sh" "$REPO/node_modules/.bin/ts-node" --transpile-only "$REPO/e2e/node/run.ts" ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  env) shift; cmd_env "$@" ;;
  snapshot)
    shift
    which="$(one_option snapshot node "$@")"
    case "$which" in
      "") snapshot ;;
      2) use_node 2; snapshot_node2 ;;
      *) echo "e2e:node: snapshot: --node takes 2 (node 2's lines alone)" >&2; exit "$EXIT_USAGE" ;;
    esac ;;
  -h | --help | help) usage ;;
  *) echo "e2e:node: unknown command '$1' (up, down, status, env, snapshot)" >&2; exit "$EXIT_USAGE" ;;
esac
