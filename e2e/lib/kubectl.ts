// kubectl from the tool cache against one cluster: a kubeconfig and a context in it (a
// kwok cluster, a real node's API server, any cluster a layer was given).
import { CheckError } from "./ledger";
import { run, tail } from "./processes";
import { tool } from "./tools";

export interface Cluster {
    name: string;
    context: string;
    kubeconfig: string;
}

export function kubectl(c: Cluster, args: string[], input?: string) {
    return run(tool("kubectl"), ["--kubeconfig", c.kubeconfig, "--context", c.context, ...args], { input, timeoutMs: 120_000 });
}

export function kubectlOk(c: Cluster, args: string[], input?: string) {
    const r = kubectl(c, args, input);
    if (r.code !== 0) throw new CheckError(`\`kubectl --context ${c.context} ${args.join(" ")}\` exited ${r.code}:\n${tail(r.output, 20)}`);
    return r;
}

export function kubectlJson<T = any>(c: Cluster, args: string[]): T { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse(kubectlOk(c, [...args, "-o", "json"]).stdout) as T;
}

/** The namespace's claims (none when it is gone): the volume each is bound to, its class and the node it was bound for. */
export function claims(c: Cluster, namespace: string): { name: string; uid: string; volume: string; phase: string; className: string; selectedNode: string }[] {
    const r = kubectl(c, ["get", "pvc", "-n", namespace, "-o", "json"]);
    if (r.code !== 0) return [];
    return JSON.parse(r.stdout).items.map((p: any) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
        name: p.metadata.name, uid: p.metadata.uid, volume: p.spec.volumeName ?? "", phase: p.status?.phase ?? "",
        className: p.spec.storageClassName ?? "", selectedNode: p.metadata.annotations?.["volume.kubernetes.io/selected-node"] ?? "",
    }));
}
