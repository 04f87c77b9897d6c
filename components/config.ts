// The whole stack configuration, read and validated once, before any resource exists.
// Every problem is reported at once, one line each naming the key, the value given and
// what is allowed, so a bad `pulumi config set` fails fast with nothing created.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import * as grammars from "./grammars";

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
    /** `platform` was not set: it is the deploying machine's architecture. */
    platformFromHost: boolean;
    namespace: string;
    context?: string;
    echoReplicas: number;
    generatorIntervalSeconds: number;
    /**
     * The interval as the plain decimal the user wrote (normalised: no leading zeros, no
     * trailing fractional zeros), never in exponent form: what INTERVAL_SECONDS should get.
     */
    generatorInterval: string;
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

/**
 * Every problem with the stack's config. A `pulumi.RunError`, so the Pulumi CLI prints
 * its message alone: no stack trace, no second dump of the problems.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration (nothing was created):\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/** Namespaces Kubernetes itself owns: the program never creates or deletes them. */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const DIGEST_REF = grammars.REFERENCE;

/** A Kubernetes quantity as a number (approximate: for display and rough comparisons). */
export function quantity(q: string): number {
    const r = grammars.parseQuantity(q);
    return r ? Number(r.num) / Number(r.den) : NaN;
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
    const warnings: string[] = [];
    const config = parseConfig(source, { project, stack: pulumi.getStack(), hostArch: process.arch, ...overrides }, warnings);
    for (const w of warnings) pulumi.log.warn(w);
    return config;
}

