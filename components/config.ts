// The whole stack configuration, read and validated once, before any resource exists.
// Every problem is reported at once, one line each naming the key, the value given and
// what is allowed, so a bad `pulumi config set` fails fast with nothing created.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

// Marked @internal in the SDK (so absent from its typings) but long stable: whether the
// stack stores a key encrypted. Without it, assume encrypted rather than fail.
const isConfigSecret: (key: string) => boolean =
    (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret ?? (() => true);

export const COUPLINGS = ["container", "pod", "volume", "service", "clusters"] as const;
export type Coupling = (typeof COUPLINGS)[number];

export const IMAGE_NAMES = ["generator", "echo", "app"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** Which images each coupling runs: only these are built (the adapter runs the echo image). */
export const IMAGES_FOR: Record<Coupling, ImageName[]> = {
    container: ["app"],
    pod: ["generator", "echo"],
    volume: ["generator", "echo"],
    service: ["generator", "echo"],
    clusters: ["generator", "echo"],
};

/** Couplings where echo runs as its own Deployment (and so `echoReplicas` means something). */
export const ECHO_IS_OWN_WORKLOAD: Coupling[] = ["volume", "service", "clusters"];

export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
export const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];
export const CONTAINER_NAMES = ["generator", "echo", "adapter", "app"] as const;
export type ContainerName = (typeof CONTAINER_NAMES)[number];

export interface ComputeResources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

export interface ClusterTarget {
    context: string;
    /** Path to a kubeconfig file; unset = the default kubeconfig. */
    kubeconfig?: string;
}

export interface AppConfig {
    project: string;
    stack: string;
    coupling: Coupling;
    /** Registry/repository prefix the images are pushed to, e.g. `localhost:5001`. */
    imageRegistry: string;
    /** Prefix pods pull from when it differs from the push address (OpenShift's internal registry, a mirror). */
    pullRegistry?: string;
    /** Push and pull credentials; the password never leaves a Pulumi secret. */
    registryAuth?: { server: string; username: string; password: pulumi.Output<string> };
    /** Prebuilt, digest-pinned image references: nothing is built. */
    prebuiltImages?: Partial<Record<ImageName, string>>;
    /** A stack whose `images` output supplies the image references (build once, promote). */
    imagesFromStack?: string;
    platform: Platform;
    namespace: string;
    context?: string;
    echoReplicas: number;
    generatorIntervalSeconds: number;
    maxLines: number;
    serviceType: ServiceType;
    /**
     * `claimName`: the claim's fixed name (default `<project>-<stack>-data`), so a retained
     * claim is found again; a new name is the deliberate way to a new claim (new access
     * mode or class) while the old one, data and all, is left alone.
     */
    storage: { size: string; storageClass?: string; accessMode: AccessMode; retainOnDelete: boolean; claimName?: string };
    clusters?: {
        generator: ClusterTarget;
        echo: ClusterTarget;
        generatorUrl?: string;
        /** Address ranges allowed to reach the generator's adapter (echo's cluster egress). */
        allowFrom: string[];
    };
    renderYamlTo?: string;
    openshift: boolean;
    resources: Record<ContainerName, ComputeResources>;
}

/** Every key of the project's config namespace, as declared in Pulumi.yaml. */
export const CONFIG_KEYS = [
    "coupling", "imageRegistry", "pullRegistry", "registryUsername", "registryPassword", "images", "imagesFromStack",
    "platform", "namespace", "context", "echoReplicas", "generatorIntervalSeconds", "maxLines",
    "serviceType", "storage", "clusters", "renderYamlTo", "openshift", "resources",
] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

export const DEFAULT_RESOURCES: Record<ContainerName, ComputeResources> = {
    generator: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
    echo: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "500m", memory: "96Mi" } },
    adapter: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "96Mi" } },
    app: { requests: { cpu: "60m", memory: "48Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
};

/**
 * What the config is read from: values as Pulumi hands them to the program (strings;
 * objects as JSON). An empty string or object counts as unset: Pulumi.yaml declares
 * such defaults because a declared key without a default would be required.
 */
export interface ConfigSource {
    /** Keys set in the project namespace (to catch typos). */
    keys(): string[];
    get(key: string): string | undefined;
    /** Whether the stack stores this key encrypted (`pulumi config set --secret`). */
    isSecret(key: string): boolean;
}

export interface ConfigContext {
    project: string;
    stack: string;
    /** `process.arch` of the deploying machine; picks the default platform. */
    hostArch: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const STORAGE_SIZE = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
// registry host[:port] followed by optional lower-case path components (OCI distribution spec)
const REGISTRY_PREFIX = /^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
export const DIGEST_REF = /^[^\s@]+@sha256:[a-f0-9]{64}$/;
const CIDR = /^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\/(3[0-2]|[12]?[0-9])$|^[0-9a-fA-F:]+\/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$/;

const show = (v: unknown) => JSON.stringify(v);

const QUANTITY_SUFFIX: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity (already matched by QUANTITY) as a number, to compare two of them. */
export function quantity(q: string): number {
    const [, number, suffix] = /^([0-9.]+)([a-zA-Z]*)$/.exec(q) ?? [];
    return Number(number) * (QUANTITY_SUFFIX[suffix ?? ""] ?? NaN);
}

/** Read the stack's config through Pulumi and validate it (`overrides`: for tests). */
export function loadConfig(overrides: Partial<ConfigContext> = {}): AppConfig {
    const project = overrides.project ?? pulumi.getProject();
    const source: ConfigSource = {
        keys: () => Object.keys(pulumi.runtime.allConfig())
            .filter((k) => k.startsWith(`${project}:`))
            .map((k) => k.slice(project.length + 1)),
        // read raw: the password is wrapped in pulumi.secret below, never used plain
        get: (key) => pulumi.runtime.getConfig(`${project}:${key}`),
        isSecret: (key) => isConfigSecret(`${project}:${key}`),
    };
    return parseConfig(source, { project, stack: pulumi.getStack(), hostArch: process.arch, ...overrides });
}

/** `<project>-<stack>`, made a valid namespace name (stack names may hold `_` and `.`). */
export function defaultNamespace(ctx: { project: string; stack: string }): string {
    return `${ctx.project}-${ctx.stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 63).replace(/^-+|-+$/g, "");
}

export function defaultPlatform(hostArch: string): Platform | undefined {
    return ({ x64: "linux/amd64", arm64: "linux/arm64" } as Record<string, Platform>)[hostArch];
}

/** Validate every key; throws one ConfigError listing every problem. */
export function parseConfig(source: ConfigSource, ctx: ConfigContext): AppConfig {
    const problems: string[] = [];
    const fail = (key: string, value: unknown, allowed: string) =>
        problems.push(`${key}: ${show(value)} is not allowed; expected ${allowed}`);

    for (const key of source.keys()) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            fail(key, source.isSecret(key) ? "(secret)" : source.get(key), `a known key (${CONFIG_KEYS.join(", ")})`);
        }
    }

    const raw = (key: ConfigKey) => {
        const v = source.get(key);
        return v === "" ? undefined : v;
    };
    const oneOf = <T extends string>(key: ConfigKey, allowed: readonly T[], fallback: T): T => {
        const v = raw(key);
        if (v === undefined) return fallback;
        if ((allowed as readonly string[]).includes(v)) return v as T;
        fail(key, v, `one of ${allowed.join(", ")}`);
        return fallback;
    };
    const number = (key: ConfigKey, fallback: number, opts: { integer: boolean; min: number; exclusiveMin?: boolean }) => {
        const v = raw(key);
        if (v === undefined) return fallback;
        const n = Number(v);
        const ok = v.trim() !== "" && Number.isFinite(n) && (!opts.integer || Number.isInteger(n)) &&
            (opts.exclusiveMin ? n > opts.min : n >= opts.min);
        if (!ok) {
            fail(key, v, `${opts.integer ? "an integer" : "a number"} ${opts.exclusiveMin ? ">" : ">="} ${opts.min}`);
            return fallback;
        }
        return n;
    };
    const object = (key: ConfigKey): Record<string, unknown> | undefined => {
        const v = raw(key);
        if (v === undefined) return undefined;
        try {
            const parsed: unknown = JSON.parse(v);
            if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
                return Object.keys(parsed).length ? parsed as Record<string, unknown> : undefined;
            }
        } catch { /* reported below */ }
        fail(key, v, `an object (set it with \`pulumi config set --path '${key}.field' value\`)`);
        return undefined;
    };
    const onlyKeys = (key: string, obj: Record<string, unknown>, allowed: readonly string[]) => {
        for (const k of Object.keys(obj)) {
            if (!allowed.includes(k)) fail(`${key}.${k}`, obj[k], `one of the fields ${allowed.join(", ")}`);
        }
    };
    const str = (key: string, v: unknown, pattern?: RegExp, allowed = "a non-empty string"): string | undefined => {
        if (v === undefined) return undefined;
        if (typeof v === "string" && v.length > 0 && (!pattern || pattern.test(v))) return v;
        fail(key, v, allowed);
        return undefined;
    };
    const bool = (key: string, v: unknown, fallback: boolean): boolean => {
        if (v === undefined) return fallback;
        if (v === true || v === "true") return true;
        if (v === false || v === "false") return false;
        fail(key, v, "true or false");
        return fallback;
    };

    const coupling = oneOf("coupling", COUPLINGS, "pod");

    const imageRegistry = str("imageRegistry", raw("imageRegistry"), REGISTRY_PREFIX,
        "a registry host[:port] with an optional lower-case repository path, e.g. localhost:5001 or ghcr.io/acme") ?? "localhost:5001";

    const pullRegistry = str("pullRegistry", raw("pullRegistry"), REGISTRY_PREFIX,
        "a registry host[:port] with an optional lower-case repository path, e.g. image-registry.openshift-image-registry.svc:5000/my-namespace");

    // Credentials come as a pair; the password must be a secret so it never lands in plain state.
    const username = raw("registryUsername");
    const password = raw("registryPassword");
    let registryAuth: AppConfig["registryAuth"];
    if (password !== undefined && !source.isSecret("registryPassword")) {
        problems.push("registryPassword: (hidden) is stored in plain text; set it with `pulumi config set --secret registryPassword ...`");
    }
    if ((username === undefined) !== (password === undefined)) {
        problems.push(`registryUsername/registryPassword: set both or neither (got only ${username === undefined ? "registryPassword" : "registryUsername"}); ` +
            "set the password with `pulumi config set --secret registryPassword ...`");
    } else if (username !== undefined && password !== undefined) {
        registryAuth = { server: imageRegistry.split("/")[0], username, password: pulumi.secret(password) };
    }

    let prebuiltImages: AppConfig["prebuiltImages"];
    const images = object("images");
    if (images) {
        onlyKeys("images", images, IMAGE_NAMES);
        prebuiltImages = {};
        for (const name of IMAGE_NAMES) {
            const ref = str(`images.${name}`, images[name], DIGEST_REF, "a digest-pinned image reference, repository@sha256:<64 hex>");
            if (ref) prebuiltImages[name] = ref;
        }
        const missing = IMAGES_FOR[coupling].filter((n) => images[n] === undefined);
        if (missing.length) {
            fail("images", images, `references for every image coupling ${coupling} runs (missing: ${missing.join(", ")})`);
        }
    }
    const imagesFromStack = str("imagesFromStack", raw("imagesFromStack"), /^[A-Za-z0-9_.\-/]+$/, "a stack name such as org/app-coupling/build");
    if (imagesFromStack && images) {
        problems.push(`imagesFromStack: ${show(imagesFromStack)} and images are both set; choose one source of prebuilt images`);
    }

    const hostPlatform = defaultPlatform(ctx.hostArch);
    const platform = raw("platform") === undefined && !hostPlatform
        ? (fail("platform", `(host architecture ${ctx.hostArch})`, `an explicit platform: one of ${PLATFORMS.join(", ")}`), "linux/amd64" as Platform)
        : oneOf("platform", PLATFORMS, hostPlatform ?? "linux/amd64");

    const namespace = str("namespace", raw("namespace") ?? defaultNamespace(ctx), /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
        "a DNS label: at most 63 lower-case letters, digits and '-', starting and ending alphanumeric") ?? "default";
    const context = str("context", raw("context"));

    const echoReplicas = number("echoReplicas", 1, { integer: true, min: 1 });
    // 1 is Pulumi.yaml's default (so always "set"); anything else is a mistake here
    if (echoReplicas !== 1 && !ECHO_IS_OWN_WORKLOAD.includes(coupling)) {
        fail("echoReplicas", raw("echoReplicas"), `unset (or 1) for coupling ${coupling}, where echo is not its own workload (it applies to ${ECHO_IS_OWN_WORKLOAD.join(", ")})`);
    }
    const generatorIntervalSeconds = number("generatorIntervalSeconds", 2, { integer: false, min: 0, exclusiveMin: true });
    const maxLines = number("maxLines", 10000, { integer: true, min: 1 });
    if (maxLines > 10_000_000) fail("maxLines", maxLines, "at most 10000000 (the data file lives on a small volume)");
    const serviceType = oneOf("serviceType", SERVICE_TYPES, "ClusterIP");

    const storageRaw = object("storage") ?? {};
    onlyKeys("storage", storageRaw, ["size", "storageClass", "accessMode", "retainOnDelete", "claimName"]);
    const storage: AppConfig["storage"] = {
        size: str("storage.size", storageRaw.size, STORAGE_SIZE, "a storage quantity such as 1Gi or 500Mi") ?? "1Gi",
        storageClass: str("storage.storageClass", storageRaw.storageClass, DNS_LABEL, "a storage class name"),
        accessMode: "ReadWriteOnce",
        retainOnDelete: bool("storage.retainOnDelete", storageRaw.retainOnDelete, false),
    };
    const claimName = str("storage.claimName", storageRaw.claimName, DNS_LABEL, "a claim name: lower-case letters, digits and '-'");
    if (claimName) storage.claimName = claimName;
    if (storageRaw.accessMode !== undefined) {
        if ((ACCESS_MODES as readonly unknown[]).includes(storageRaw.accessMode)) storage.accessMode = storageRaw.accessMode as AccessMode;
        else fail("storage.accessMode", storageRaw.accessMode, `one of ${ACCESS_MODES.join(", ")}`);
    }

    const renderYamlTo = str("renderYamlTo", raw("renderYamlTo"));

    let clusters: AppConfig["clusters"];
    const clustersRaw = object("clusters");
    if (coupling === "clusters") {
        if (!clustersRaw) {
            problems.push("clusters: (unset) is not allowed; coupling clusters needs " +
                "clusters.generator.context and clusters.echo.context (pulumi config set --path clusters.generator.context kind-a)");
        } else {
            onlyKeys("clusters", clustersRaw, ["generator", "echo", "generatorUrl", "allowFrom"]);
            const target = (side: "generator" | "echo"): ClusterTarget | undefined => {
                const t = clustersRaw[side];
                if (!t || typeof t !== "object") {
                    fail(`clusters.${side}`, t ?? "(unset)", "an object with a kube context, e.g. {\"context\": \"kind-a\"}");
                    return undefined;
                }
                const o = t as Record<string, unknown>;
                onlyKeys(`clusters.${side}`, o, ["context", "kubeconfig"]);
                const ctxName = o.context === undefined
                    ? (fail(`clusters.${side}.context`, "(unset)", "the name of a kube context"), undefined)
                    : str(`clusters.${side}.context`, o.context, undefined, "the name of a kube context");
                const kubeconfig = str(`clusters.${side}.kubeconfig`, o.kubeconfig, undefined, "a kubeconfig file path");
                return ctxName ? { context: ctxName, kubeconfig } : undefined;
            };
            const generator = target("generator");
            const echo = target("echo");
            const generatorUrl = str("clusters.generatorUrl", clustersRaw.generatorUrl, /^https?:\/\/[^\s/]+(:[0-9]+)?\/?$/,
                "a base URL such as http://203.0.113.7:8080 (scheme, host and optional port, no path)");
            if (generator && echo && generator.context === echo.context && generator.kubeconfig === echo.kubeconfig) {
                fail("clusters.echo.context", echo.context, "a different cluster from clusters.generator.context (two clusters are the point of this coupling)");
            }
            if (renderYamlTo && !generatorUrl) {
                problems.push("clusters.generatorUrl: (unset) is not allowed with renderYamlTo; rendered manifests have no load-balancer address, so give the generator's URL");
            }
            let allowFrom = ["0.0.0.0/0"];
            if (clustersRaw.allowFrom !== undefined) {
                const ranges = clustersRaw.allowFrom;
                if (Array.isArray(ranges) && ranges.length > 0 && ranges.every((r) => typeof r === "string" && CIDR.test(r))) {
                    allowFrom = ranges as string[];
                } else {
                    fail("clusters.allowFrom", ranges, "a non-empty list of CIDRs, e.g. [\"198.51.100.0/24\"] (echo's cluster egress addresses)");
                }
            }
            if (generator && echo) clusters = { generator, echo, generatorUrl: generatorUrl?.replace(/\/$/, ""), allowFrom };
        }
    }

    const openshift = bool("openshift", raw("openshift"), false);

    const resources: Record<ContainerName, ComputeResources> = JSON.parse(JSON.stringify(DEFAULT_RESOURCES));
    const resourcesRaw = object("resources") ?? {};
    onlyKeys("resources", resourcesRaw, CONTAINER_NAMES);
    for (const [name, spec] of Object.entries(resourcesRaw)) {
        if (!(CONTAINER_NAMES as readonly string[]).includes(name)) continue;
        const o = (spec ?? {}) as Record<string, Record<string, unknown> | undefined>;
        for (const kind of ["requests", "limits"] as const) {
            for (const res of ["cpu", "memory"] as const) {
                const v = o[kind]?.[res];
                const q = str(`resources.${name}.${kind}.${res}`, v, QUANTITY, `a Kubernetes quantity such as ${res === "cpu" ? "100m" : "64Mi"}`);
                if (q) resources[name as ContainerName][kind][res] = q;
            }
        }
    }
    // the API server rejects a request above its limit; say so before anything is created
    for (const name of CONTAINER_NAMES) {
        for (const res of ["cpu", "memory"] as const) {
            const { requests, limits } = resources[name];
            if (quantity(requests[res]) > quantity(limits[res])) {
                fail(`resources.${name}.requests.${res}`, requests[res], `at most the limit (${limits[res]})`);
            }
        }
    }

    if (problems.length) throw new ConfigError(problems);
    return {
        project: ctx.project, stack: ctx.stack, coupling, imageRegistry, pullRegistry, registryAuth, prebuiltImages, imagesFromStack,
        platform, namespace, context, echoReplicas, generatorIntervalSeconds, maxLines, serviceType, storage,
        clusters, renderYamlTo, openshift, resources,
    };
}
