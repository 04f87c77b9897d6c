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
