/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs from the evaluated program are untyped property bags */
// One evaluated coupling started as containers: a pod per Deployment (pods.ts), Service
// names as network aliases of the pods they select, volumes per pod or per claim.
import { Coupling } from "../../components/config";
import { Evaluation } from "../../lib/evaluate";
import { assert } from "../lib/ledger";
import { Cluster, PodPlan, StartedPod, Variant } from "./pods";
import { DEPLOYMENT, GENERATOR_URL, PVC, SERVICE } from "./program";

export interface Deployed {
    pods: StartedPod[];
    echo: StartedPod;
}

function plansOf(cluster: Cluster, e: Evaluation, coupling: Coupling): { plans: PodPlan[]; networkOf: (providerUrn?: string) => string } {
    const networkOf = (providerUrn?: string) => cluster.network(`${coupling}-${providerUrn ? providerUrn.split("::").pop() : "default"}`);
    const plans = e.resources.filter((r) => r.type === DEPLOYMENT).map((d) => ({
        name: `${coupling}-${d.name}${d.providerUrn ? `-${d.providerUrn.split("::").pop()}` : ""}`,
        network: networkOf(d.providerUrn),
        labels: d.inputs.spec.template.metadata.labels,
        spec: d.inputs.spec.template.spec,
        providerUrn: d.providerUrn,
    }));
    return { plans, networkOf };
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

let deploys = 0;

export async function deploy(cluster: Cluster, e: Evaluation, coupling: Coupling, variant: Variant, volumeOpts: string[] = []): Promise<Deployed> {
    const { plans, networkOf } = plansOf(cluster, e, coupling);
    const services = e.resources.filter((r) => r.type === SERVICE);
    const claims = new Map(e.resources.filter((r) => r.type === PVC).map((r) => [r.inputs.metadata?.name ?? r.state.metadata.name, r]));
    const helper = Object.values(cluster.images)[0];
    const seq = ++deploys; // fresh volumes per deployment, as a new pod gets a new emptyDir
    const pods: StartedPod[] = [];
    for (const plan of plans as (PodPlan & { providerUrn?: string })[]) {
        // Service DNS names for the pods a Service selects (same cluster), ports as declared.
        const aliases: string[] = [];
        const extra: { network: string; aliases: string[] }[] = [];
        for (const s of services) {
            if (s.providerUrn !== plan.providerUrn || !selects(s.inputs.spec.selector ?? {}, plan.labels)) continue;
            const name = s.state.metadata.name;
            const ns = s.inputs.metadata.namespace;
            aliases.push(name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`);
            for (const p of s.inputs.spec.ports ?? []) {
                const target = typeof p.targetPort === "number" ? p.targetPort
                    : plan.spec.containers.flatMap((c: any) => c.ports ?? []).find((cp: any) => cp.name === (p.targetPort ?? p.port))?.containerPort ?? p.port;
                if (target !== p.port) throw new Error(`Service ${name} maps port ${p.port} to ${target}: not emulated (containers are reached on their own port)`);
            }
            // clusters: the generator side's Service is reachable from the echo side at generatorUrl
            if (coupling === "clusters" && s.inputs.spec.type === "LoadBalancer") {
                const echoSide = e.resources.find((r) => r.type === DEPLOYMENT && r.providerUrn !== plan.providerUrn)?.providerUrn;
                extra.push({ network: networkOf(echoSide), aliases: [new URL(GENERATOR_URL).hostname] });
            }
        }
        const fsGroup = variant.fsGroup ?? plan.spec.securityContext?.fsGroup;
        const volumeFor = (v: any): string => {
            if (v.emptyDir) return cluster.volume(`${seq}-${plan.name}-${v.name}`, "emptyDir", fsGroup, helper, volumeOpts);
            if (v.persistentVolumeClaim) {
                const claim = claims.get(v.persistentVolumeClaim.claimName);
                return cluster.volume(`${seq}-${coupling}-claim-${claim?.name ?? v.persistentVolumeClaim.claimName}`, "claim", fsGroup, helper, volumeOpts);
            }
            throw new Error(`volume ${v.name}: kind not emulated`);
        };
        pods.push(await cluster.startPod(plan, variant, aliases, extra, volumeFor));
    }
    const echoService = services.find((s) => (s.inputs.spec.ports ?? []).some((p: any) => p.port === 8000));
    const echo = pods.find((p) => echoService && selects(echoService.inputs.spec.selector, p.plan.labels));
    if (!echo) throw new Error("no pod serves echo (no Service on port 8000 selects one)");
    return { pods, echo };
}

export async function readyAll(cluster: Cluster, d: Deployed): Promise<number> {
    const start = Math.min(...d.pods.map((p) => p.startedAt));
    for (const p of d.pods) await cluster.ready(p, 90_000);
    return Date.now() - start;
}

/** The integers of a /data body, each checked to be 0..32767. */
export function lines(body: string): number[] {
    return body.split("\n").filter(Boolean).map((l) => {
        assert(/^\d+$/.test(l), `not an integer line: ${JSON.stringify(l)}`);
        const n = Number(l);
        assert(n >= 0 && n <= 32767, `out of range: ${n}`);
        return n;
    });
}