/** `<project>-<stack>`, made a valid namespace name (stack names may hold `_` and `.`). */
export function defaultNamespace(ctx: { project: string; stack: string }): string {
    return `${ctx.project}-${ctx.stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 63).replace(/^-+|-+$/g, "");
}

export function defaultPlatform(hostArch: string): Platform | undefined {
    return ({ x64: "linux/amd64", arm64: "linux/arm64" } as Record<string, Platform>)[hostArch];
}


/** What each coupling uses, for the keys only some couplings use (see `unused` below). */
const CONTAINERS_FOR: Record<Coupling, ContainerName[]> = {
    container: ["app"],
    pod: ["generator", "echo"],
    volume: ["generator", "echo"],
    service: ["generator", "echo", "adapter"],
    clusters: ["generator", "echo", "adapter"],
};
const STORAGE_FIELDS = ["size", "storageClass", "accessMode", "retainOnDelete", "claimName"] as const;
const CLUSTERS_FIELDS = ["generator", "echo", "generatorUrl", "allowFrom"] as const;
const TARGET_FIELDS = ["context", "kubeconfig"] as const;
const RESOURCE_KINDS = ["requests", "limits"] as const;
const RESOURCE_NAMES = ["cpu", "memory"] as const;

/** Shown for a value that is not set (never quoted, so it cannot be mistaken for a string). */
const UNSET: unique symbol = Symbol("(unset)");
/** Shown instead of a secret's value. */
const HIDDEN: unique symbol = Symbol("(secret)");
type Shown = unknown | typeof UNSET | typeof HIDDEN;

function show(v: Shown): string {
    if (v === UNSET || v === undefined) return "(unset)";
    if (v === HIDDEN) return "(secret, not shown)";
    return JSON.stringify(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Validate every key; throws one ConfigError listing every problem, one line each
 * (`key: value is not allowed (why); expected what`). Keys a coupling does not use are
 * refused, never silently ignored (the user meant something by them), except three that
 * describe what a later coupling switch returns to: `storage` (the claim a `volume` run
 * keeps or reuses), `context` (where the single-cluster couplings deploy; the dev stack
 * file pins it) and `images` (a full set of prebuilt images serves every coupling). Those
 * are validated in every coupling, and where unused a set value adds a line to `warnings`
 * (loadConfig prints them with pulumi.log.warn).
 */
export function parseConfig(source: ConfigSource, ctx: ConfigContext, warnings: string[] = []): AppConfig {
    const problems: string[] = [];
    /** One problem: the key, the value as given, what is wrong with it (optional), what is allowed. */
    const fail = (key: string, value: Shown, allowed: string, why?: string) =>
        problems.push(`${key}: ${show(value)} is not allowed${why ? ` (it ${why})` : ""}; expected ${allowed}`);
    const unknownField = (key: string, value: Shown, known: readonly string[]) => {
        const name = key.split(".").pop()!;
        const suggestion = grammars.didYouMean(name, known);
        fail(key, value, `one of ${known.join(", ")}`, suggestion ? `is not a known field; did you mean ${suggestion}?` : "is not a known field");
    };

    for (const key of source.keys()) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            unknownField(key, source.isSecret(key) ? HIDDEN : source.get(key), CONFIG_KEYS);
        }
    }

    const raw = (key: ConfigKey) => {
        const v = source.get(key);
        return v === "" ? undefined : v;
    };
    const oneOf = <T extends string>(key: string, v: unknown, allowed: readonly T[], fallback: T): T => {
        if (v === undefined) return fallback;
        if ((allowed as readonly unknown[]).includes(v)) return v as T;
        const suggestion = typeof v === "string" ? grammars.didYouMean(v, allowed) : undefined;
        fail(key, v, `one of ${allowed.join(", ")}`, suggestion ? `is not one of them; did you mean ${suggestion}?` : undefined);
        return fallback;
    };
    const integer = (key: ConfigKey, fallback: number, min: number, max: number) => {
        const v = raw(key);
        if (v === undefined) return { value: fallback, set: false };
        const r = grammars.integer(v, min, max);
        if (r.problem) fail(key, v, `a whole number from ${min} to ${max}`, r.problem);
        return { value: r.value ?? fallback, set: true, ok: !r.problem };
    };
    const object = (key: ConfigKey): Record<string, unknown> | undefined => {
        const v = raw(key);
        if (v === undefined) return undefined;
        try {
            const parsed: unknown = JSON.parse(v);
            if (isObject(parsed)) return Object.keys(parsed).length ? parsed : undefined;
        } catch { /* reported below */ }
        fail(key, v, `an object (set it with \`pulumi config set --path '${key}.field' value\`)`);
        return undefined;
    };
    /** Check an object's fields; returns the known ones only. */
    const fields = (key: string, v: unknown, known: readonly string[]): Record<string, unknown> | undefined => {
        if (v === undefined || v === null) return undefined;
        if (!isObject(v)) {
            fail(key, v, `an object with the fields ${known.join(", ")}`);
            return undefined;
        }
        for (const k of Object.keys(v)) if (!known.includes(k)) unknownField(`${key}.${k}`, v[k], known);
        return Object.fromEntries(Object.entries(v).filter(([k]) => known.includes(k)));
    };
    /** A non-empty string, optionally checked by a grammar function returning what is wrong. */
    const str = (key: string, v: unknown, allowed = "a non-empty string", check?: (s: string) => string | undefined): string | undefined => {
        if (v === undefined) return undefined;
        if (typeof v !== "string" || v.length === 0) {
            fail(key, v, allowed, typeof v === "string" ? "is empty" : `is ${Array.isArray(v) ? "a list" : isObject(v) ? "an object" : `a ${typeof v}`}, not a string`);
            return undefined;
        }
        const why = check?.(v);
        if (why) {
            fail(key, v, allowed, why);
            return undefined;
        }
        return v;
    };
    /** A Kubernetes quantity: a string, or a number as YAML (`cpu: 2`) or `config set --path` may store it. */
    const quantityOf = (key: string, v: unknown, allowed: string, kind: "bytes" | "cpu"): string | undefined => {
        if (typeof v === "number") {
            const text = String(v);
            const why = grammars.resourceQuantity(text, kind);
            if (why) { fail(key, v, allowed, why); return undefined; }
            return text;
        }
        return str(key, v, allowed, (q) => grammars.resourceQuantity(q, kind));
    };
    const bool = (key: string, v: unknown, fallback: boolean): boolean => {
        if (v === undefined) return fallback;
        if (v === true || v === "true") return true;
        if (v === false || v === "false") return false;
        fail(key, v, "true or false");
        return fallback;
    };
    /** A key (or field) the coupling does not use: refused, saying who uses it and how to remove it. */
    const unused = (key: string, value: unknown, usedBy: string) => {
        const rm = key.includes(".") ? `pulumi config rm --path ${key}` : `pulumi config rm ${key}`;
        fail(key, value, `unset for coupling ${coupling} (remove it: \`${rm}\`)`, `is not used by coupling ${coupling}, only by ${usedBy}`);
    };

    const coupling = oneOf("coupling", raw("coupling"), COUPLINGS, "pod");

    // ---- registries and images ----
    const longestRepository = `${ctx.project}-${[...IMAGE_NAMES].sort((a, b) => b.length - a.length)[0]}`;
    const REGISTRY = "a registry host[:port] with optional lower-case repository path components, e.g. localhost:5001 or ghcr.io/acme";
    const imageRegistry = str("imageRegistry", raw("imageRegistry"), REGISTRY, (v) => grammars.registryPrefix(v, longestRepository)) ?? "localhost:5001";
    const pullRegistry = str("pullRegistry", raw("pullRegistry"),
        "a registry host[:port] with optional lower-case repository path components, e.g. image-registry.openshift-image-registry.svc:5000/my-namespace",
        (v) => grammars.registryPrefix(v, longestRepository));

    // Credentials come as a pair; the password must be a secret so it never lands in plain state.
    const username = raw("registryUsername");
    const password = raw("registryPassword");
    let registryAuth: AppConfig["registryAuth"];
    const userOk = str("registryUsername", username, "a user name without ':' (HTTP basic authentication cannot carry one)",
        (v) => (v.includes(":") ? "contains ':'" : /\s/.test(v) ? "contains whitespace" : undefined));
    if (password !== undefined && !source.isSecret("registryPassword")) {
        fail("registryPassword", HIDDEN, "a secret: set it with `pulumi config set --secret registryPassword ...`", "is stored in plain text");
    }
    if ((username === undefined) !== (password === undefined)) {
        problems.push(`registryUsername/registryPassword: only ${username === undefined ? "registryPassword" : "registryUsername"} is set; ` +
            "expected both or neither (set the password with `pulumi config set --secret registryPassword ...`)");
    } else if (userOk !== undefined && password !== undefined) {
        registryAuth = { server: grammars.registryHost(imageRegistry), username: userOk, password: pulumi.secret(password) };
    }

    let prebuiltImages: AppConfig["prebuiltImages"];
    const images = object("images");
    if (images) {
        prebuiltImages = {};
        for (const [name, ref] of Object.entries(images)) {
            if (!(IMAGE_NAMES as readonly string[]).includes(name)) unknownField(`images.${name}`, ref, IMAGE_NAMES);
            else {
                const ok = str(`images.${name}`, ref, "a digest-pinned image reference, host[:port]/lower-case/path[:tag]@sha256:<64 hex>", grammars.pinnedReference);
                // a full set of prebuilt images serves every coupling: one the coupling does not run is kept, and said to be unused
                if (ok && !IMAGES_FOR[coupling].includes(name as ImageName)) {
                    warnings.push(`images.${name}: not used by coupling ${coupling}, which runs ${IMAGES_FOR[coupling].join(" and ")}; kept for the couplings that run it`);
                }
                if (ok) prebuiltImages[name as ImageName] = ok;
            }
        }
        const missing = IMAGES_FOR[coupling].filter((n) => images[n] === undefined);
        if (missing.length) {
            fail("images", images, `a reference for every image coupling ${coupling} runs (${IMAGES_FOR[coupling].join(", ")})`, `lacks ${missing.join(", ")}`);
        }
    }
    const imagesFromStack = str("imagesFromStack", raw("imagesFromStack"), "a stack name [org/][project/]stack, e.g. acme/app-coupling/staging", grammars.stackName);
    if (imagesFromStack && images) {
        fail("imagesFromStack", imagesFromStack, "images or imagesFromStack, not both", "is set together with images");
    }

    const hostPlatform = defaultPlatform(ctx.hostArch);
    const platform = raw("platform") === undefined && !hostPlatform
        ? (fail("platform", UNSET, `an explicit platform: one of ${PLATFORMS.join(", ")}`, `cannot default to this machine's architecture (${ctx.hostArch})`), "linux/amd64" as Platform)
        : oneOf("platform", raw("platform"), PLATFORMS, hostPlatform ?? "linux/amd64");

    // ---- where ----
    const namespaceGiven = raw("namespace");
    const namespace = str("namespace", namespaceGiven ?? defaultNamespace(ctx),
        "a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending alphanumeric, no dots) that Kubernetes does not own",
        (v) => grammars.dns1123Label(v) ??
            ((RESERVED_NAMESPACES as readonly string[]).includes(v) || v.startsWith("kube-")
                ? `is a namespace Kubernetes owns; the program creates and deletes its namespace, so it never uses ${RESERVED_NAMESPACES.join(", ")} or another kube- name`
                : undefined)) ?? defaultNamespace(ctx);
    const contextRaw = raw("context");
    const contextGiven = str("context", contextRaw, "the name of a kube context");
    // like storage, kept (Pulumi.dev.yaml pins it for the single-cluster couplings), but said to be unused
    if (coupling === "clusters" && contextGiven !== undefined) {
        warnings.push(`context: ${show(contextGiven)} not used by coupling clusters (each side names its own: clusters.generator.context, ` +
            "clusters.echo.context); kept for the single-cluster couplings");
    }
    const context = coupling === "clusters" ? undefined : contextGiven;

    // ---- how many, how often ----
    const replicas = integer("echoReplicas", 1, 1, grammars.INT32_MAX);
    // 1 is Pulumi.yaml's default (so always "set"); another value is a mistake here
    if (replicas.ok && replicas.value !== 1 && !ECHO_IS_OWN_WORKLOAD.includes(coupling)) {
        unused("echoReplicas", raw("echoReplicas"), `${ECHO_IS_OWN_WORKLOAD.join(", ")}, where echo is its own workload (1 is accepted everywhere)`);
    }
    const echoReplicas = replicas.value;

    let generatorInterval = "2";
    const intervalRaw = raw("generatorIntervalSeconds");
    if (intervalRaw !== undefined) {
        const r = grammars.interval(intervalRaw);
        if (r.problem) {
            fail("generatorIntervalSeconds", intervalRaw,
                `a plain decimal number of seconds from ${grammars.INTERVAL_MIN_SECONDS} to ${grammars.INTERVAL_MAX_SECONDS}, e.g. 2 or 0.5 (what generator.sh accepts)`, r.problem);
        } else generatorInterval = r.value!;
    }
    const maxLines = integer("maxLines", 10000, 1, 10_000_000).value;
    const serviceType = oneOf("serviceType", raw("serviceType"), SERVICE_TYPES, "ClusterIP");

    // ---- storage (the volume coupling's claim; validated everywhere, see above) ----
    const storageRaw = fields("storage", object("storage"), STORAGE_FIELDS) ?? {};
    const storage: AppConfig["storage"] = {
        size: quantityOf("storage.size", storageRaw.size, "a storage quantity greater than zero, in bytes, such as 1Gi, 500Mi or 10G", "bytes") ?? "1Gi",
        storageClass: str("storage.storageClass", storageRaw.storageClass, "a StorageClass name: a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')",
            grammars.dns1123Subdomain),
        accessMode: oneOf("storage.accessMode", storageRaw.accessMode, ACCESS_MODES, "ReadWriteOnce"),
        retainOnDelete: bool("storage.retainOnDelete", storageRaw.retainOnDelete, false),
    };
    const storageDefaults: Record<string, unknown> = { size: "1Gi", accessMode: "ReadWriteOnce", retainOnDelete: false };
    const storageSet = Object.keys(storageRaw).filter((k) => String(storageRaw[k]) !== String(storageDefaults[k]));
    if (coupling !== "volume" && storageSet.length) {
        warnings.push(`storage: ${storageSet.map((k) => `storage.${k}`).join(", ")} not used by coupling ${coupling} (no claim is created); ` +
            "kept for the volume coupling, whose claim it describes");
    }
    const claimName = str("storage.claimName", storageRaw.claimName, "a claim name: a DNS-1123 label (lower-case letters, digits and '-')", grammars.dns1123Label);
    if (claimName) storage.claimName = claimName;

    // ---- render mode ----
    const renderYamlTo = str("renderYamlTo", raw("renderYamlTo"), "a directory path");
    if (renderYamlTo !== undefined && !images && !imagesFromStack) {
        fail("renderYamlTo", renderYamlTo, "prebuilt images with it: set images (pulumi config set --path images.generator <repo>@sha256:...) or imagesFromStack",
            "builds and pushes nothing, so it needs images it can name");
    }

    // ---- clusters ----
    let clusters: AppConfig["clusters"];
    const clustersGiven = object("clusters");
    if (coupling !== "clusters") {
        if (clustersGiven) unused("clusters", clustersGiven, "coupling clusters");
    } else if (!clustersGiven) {
        fail("clusters", UNSET, "clusters.generator.context and clusters.echo.context " +
            "(pulumi config set --path clusters.generator.context kind-a)", "is required by coupling clusters");
    } else {
        const clustersRaw = fields("clusters", clustersGiven, CLUSTERS_FIELDS) ?? {};
        const target = (side: "generator" | "echo"): ClusterTarget | undefined => {
            const key = `clusters.${side}`;
            if (clustersRaw[side] === undefined) {
                fail(key, UNSET, `an object with a kube context (pulumi config set --path ${key}.context kind-${side})`, "is required by coupling clusters");
                return undefined;
            }
            const o = fields(key, clustersRaw[side], TARGET_FIELDS);
            if (!o) return undefined;
            const ctxName = o.context === undefined
                ? (fail(`${key}.context`, UNSET, "the name of a kube context"), undefined)
                : str(`${key}.context`, o.context, "the name of a kube context");
            const kubeconfig = str(`${key}.kubeconfig`, o.kubeconfig, "a kubeconfig file path");
            return ctxName ? { context: ctxName, kubeconfig } : undefined;
        };
        const generator = target("generator");
        const echo = target("echo");
        let generatorUrl: string | undefined;
        if (clustersRaw.generatorUrl !== undefined) {
            const given = str("clusters.generatorUrl", clustersRaw.generatorUrl, "a base URL http(s)://host[:port], e.g. http://203.0.113.7:8080");
            if (given !== undefined) {
                const r = grammars.baseUrl(given);
                if (r.problem) fail("clusters.generatorUrl", given, "a base URL http(s)://host[:port] with no user info, path, query or fragment, e.g. http://203.0.113.7:8080", r.problem);
                generatorUrl = r.origin;
            }
        }
        if (generator && echo && generator.context === echo.context && generator.kubeconfig === echo.kubeconfig) {
            fail("clusters.echo.context", echo.context, "a different cluster from clusters.generator.context (two clusters are the point of this coupling)");
        }
        if (renderYamlTo !== undefined && clustersRaw.generatorUrl === undefined) {
            fail("clusters.generatorUrl", UNSET, "the generator's URL when renderYamlTo is set", "is required in render mode: rendered manifests have no load-balancer address to discover");
        }
        let allowFrom = ["0.0.0.0/0"];
        if (clustersRaw.allowFrom !== undefined) {
            const ranges = clustersRaw.allowFrom;
            const ALLOWED = "a non-empty list of CIDRs, e.g. [\"198.51.100.0/24\"] (echo's cluster egress addresses)";
            if (!Array.isArray(ranges) || ranges.length === 0) fail("clusters.allowFrom", ranges, ALLOWED, Array.isArray(ranges) ? "is empty" : "is not a list");
            else {
                const bad = ranges.map((r, i) => [i, r, typeof r === "string" ? grammars.cidr(r) : "is not a string"] as const).filter(([, , why]) => why);
                for (const [i, r, why] of bad) fail(`clusters.allowFrom[${i}]`, r, ALLOWED, why);
                if (!bad.length) allowFrom = ranges as string[];
            }
        }
        if (generator && echo) clusters = { generator, echo, generatorUrl, allowFrom };
    }

    const openshift = bool("openshift", raw("openshift"), false);

    // ---- resources ----
    const resources: Record<ContainerName, ComputeResources> = JSON.parse(JSON.stringify(DEFAULT_RESOURCES));
    const userSet = new Set<string>();
    const resourcesRaw = object("resources") ?? {};
    for (const [name, spec] of Object.entries(resourcesRaw)) {
        const key = `resources.${name}`;
        if (!(CONTAINER_NAMES as readonly string[]).includes(name)) { unknownField(key, spec, CONTAINER_NAMES); continue; }
        if (!CONTAINERS_FOR[coupling].includes(name as ContainerName)) {
            unused(key, spec, `couplings that run a container ${name} (${COUPLINGS.filter((c) => CONTAINERS_FOR[c].includes(name as ContainerName)).join(", ")})`);
            continue;
        }
        const o = fields(key, spec, RESOURCE_KINDS) ?? {};
        for (const kind of RESOURCE_KINDS) {
            const values = fields(`${key}.${kind}`, o[kind], RESOURCE_NAMES) ?? {};
            for (const res of RESOURCE_NAMES) {
                const q = quantityOf(`${key}.${kind}.${res}`, values[res],
                    res === "cpu" ? "a CPU quantity greater than zero, at most millicore precision, such as 100m, 0.5 or 2"
                        : "a memory quantity greater than zero in bytes, such as 64Mi, 128M or 1Gi (never m, which means thousandths of a byte)",
                    res === "cpu" ? "cpu" : "bytes");
                if (q) {
                    resources[name as ContainerName][kind][res] = q;
                    userSet.add(`${name}.${kind}.${res}`);
                }
            }
        }
    }
    // the API server rejects a request above its limit; name the value the user set
    for (const name of CONTAINER_NAMES) {
        for (const res of RESOURCE_NAMES) {
            const { requests, limits } = resources[name];
            const request = grammars.parseQuantity(requests[res])!, limit = grammars.parseQuantity(limits[res])!;
            if (grammars.compareRational(request, limit) <= 0) continue;
            const requestSet = userSet.has(`${name}.requests.${res}`), limitSet = userSet.has(`${name}.limits.${res}`);
            if (requestSet || !limitSet) {
                fail(`resources.${name}.requests.${res}`, requests[res],
                    `at most the limit (${limits[res]}${limitSet ? "" : ", the default"}); raise resources.${name}.limits.${res} too`, "is above the limit");
            } else {
                fail(`resources.${name}.limits.${res}`, limits[res],
                    `at least the request (${requests[res]}, the default); lower resources.${name}.requests.${res} too`, "is below the request");
            }
        }
    }

    if (problems.length) throw new ConfigError(problems);
    return {
        project: ctx.project, stack: ctx.stack, coupling, imageRegistry, pullRegistry, registryAuth, prebuiltImages, imagesFromStack,
        platform, platformFromHost: raw("platform") === undefined, namespace, context, echoReplicas, generatorIntervalSeconds: Number(generatorInterval), generatorInterval, maxLines, serviceType, storage,
        clusters, renderYamlTo, openshift, resources,
    };
}
