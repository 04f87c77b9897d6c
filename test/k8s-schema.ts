// Validates the Kubernetes objects the program would apply against the API's own
// OpenAPI schemas (kubernetes-models: one class per kind, `validate()` runs the
// schema's precompiled ajv validator), plus a small strict JSON schema for the one
// OpenShift kind we emit (route.openshift.io/v1 Route), for which no models exist.
//
// Loading note: kubernetes-models 5 is ESM-only and its package.json `exports` only
// define the "import" condition, so `import { Deployment } from "kubernetes-models/apps/v1"`
// compiled to CommonJS (this project's module format) fails with
// ERR_PACKAGE_PATH_NOT_EXPORTED. Node >= 20.19 can require() ES modules by file path,
// so the classes are loaded from the package directory synchronously (validation stays
// a plain function call). (Its type declarations do not resolve under this project's
// `moduleResolution: node` either, hence the small ModelClass type below.)
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject } from "ajv";
import { Evaluation, Registered, kubernetesObjects } from "./harness";

/** A kubernetes-models kind class (e.g. `Deployment` of kubernetes-models/apps/v1). */
type ModelClass = (new (data: Record<string, unknown>) => { validate(): void }) & { apiVersion: string; kind: string };

function packageDir(name: string): string {
    for (const dir of require.resolve.paths(name) ?? []) {
        const candidate = path.join(dir, name);
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    }
    throw new Error(`cannot find package ${name} (is it installed?)`);
}

let modelsDir: string | undefined;
const groupCache = new Map<string, Record<string, unknown> | null>();

/** apiVersion -> the kubernetes-models module directory (`v1`, `apps/v1`, `networking.k8s.io/v1`, ...). */
function groupModule(apiVersion: string): Record<string, unknown> | null {
    if (!groupCache.has(apiVersion)) {
        modelsDir ??= packageDir("kubernetes-models");
        const file = path.join(modelsDir, ...apiVersion.split("/"), "index.js");
        // only well-formed apiVersions (group/version or core version), no path tricks
        const wellFormed = /^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion);
        // require() by path: the only synchronous way to load these ES modules (see the note at the top)
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        groupCache.set(apiVersion, wellFormed && fs.existsSync(file) ? require(file) as Record<string, unknown> : null);
    }
    return groupCache.get(apiVersion)!;
}

/** The kubernetes-models class for apiVersion/kind, or undefined when kubernetes-models has none. */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
    const candidate = groupModule(apiVersion)?.[kind] as ModelClass | undefined;
    // index modules also export non-kind helpers; a kind's class carries its own apiVersion/kind
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

// ajv is what @kubernetes-models/validate itself uses (hoisted to the root node_modules).
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

// ---- the objects of an evaluation ----

/** Pulumi's wire marker for a secret value: `{[SECRET_SIG]: SECRET_VALUE, value}`. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Mocks receive secret inputs still wrapped in Pulumi's secret envelope; the API server
 * gets the plain value. `redact` replaces every string inside a secret with a placeholder.
 */
export function unwrapSecrets(value: unknown, mode: "reveal" | "redact" = "reveal", inSecret = false): unknown {
    if (Array.isArray(value)) return value.map((v) => unwrapSecrets(v, mode, inSecret));
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value, mode, true);
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v, mode, inSecret)]));
    }
    if (inSecret && mode === "redact" && typeof value === "string") return "[secret]";
    return value;
}

export interface KubernetesObject {
    resource: Registered;
    /** The object as the API server would get it (auto-name filled in, secrets unwrapped). */
    object: Record<string, any>;
    /** The Kubernetes provider (= cluster) it goes to. */
    cluster: { provider: string; context?: string; kubeconfig?: string };
}

export function kubernetesObjectsOf(e: Evaluation, secrets: "reveal" | "redact" = "reveal"): KubernetesObject[] {
    const providers = new Map(e.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => [r.urn, r]));
    return kubernetesObjects(e).map(({ resource, object }) => {
        const provider = resource.providerUrn ? providers.get(resource.providerUrn) : undefined;
        return {
            resource,
            object: unwrapSecrets(object, secrets) as Record<string, any>,
            cluster: {
                provider: provider?.name ?? "default",
                context: provider?.inputs.context || undefined,
                kubeconfig: provider?.inputs.kubeconfig || undefined,
            },
        };
    });
}

/** Every object's schema errors, as `Kind/name: error` lines (empty = all valid). */
export function schemaErrors(e: Evaluation): string[] {
    return kubernetesObjectsOf(e).flatMap(({ object, resource }) =>
        validateKubernetesObject(object).map((err) =>
            `${object.kind ?? resource.type}/${object.metadata?.name ?? resource.name} (${resource.urn}): ${err}`));
}
