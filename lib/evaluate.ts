// The offline evaluator: the real program (deployStack) evaluated under
// pulumi.runtime.setMocks, Pulumi's own unit-test path, with what a provider would fill
// in (auto-names, image digests, load-balancer addresses) made up and recorded as
// placeholders. Tools (render, docs, bench) and tests both use it: tools -> lib <- tests.
// Each call is a fresh evaluation, so one process can evaluate every coupling and config.
/* eslint-disable @typescript-eslint/no-explicit-any -- resources are untyped property bags */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ClusterFacts, setClusterFactsSource, StorageClassFacts } from "../components/cluster-read";
import { AppConfig, ClusterTarget, loadConfig } from "../components/config";
import { deployStack, StackOutputs } from "../components/program";

export const PROJECT = "app-coupling";

/** Two distinct kube contexts: the least `clusters` needs. */
export const TWO_CLUSTERS = { generator: { context: "kind-a" }, echo: { context: "kind-b" } };

/** The smallest valid config for a coupling (only `clusters` needs more than its name). */
export function minimalConfig(coupling: string): Record<string, unknown> {
    return { coupling, ...(coupling === "clusters" ? { clusters: TWO_CLUSTERS } : {}) };
}

export interface Registered {
    type: string;
    name: string;
    urn: string;
    /** URN of the explicit provider the resource was registered with, if any. */
    providerUrn?: string;
    /** URN of the parent resource. */
    parentUrn?: string;
    /** Resource options the engine would get. */
    retainOnDelete: boolean;
    /** The deleteBeforeReplace option when the program set it (true or false), else undefined. */
    deleteBeforeReplace?: boolean;
    inputs: Record<string, any>;
    /** What the mock returned as the resource's state (inputs plus provider-filled fields). */
    state: Record<string, any>;
}

/** A made-up value standing in for one only a real provider, cluster or secret store has. */
export interface Placeholder {
    value: string;
    what: string;
}

export interface Evaluation {
    config: AppConfig;
    /** Values in the resources that are stand-ins (digests, addresses, secrets render cannot read). */
    placeholders: Placeholder[];
    resources: Registered[];
    outputs: Record<string, unknown>;
    /** Whether each output is a Pulumi secret. */
    secretOutputs: Record<string, boolean>;
    /** What the program said with pulumi.log.warn (collected, not printed: the caller decides). */
    warnings: string[];
}

export interface EvaluateOptions {
    stack?: string;
    /** Keys (without the project prefix) the stack stores encrypted. */
    secretKeys?: string[];
    hostArch?: string;
    imagesDir?: string;
    /** Stack name -> outputs, for `imagesFromStack`. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** Stand-ins the caller put in the config or stack outputs, reported with the mock's own. */
    placeholders?: Placeholder[];
    /**
     * Evaluate as `pulumi preview` of a new stack does: what providers compute on create
     * (digests) is unknown, and outputs that depend on it are reported as UNKNOWN.
     */
    preview?: boolean;
    /** What the mock's load balancers report in `status.loadBalancer.ingress[0]` (default: `{ ip: MOCK_LB_ADDRESS }`). */
    loadBalancerIngress?: { ip?: string; hostname?: string };
    /**
     * What the program reads from its clusters (components/cluster-read.ts), by kube context
     * ("" = the kubeconfig's current one); unset = no cluster can be read, so nothing is
     * checked, as in render mode. An Error value makes every read of that cluster fail with it.
     */
    clusters?: Record<string, FakeCluster | Error>;
}

/** A cluster as the program's reads see it. */
export interface FakeCluster {
    storageClasses?: StorageClassFacts[];
    /** `namespace/name` of the claims that exist. */
    claims?: string[];
    /** `kubernetes.io/arch` of each node. */
    nodeArchitectures?: string[];
    /** Available PersistentVolumes of no class. */
    classlessVolumes?: { capacity: string; accessModes: string[] }[];
}

function fakeFacts(clusters: Record<string, FakeCluster | Error>, target: Partial<ClusterTarget>): ClusterFacts | undefined {
    const cluster = clusters[target.context ?? ""];
    if (cluster === undefined) return undefined;
    const read = <T>(f: (c: FakeCluster) => T) => (cluster instanceof Error ? Promise.reject(cluster) : Promise.resolve(f(cluster)));
    return {
        claimExists: (namespace, name) => read((c) => (c.claims ?? []).includes(`${namespace}/${name}`)),
        storageClasses: () => read((c) => c.storageClasses ?? []),
        availableClasslessVolumes: () => read((c) => c.classlessVolumes ?? []),
        hasNodeWithArch: (arch) => read((c) => (c.nodeArchitectures ?? []).includes(arch)),
        nodeArchitectures: () => read((c) => [...new Set(c.nodeArchitectures ?? [])].sort()),
    };
}

/** An output a preview cannot know yet. */
export const UNKNOWN = "<unknown during preview>";

/** The address the mock gives every LoadBalancer Service (TEST-NET-3, never routable). */
export const MOCK_LB_ADDRESS = "203.0.113.10";

