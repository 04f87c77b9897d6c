// Validates the Kubernetes objects the program would apply against the API's own
// OpenAPI schemas (kubernetes-models: one class per kind, `validate()` runs the
// schema's precompiled ajv validator), plus a small strict JSON schema for the one
// OpenShift kind we emit (route.openshift.io/v1 Route), for which no models exist.
// kubernetes-models 5 is ESM-only (its exports have only an "import" condition, so
// require() cannot load it): `loadKubernetesSchemas()` imports it once, before use.
import Ajv, { ErrorObject } from "ajv";

/** A kubernetes-models kind class (e.g. `Deployment` of kubernetes-models/apps/v1). */
type ModelClass = (new (data: Record<string, unknown>) => { validate(): void }) & { apiVersion: string; kind: string };

/** The API groups this program emits (apiVersion -> module); any other apiVersion has no schema here and fails. */
const GROUP_MODULES: Record<string, string> = {
    "v1": "kubernetes-models/v1",
    "apps/v1": "kubernetes-models/apps/v1",
    "policy/v1": "kubernetes-models/policy/v1",
    "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};
let GROUPS: Record<string, Record<string, unknown>> | undefined;

// A real dynamic import: TypeScript's CommonJS output would turn `import()` into require().
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

/** Loads the schemas (once); await it before `validateKubernetesObject`, e.g. in a mocha `before`. */
export async function loadKubernetesSchemas(): Promise<void> {
    if (GROUPS) return;
    const entries = await Promise.all(Object.entries(GROUP_MODULES).map(async ([apiVersion, module]) => [apiVersion, await importEsm(module)] as const));
    GROUPS = Object.fromEntries(entries);
}

/** The kubernetes-models class for apiVersion/kind, or undefined when there is none. */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
    if (!GROUPS) throw new Error("kubernetes-models not loaded: await loadKubernetesSchemas() first");
    const candidate = GROUPS[apiVersion]?.[kind] as ModelClass | undefined;
    // group modules also export non-kind types; a kind's class carries its own apiVersion/kind
    return typeof candidate === "function" && candidate.apiVersion === apiVersion && candidate.kind === kind ? candidate : undefined;
}

// ---- OpenShift Route (route.openshift.io/v1), only the fields this program uses ----
// Field names, enums and required fields as in openshift/api route/v1 types.go.
const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const stringMap = { type: "object", additionalProperties: { type: "string" } };
export const ROUTE_V1_SCHEMA = {
    type: "object",
    additionalProperties: false,
    required: ["apiVersion", "kind", "metadata", "spec"],
    properties: {
        apiVersion: { const: "route.openshift.io/v1" },
        kind: { const: "Route" },
        metadata: {
            type: "object",
            additionalProperties: false,
            properties: {
                name: { type: "string", maxLength: 253, pattern: DNS_SUBDOMAIN },
                generateName: { type: "string" },
                namespace: { type: "string", maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
                labels: stringMap,
                annotations: stringMap,
            },
        },
        spec: {
            type: "object",
            additionalProperties: false,
            required: ["to"],
            properties: {
                host: { type: "string", maxLength: 253, pattern: DNS_SUBDOMAIN },
                path: { type: "string", pattern: "^/" },
                to: {
                    type: "object",
                    additionalProperties: false,
                    required: ["kind", "name"],
                    properties: {
                        kind: { const: "Service" },
                        name: { type: "string", minLength: 1 },
                        weight: { type: "integer", minimum: 0, maximum: 256 },
                    },
                },
                port: {
                    type: "object",
                    additionalProperties: false,
                    required: ["targetPort"],
                    properties: { targetPort: { anyOf: [{ type: "string", minLength: 1 }, { type: "integer", minimum: 1, maximum: 65535 }] } },
                },
                tls: {
                    type: "object",
                    additionalProperties: false,
                    required: ["termination"],
                    properties: {
                        termination: { enum: ["edge", "passthrough", "reencrypt"] },
                        insecureEdgeTerminationPolicy: { enum: ["Allow", "Disable", "Redirect", "None"] },
                        certificate: { type: "string" },
                        key: { type: "string" },
                        caCertificate: { type: "string" },
                        destinationCACertificate: { type: "string" },
                    },
                },
                wildcardPolicy: { enum: ["None", "Subdomain"] },
            },
        },
    },
} as const;

// ajv, the validator kubernetes-models itself compiles its schemas with.
const ajv = new Ajv({ allErrors: true, strict: true });
const validateRoute = ajv.compile(ROUTE_V1_SCHEMA);

const formatAjvError = (e: ErrorObject) => {
    const where = e.instancePath || "(root)";
    const detail = e.keyword === "additionalProperties" ? ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`
        : e.keyword === "enum" ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})`
            : "";
    return `${where} ${e.message ?? e.keyword}${detail}`;
};

/** Custom (non-built-in) kinds we know a schema for. */
const CUSTOM_SCHEMAS: Record<string, (obj: unknown) => string[]> = {
    "route.openshift.io/v1/Route": (obj) => validateRoute(obj) ? [] : (validateRoute.errors ?? []).map(formatAjvError),
};

/**
 * Errors of one Kubernetes object against its kind's schema; empty = valid.
 * An apiVersion/kind with no known schema is an error, never skipped.
 */
export function validateKubernetesObject(obj: unknown): string[] {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return ["not an object"];
    const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
        return [`no apiVersion/kind (got ${JSON.stringify(apiVersion)}/${JSON.stringify(kind)})`];
    }
    const custom = CUSTOM_SCHEMAS[`${apiVersion}/${kind}`];
    if (custom) return custom(obj);
    const Model = modelFor(apiVersion, kind);
    if (!Model) return [`no schema for ${apiVersion}/${kind}`];
    try {
        new Model(obj as Record<string, unknown>).validate();
        return [];
    } catch (err) {
        const errors = (err as { errors?: ErrorObject[] }).errors;
        if (Array.isArray(errors) && errors.length) {
            return errors.map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}${
                e.keyword === "enum" ? ` (${JSON.stringify((e.params as { allowedValues?: unknown[] }).allowedValues)})` : ""}`);
        }
        return [String((err as Error).message ?? err)];
    }
}

// ---- the objects of an evaluation: lib/objects.ts (shared with the render tool) ----
export { type KubernetesObject, kubernetesObjectsOf } from "../lib/objects";
