// The real node as the suite drives it: `e2e/node/cluster.sh` (npm run e2e:node) brings
// it up and down; what it wrote to its env file says how to reach it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SERVES_ECHO_LABEL } from "../../components/vocabulary";
import { Cluster, kubectl, kubectlJson } from "../lib/kubectl";
import { assert, CheckError } from "../lib/ledger";
import { run, RunResult, sleepSync, tail } from "../lib/processes";
import { REPO } from "../lib/workspace";

export const CLUSTER_SCRIPT = path.join(REPO, "e2e", "node", "cluster.sh");
/** The node's state directory: the same default as cluster.sh's. */
export const NODE_DIR = process.env.APP_COUPLING_NODE_DIR ??
    path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "app-coupling", "node");

/** Node 2's state directory (`up --clusters 2`): the same default as cluster.sh's. */
export const NODE2_DIR = process.env.APP_COUPLING_NODE2_DIR ?? path.join(path.dirname(NODE_DIR), "second-node");

/** The node's cluster and the addresses `up` wrote to its env file. */
export interface Node extends Cluster {
    nodeName: string;
    registry: string;
    env: Record<string, string>;
}

/** `args`: `--clusters 2` for up, `--node 2` for down, status and env. */
export function clusterScript(command: "up" | "down" | "status" | "env" | "snapshot", timeoutMs = 5 * 60_000, args: string[] = []): RunResult {
    return run("bash", [CLUSTER_SCRIPT, command, ...args], { timeoutMs });
}

/** Node 1, or (`up --clusters 2`) node 2 in its network namespace. */
export function readNode(which: 1 | 2 = 1): Node {
    const r = clusterScript("env", 10_000, which === 2 ? ["--node", "2"] : []);
    if (r.code !== 0) throw new CheckError(`npm run e2e:node -- env exited ${r.code}:\n${tail(r.output, 5)}`);
    const env = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    assert(env.KUBECONFIG && fs.existsSync(env.KUBECONFIG), `the node's env names no kubeconfig: ${r.stdout}`);
    return { name: which === 2 ? "node2" : "node", context: env.KUBE_CONTEXT, kubeconfig: env.KUBECONFIG, nodeName: env.NODE_NAME, registry: env.REGISTRY, env };
}

/** The lines of a snapshot that differ ("-" before, "+" after). */
export function snapshotDiff(before: string, after: string): string[] {
    const a = new Set(before.split("\n").filter(Boolean)), b = new Set(after.split("\n").filter(Boolean));
    return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
}

// ---- what runs in a namespace --------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
export type KObj = any;

/** Every Deployment in the namespace has all its replicas updated, Ready and available. */
export function deploymentsReady(c: Cluster, namespace: string): KObj[] {
    const deps = kubectlJson<{ items: KObj[] }>(c, ["get", "deployments", "-n", namespace]).items;
    assert(deps.length > 0, `no Deployments in ${namespace}`);
    for (const d of deps) {
        const want = d.spec?.replicas ?? 1;
        const s = d.status ?? {};
        assert((s.readyReplicas ?? 0) === want && (s.updatedReplicas ?? 0) === want && (s.availableReplicas ?? 0) === want,
            `Deployment ${namespace}/${d.metadata.name}: ${s.readyReplicas ?? 0}/${want} ready, ${s.updatedReplicas ?? 0} updated, ${s.availableReplicas ?? 0} available`);
    }
    return deps;
}

/** The pods of the namespace, with their phase and whether they are stopping. */
export function pods(c: Cluster, namespace: string): KObj[] {
    return kubectlJson<{ items: KObj[] }>(c, ["get", "pods", "-n", namespace]).items;
}

/** Waits until the only pods left are the current Deployments' (the old coupling's are gone). */
export function waitSettled(c: Cluster, namespace: string, timeoutMs: number): number {
    const t0 = Date.now();
    for (;;) {
        const deps = kubectlJson<{ items: KObj[] }>(c, ["get", "deployments", "-n", namespace]).items;
        const want = deps.reduce((n, d) => n + (d.spec?.replicas ?? 1), 0);
        const ps = pods(c, namespace);
        if (ps.length === want && ps.every((p) => !p.metadata.deletionTimestamp)) return Date.now() - t0;
        if (Date.now() - t0 > timeoutMs) {
            throw new CheckError(`after ${timeoutMs / 1000}s still ${ps.length} pods (want ${want}): ` +
                ps.map((p) => `${p.metadata.name}${p.metadata.deletionTimestamp ? " (stopping)" : ""}`).join(", "));
        }
        sleepSync(500);
    }
}

/** The echo Service: the one selecting the pods that serve echo. */
export function echoService(c: Cluster, namespace: string): { name: string; uid: string; clusterIP: string; port: number } {
    const svcs = kubectlJson<{ items: KObj[] }>(c, ["get", "services", "-n", namespace]).items;
    const s = svcs.find((x) => x.spec?.selector?.[SERVES_ECHO_LABEL] === "true");
    assert(s, `no echo Service in ${namespace} (services: ${svcs.map((x) => x.metadata.name).join(", ") || "none"})`);
    return { name: s.metadata.name, uid: s.metadata.uid, clusterIP: s.spec.clusterIP, port: s.spec.ports[0].port };
}

/** Whether the namespace is gone (after a destroy); a Terminating one counts as not yet. */
export function namespaceGone(c: Cluster, namespace: string): boolean {
    return kubectl(c, ["get", "namespace", namespace]).code !== 0;
}

/** PersistentVolumes that were bound to claims of the namespace. */
export function volumesOf(c: Cluster, namespace: string): string[] {
    return kubectlJson<{ items: KObj[] }>(c, ["get", "pv"]).items
        .filter((v) => v.spec?.claimRef?.namespace === namespace).map((v) => `${v.metadata.name} (${v.status?.phase})`);
}
/* eslint-enable @typescript-eslint/no-explicit-any */
