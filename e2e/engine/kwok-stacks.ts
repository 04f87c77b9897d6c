// How stage B (stage-b.ts, first-deploy.ts) drives a stack on the kwok clusters.
import { kubeconfigOf } from "../lib/kwok";
import { pulumiOk, Workspace } from "../lib/workspace";
import { UP_TIMEOUT_MS } from "./knobs";

/** The kubeconfig holding both kwok clusters' contexts. */
export function kubeEnv(ws: Workspace): NodeJS.ProcessEnv {
    return { KUBECONFIG: kubeconfigOf(ws) };
}

export function up(ws: Workspace, stack: string) {
    return pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
}

export function stackOutputs(ws: Workspace, stack: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse(pulumiOk(ws, ["stack", "output", "--stack", stack, "--json"]).stdout);
}
