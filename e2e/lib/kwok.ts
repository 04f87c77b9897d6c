// kwok clusters from the tool cache's binaries (binary runtime: no images, no downloads):
// a real etcd, kube-apiserver (authorization and admission on, so Pod Security admission
// runs), kube-controller-manager and kube-scheduler, and kwok faking nodes and pod status.
// Each is deleted at cleanup.
import { ChildProcess } from "child_process";
import * as path from "path";
import { onCleanup } from "./cleanups";
import { Cluster, kubectl, kubectlOk } from "./kubectl";
import { background, run, runOk, waitForSync } from "./processes";
import { tool } from "./tools";
import { Workspace } from "./workspace";

export type { Cluster };

export const KWOK_TOOLS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok", "kwokctl"];

function kwokEnv(ws: Workspace): NodeJS.ProcessEnv {
    // kwokctl keeps each cluster's files (pki, etcd data, logs) under KWOK_WORKDIR
    return { ...ws.env, KWOK_WORKDIR: path.join(ws.dir, "kwok"), KWOK_KUBECTL_BINARY: tool("kubectl") };
}

/** The one kubeconfig every kwok cluster of the workspace writes its context into. */
export function kubeconfigOf(ws: Workspace): string {
    return path.join(ws.dir, "kubeconfig");
}

export function createCluster(ws: Workspace, name: string, nodes: number): Cluster {
    const kubeconfig = kubeconfigOf(ws);
    const env = kwokEnv(ws);
    onCleanup(`kwok cluster ${name}`, () => {
        run(tool("kwokctl"), ["delete", "cluster", "--name", name, "--kubeconfig", kubeconfig], { env, timeoutMs: 120_000 });
    });
    runOk(tool("kwokctl"), [
        "create", "cluster", "--name", name,
        "--runtime", "binary",
        "--kube-apiserver-binary", tool("kube-apiserver"),
        "--kube-controller-manager-binary", tool("kube-controller-manager"),
        "--kube-scheduler-binary", tool("kube-scheduler"),
        "--kwok-controller-binary", tool("kwok"),
        "--etcd-binary", tool("etcd"),
        "--secure-port=true", "--kube-authorization=true", "--kube-admission=true",
        "--kubeconfig", kubeconfig,
        "--wait", "3m",
    ], { env, timeoutMs: 5 * 60_000 });
    runOk(tool("kwokctl"), ["scale", "node", "--name", name, "--replicas", String(nodes)], { env, timeoutMs: 120_000 });
    const cluster = { name, context: `kwok-${name}`, kubeconfig };
    waitForSync(`${nodes} Ready kwok nodes in ${name}`, () => {
        const r = kubectl(cluster, ["get", "nodes", "-o", "json"]);
        if (r.code !== 0) return false;
        const items = JSON.parse(r.stdout).items as { status?: { conditions?: { type: string; status: string }[] } }[];
        return items.length === nodes && items.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    }, 120_000);
    return cluster;
}

/**
 * kwok has no volume provisioner: statically provisioned PersistentVolumes (no storage
 * class, Retain) for claims that name no class to bind to, as an administrator would
 * provide them; hostPath, since kwok's pods never mount anything.
 */
export function createStaticVolumes(c: Cluster, count: number, size: string): void {
    const docs = [];
    for (let i = 1; i <= count; i++) {
        docs.push({
            apiVersion: "v1", kind: "PersistentVolume",
            metadata: { name: `e2e-static-${i}`, labels: { "app-coupling-e2e/static": "true" } },
            spec: {
                capacity: { storage: size }, accessModes: ["ReadWriteOnce", "ReadWriteMany"],
                persistentVolumeReclaimPolicy: "Retain", storageClassName: "",
                hostPath: { path: `/tmp/app-coupling-e2e-pv-${i}` },
            },
        });
    }
    kubectlOk(c, ["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }));
}

/**
 * kwok has no load-balancer implementation: a stand-in for one (as MetalLB or a cloud
 * controller would) gives every LoadBalancer Service an address from TEST-NET-3 through
 * the status subresource. Runs in the background until cleanup (or until the caller stops it).
 */
export function startLoadBalancerStandIn(c: Cluster, address: string, pollSeconds = 2): ChildProcess {
    const k = `${tool("kubectl")} --kubeconfig ${c.kubeconfig} --context ${c.context}`;
    const script = `while :; do
  ${k} get services -A -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace} {.metadata.name} {.status.loadBalancer.ingress[0].ip}{"\\n"}{end}' 2>/dev/null |
  while read -r ns name ip; do
    [ -n "$ip" ] || ${k} patch service -n "$ns" "$name" --subresource=status --type=merge -p '{"status":{"loadBalancer":{"ingress":[{"ip":"${address}"}]}}}' >/dev/null 2>&1
  done
  sleep ${pollSeconds}
done`;
    return background(`load-balancer stand-in for ${c.name}`, "bash", ["-c", script]);
}
