// Test helpers over the offline evaluator (lib/evaluate.ts, shared with the tools):
// evaluate the program under mocks, then find resources, containers and env to assert on.
import { isSecretValue, Evaluation, Registered } from "../lib/evaluate";

export {
    evaluate, type EvaluateOptions, type Evaluation, isSecretValue, kubernetesObjects, lastRegistered, minimalConfig, MOCK_LB_ADDRESS,
    type Placeholder, PROJECT, type Registered, reveal, TWO_CLUSTERS,
} from "../lib/evaluate";

// ---- helpers for assertions ----

/**
 * The URN the engine would give: the mock monitor prefixes only the immediate parent's
 * type, the engine every ancestor's (`Parent$Child$kubernetes:...::name`, root stack
 * excluded), so an object moved under another component would look unmoved here.
 */
export function engineUrn(e: Evaluation, r: Registered): string {
    const parentOf = (x: Registered): Registered | undefined => {
        if (!x.parentUrn) return undefined;
        const [, , type, name] = x.parentUrn.split("::");
        const found = e.resources.filter((p) => p.type === type.split("$").pop() && p.name === name);
        return found.length === 1 ? found[0] : undefined;
    };
    const qualifiedType = (x: Registered): string => {
        const parent = parentOf(x);
        return parent ? `${qualifiedType(parent)}$${x.type}` : x.type;
    };
    return `${qualifiedType(r)}::${r.name}`;
}

export function ofType(e: Evaluation, type: string): Registered[] {
    return e.resources.filter((r) => r.type === type);
}

export function one(e: Evaluation, type: string, name: string): Registered {
    const found = e.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${found.length}: ` +
            e.resources.map((r) => `${r.type}/${r.name}`).join(", "));
    }
    return found[0];
}

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const SECRET = "kubernetes:core/v1:Secret";
export const SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";
export const IMAGE = "docker:index/image:Image";
export const REGISTRY_IMAGE = "docker:index/registryImage:RegistryImage";
export const DOCKER_PROVIDER = "pulumi:providers:docker";

export function podSpec(r: Registered): any {
    return r.inputs.spec.template.spec;
}

export function containers(r: Registered): any[] {
    return podSpec(r).containers;
}

export function container(r: Registered, name: string): any {
    const c = containers(r).find((x) => x.name === name);
    if (!c) throw new Error(`${r.name} has no container ${name}: ${containers(r).map((x) => x.name).join(", ")}`);
    return c;
}

export function envOf(c: any): Record<string, string> {
    return Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
}

/** Does a label selector select these labels? */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Every string in `v` that is not inside a secret. */
export function plainStrings(v: any): string[] {
    if (isSecretValue(v)) return [];
    if (typeof v === "string") return [v];
    if (Array.isArray(v)) return v.flatMap(plainStrings);
    if (v && typeof v === "object") return Object.values(v).flatMap(plainStrings);
    return [];
}