const short = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 8);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null));

/** What a provider would fill in: auto-names, digests, load-balancer addresses. */
function mockState(type: string, name: string, inputs: Record<string, any>, opts: EvaluateOptions, placeholders: Placeholder[]): Record<string, any> {
    const state = clone(inputs) ?? {};
    if (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm")) {
        state.metadata = { ...(state.metadata ?? {}) };
        // Pulumi auto-naming: logical name plus a random suffix (deterministic here)
        state.metadata.name ??= `${name}-${short(type + name)}`;
        if (type === "kubernetes:core/v1:Service") {
            state.spec.clusterIP = "10.96.0.10";
            if (state.spec.type === "LoadBalancer") {
                const ingress = opts.loadBalancerIngress ?? { ip: MOCK_LB_ADDRESS };
                state.status = { loadBalancer: { ingress: [ingress] } };
                placeholders.push({ value: ingress.hostname ?? ingress.ip ?? MOCK_LB_ADDRESS, what: "load-balancer address (a real one is known only once the cloud assigns it; set clusters.generatorUrl)" });
            }
            if (state.spec.type === "NodePort") state.spec.ports = state.spec.ports.map((p: object) => ({ ...p, nodePort: 30080 }));
        }
        if (type === "kubernetes:route.openshift.io/v1:Route") {
            state.spec.host = `${state.metadata.name}.apps.example.test`;
            placeholders.push({ value: state.spec.host, what: "route host (OpenShift assigns it)" });
        }
    }
    // As pulumi-docker 5.2.0 answers (provider/image.go dockerBuild): with skipPush the
    // Image's repoDigest is the local image ID, not a registry reference.
    const digestOf = (s: string) => `sha256:${crypto.createHash("sha256").update(s).digest("hex")}`;
    // (a preview of a create answers the inputs only: the engine makes the rest unknown)
    if (type === "docker:index/image:Image" && !opts.preview) {
        const repository = String(inputs.imageName).replace(/:[^:/]+$/, "");
        state.repoDigest = inputs.skipPush ? digestOf(`image id of ${inputs.imageName}`) : `${repository}@${digestOf(inputs.imageName)}`;
    }
    // kreuzwerker's docker_registry_image: after the push, the digest the registry answers for the tag
    if (type === "docker:index/registryImage:RegistryImage") {
        state.sha256Digest = opts.preview ? pulumi.runtime.unknownValue : digestOf(String(inputs.name));
        if (opts.preview) return state;
        placeholders.push({ value: state.sha256Digest, what: "image digest (known only after a real build and push; or set images / imagesFromStack)" });
    }
    if (type === "pulumi:pulumi:StackReference") {
        state.outputs = opts.stackOutputs?.[inputs.name] ?? {};
        state.secretOutputNames = [];
    }
    return state;
}

async function resolve<T>(output: pulumi.Input<T> | undefined): Promise<{ value: T | typeof UNKNOWN | undefined; secret: boolean }> {
    if (output === undefined) return { value: undefined, secret: false };
    const o = pulumi.output(output);
    // an unknown output never runs an apply callback: ask first (isKnown is the SDK's own, internal)
    const known = await (o as unknown as { isKnown: Promise<boolean> }).isKnown;
    const secret = await pulumi.isSecret(o);
    if (!known) return { value: UNKNOWN, secret };
    return { value: await new Promise<T>((r) => o.apply((v) => { r(v as T); return v; })), secret };
}

/**
 * Run `fn` with pulumi.log.warn collecting into `warnings` instead of printing: under
 * mocks there is no engine, and the SDK would print `warning: [runtime] ...` to stderr.
 */
export async function collectingWarnings<T>(warnings: string[], fn: () => Promise<T>): Promise<T> {
    const log = pulumi.log as { warn: typeof pulumi.log.warn };
    const warn = log.warn;
    log.warn = async (message: string) => { warnings.push(message); };
    try {
        return await fn();
    } finally {
        log.warn = warn;
    }
}

/** Resources registered by the latest evaluation, even one that threw. */
export let lastRegistered: { type: string; name: string }[] = [];

/**
 * Evaluate the program with `values` as the stack's config (keys without the project
 * prefix; objects are passed as JSON like Pulumi does). Throws what the program throws.
 */
export async function evaluate(values: Record<string, unknown>, opts: EvaluateOptions = {}): Promise<Evaluation> {
    const warnings: string[] = [];
    return withPlainStackTraces(() => collectingWarnings(warnings,
        () => failingOnUnhandledRejections(() => evaluateQuietly(values, opts, warnings))));
}

/**
 * An error thrown while a resource's inputs resolve (a check inside an apply) rejects
 * nothing the program returns: the language host fails the program on such an unhandled
 * rejection, and so does an evaluation.
 */
async function failingOnUnhandledRejections<T>(fn: () => Promise<T>): Promise<T> {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
    process.on("unhandledRejection", onUnhandled);
    const settle = async () => { for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve)); };
    try {
        const result = await fn();
        await settle();
        if (unhandled.length) throw unhandled[0];
        return result;
    } catch (err) {
        await settle(); // the same error often rejects other inputs too: keep them out of the next evaluation
        throw err;
    } finally {
        process.off("unhandledRejection", onUnhandled);
    }
}

/**
 * Run `fn` with V8's own stack formatting. The SDK reads `new Error().stack` for every
 * promise it makes (runtime/debuggable.js) and, unbounded, for every resource (its source
 * position, resource.js); under ts-node every frame of those is mapped through source maps:
 * about two thirds of an evaluation's CPU, for text nobody reads under mocks. A stack first
 * read after `fn` (an error it threw) is still mapped: V8 formats a stack when first read.
 */
async function withPlainStackTraces<T>(fn: () => Promise<T>): Promise<T> {
    const errors = Error as { prepareStackTrace?: unknown };
    const prepare = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    try {
        return await fn();
    } finally {
        errors.prepareStackTrace = prepare;
    }
}

async function evaluateQuietly(values: Record<string, unknown>, opts: EvaluateOptions, warnings: string[]): Promise<Evaluation> {
    const recorded: Omit<Registered, "urn" | "providerUrn">[] = [];
    const placeholders: Placeholder[] = [...(opts.placeholders ?? [])];
    lastRegistered = recorded;
    // the RPC request carries what newResource is not given (parent, options)
    let request: { getParent(): string; getRetainondelete(): boolean; getDeletebeforereplace(): boolean; getDeletebeforereplacedefined(): boolean } | undefined;
    const providerRefs: (string | undefined)[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            const seq = recorded.length;
            const state = mockState(args.type, args.name, args.inputs, opts, placeholders);
            recorded.push({
                type: args.type, name: args.name, inputs: clone(args.inputs), state,
                parentUrn: request?.getParent() || undefined, retainOnDelete: request?.getRetainondelete() ?? false,
                deleteBeforeReplace: request?.getDeletebeforereplacedefined() ? request.getDeletebeforereplace() : undefined,
            });
            providerRefs.push(args.provider || undefined);
            // the sequence number lets us find the URN the mock monitor computed
            return { id: `${args.name}-id`, state: { ...state, __seq: seq } };
        },
        call: (args) => args.inputs,
    }, PROJECT, opts.stack ?? "test", opts.preview ?? false);
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: typeof request, cb: unknown): Promise<void>;
        resources: Map<string, { urn: string; state: { __seq?: number } }>;
    };
    const register = monitor.registerResource.bind(monitor);
    // newResource runs synchronously inside registerResource, before its first await
    monitor.registerResource = (req, cb) => { request = req; return register(req, cb); };

    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue;
        config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(config, (opts.secretKeys ?? []).map((k) => `${PROJECT}:${k}`));

    const clusters = opts.clusters ?? {};
    setClusterFactsSource((target) => fakeFacts(clusters, target));
    const appConfig = loadConfig({ hostArch: opts.hostArch ?? "x64" });
    const stack: StackOutputs = deployStack(appConfig, { imagesDir: opts.imagesDir });

    const outputs: Record<string, unknown> = {};
    const secretOutputs: Record<string, boolean> = {};
    for (const [key, output] of Object.entries(stack)) {
        const { value, secret } = await resolve(output as pulumi.Input<unknown>);
        if (value !== undefined) outputs[key] = value;
        secretOutputs[key] = secret;
    }
    await pulumi.runtime.disconnect();

    const urns: string[] = [];
    for (const { urn, state } of monitor.resources.values()) {
        if (typeof state?.__seq === "number") urns[state.__seq] = urn;
    }
    const resources = recorded.map((r, i) => ({
        ...r,
        urn: urns[i],
        providerUrn: providerRefs[i]?.replace(/::[^:]*$/, ""),
    }));
    return { config: appConfig, placeholders, resources, outputs, secretOutputs, warnings };
}

/** Every Kubernetes object the evaluation would apply, as the API server would get it. */
export function kubernetesObjects(e: Evaluation): { resource: Registered; object: Record<string, any> }[] {
    return e.resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"))
        .map((r) => ({ resource: r, object: { ...r.inputs, metadata: { ...r.inputs.metadata, name: r.state.metadata?.name } } }));
}

/** How a Pulumi secret travels in resource inputs under mocks. */
const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): v is { value: unknown } {
    return !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_KEY] === SECRET_SIG;
}

/**
 * The value with every secret wrapper removed, as the API server would get it; `redact`
 * instead replaces every string inside a secret with "[secret]" (for printing).
 */
export function reveal(v: any, mode: "reveal" | "redact" = "reveal", inSecret = false): any {
    if (isSecretValue(v)) return reveal(v.value, mode, true);
    if (Array.isArray(v)) return v.map((x) => reveal(x, mode, inSecret));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x, mode, inSecret)]));
    return inSecret && mode === "redact" && typeof v === "string" ? "[secret]" : v;
}

