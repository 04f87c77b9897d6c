// The whole stack configuration, read and validated once, before any resource exists.
// Every problem is reported at once, one line each naming the key, the value given and
// what is allowed, so a bad `pulumi config set` fails fast with nothing created.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import * as grammars from "./grammars";
import { bool, Field, Grammar, integer, KeySpec, kubeQuantity, list, object, oneOf, parsed, Report, Source, text, UNSET, validate, Values } from "./validator";

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

/** The largest `maxLines` accepted: a 57 MB data file (bench/echo-memory.ts measures echo at it). */
export const MAX_LINES_LIMIT = 10_000_000;

export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
/** RFC 1918: `clusters.allowFrom`'s default. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;
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
export type ConfigSource = Source;

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

/** Which containers each coupling runs (the adapter runs the echo image). */
const CONTAINERS_FOR: Record<Coupling, ContainerName[]> = {
    container: ["app"],
    pod: ["generator", "echo"],
    volume: ["generator", "echo"],
    service: ["generator", "echo", "adapter"],
    clusters: ["generator", "echo", "adapter"],
};
const SINGLE_CLUSTER: Coupling[] = COUPLINGS.filter((c) => c !== "clusters");

const ctxOf = (r: Report) => r.ctx as ConfigContext;
/** The longest repository name the program pushes (`<project>-generator`): bounds the registry prefix. */
const longestRepository = (ctx: ConfigContext) => `${ctx.project}-${[...IMAGE_NAMES].sort((a, b) => b.length - a.length)[0]}`;
const registry = (example: string) => text(`a registry host[:port] with optional lower-case repository path components, e.g. ${example}`,
    (v, r) => grammars.registryPrefix(v, longestRepository(ctxOf(r))));

/** One field per name, built alike (images, containers). */
function fieldsFor<N extends string, F extends Field>(names: readonly N[], field: (name: N) => F): Record<N, F> {
    return Object.fromEntries(names.map((n) => [n, field(n)])) as Record<N, F>;
}

const target = (side: "generator" | "echo") => ({
    grammar: object({
        context: { grammar: text("the name of a kube context"), required: { allowed: "the name of a kube context" } },
        kubeconfig: { grammar: text("a kubeconfig file path") },
    }),
    required: { allowed: `an object with a kube context (pulumi config set --path clusters.${side}.context kind-${side})`, why: "is required by coupling clusters" },
});

function generatorUrl(key: string, v: unknown, r: Report): string | undefined {
    const given = text("a base URL http(s)://host[:port], e.g. http://203.0.113.7:8080")(key, v, r);
    if (given === undefined) return undefined;
    const url = grammars.baseUrl(given);
    if (url.problem) r.fail(key, given, "a base URL http(s)://host[:port] with no user info, path, query or fragment, e.g. http://203.0.113.7:8080", url.problem);
    return url.origin;
}

const budget = {
    grammar: object({
        cpu: { grammar: kubeQuantity("a CPU quantity greater than zero, at most millicore precision, such as 100m, 0.5 or 2", "cpu") },
        memory: { grammar: kubeQuantity("a memory quantity greater than zero in bytes, such as 64Mi, 128M or 1Gi (never m, which means thousandths of a byte)", "bytes") },
    }),
};

/**
 * The config contract: every key of the project's config namespace, in the order problems
 * are reported. Validation, the "unused by this coupling" rule, Pulumi.yaml's `config:`
 * block and the README's configuration table all come from here (`npm run docs` rewrites
 * the last two; test/docs.spec.ts fails when they disagree).
 *
 * Per key: `type` (Pulumi.yaml's), `default` (parsed like a given value; a function when
 * computed), `grammar` (a validator.ts builder, mostly over grammars.ts), `usedBy` (the
 * couplings that use it; unset = all) with `unused` (why another coupling does not: the
 * reason its warning gives), `required` (where used), `description` (one line),
 * `defaultText` (for a default the docs cannot show as a value).
 *
 * One key switches (`pulumi config set coupling X`): a key only some couplings use is
 * validated in every coupling and, where unused, kept with one warning, never refused.
 * Every such key describes what a later switch returns to (the comment at each says what).
 * What contradicts the chosen coupling is a value, and is refused by a requirement of that
 * coupling (`required`, CHECKS): `clusters` without two distinct clusters, `images`
 * lacking one the coupling runs, `renderYamlTo` for `clusters` without a generatorUrl.
 *
 * To add a key: an entry here and its field in AppConfig (filled in by `appConfig` below),
 * then `npm run docs`. To add a check that reads several keys: a function in CHECKS below;
 * it sees every key's parsed value, and its problem is listed with the key it names.
 */
export const CONFIG = {
    coupling: {
        type: "string", grammar: oneOf(COUPLINGS), default: "pod",
        description: "How generator and echo are coupled: `container`, `pod`, `volume`, `service` or `clusters`",
    },
    imageRegistry: {
        type: "string", grammar: registry("localhost:5001 or ghcr.io/acme"), default: "localhost:5001",
        description: "Registry/repository prefix the images are pushed to (as `<prefix>/app-coupling-<name>`): host[:port] plus optional lower-case path components",
    },
    pullRegistry: {
        type: "string", grammar: registry("image-registry.openshift-image-registry.svc:5000/my-namespace"), defaultText: "`imageRegistry`",
        description: "Prefix pods pull the same digests from, when it differs from where they are pushed (OpenShift's internal registry service, a mirror)",
    },
    registryUsername: {
        type: "string",
        grammar: text("a user name without ':' (HTTP basic authentication cannot carry one)",
            (v) => (v.includes(":") ? "contains ':'" : /\s/.test(v) ? "contains whitespace" : undefined)),
        description: "Push/pull user name, set together with registryPassword; pods then pull with an imagePullSecret (unless pullRegistry is set)",
    },
    registryPassword: {
        type: "string", grammar: text(), secret: true,
        description: "Push/pull password; must be set with `pulumi config set --secret registryPassword ...`",
    },
    images: {
        type: "object",
        grammar: object(fieldsFor(IMAGE_NAMES, (name) => ({
            grammar: text("a digest-pinned image reference, host[:port]/lower-case/path[:tag]@sha256:<64 hex>", grammars.pinnedReference),
            // kept where unused: a full set serves every coupling
            usedBy: COUPLINGS.filter((c) => IMAGES_FOR[c].includes(name)),
            unused: (coupling: string) => `it runs ${IMAGES_FOR[coupling as Coupling].join(" and ")}`,
        }))),
        description: "Prebuilt refs `repo[:tag]@sha256:<64 hex>` for the images the coupling runs: build nothing, deploy these (promotion, previews without Docker)",
    },
    imagesFromStack: {
        type: "string", grammar: text("a stack name [org/][project/]stack, e.g. acme/app-coupling/staging", grammars.stackName),
        description: "A stack (`[org/][project/]stack`) whose `images` output supplies the refs to deploy (build once, promote)",
    },
    platform: {
        type: "string", grammar: oneOf(PLATFORMS, (v) => grammars.platformSuggestion(v, PLATFORMS)), default: (ctx: ConfigContext) => defaultPlatform(ctx.hostArch) ?? "linux/amd64",
        defaultText: "the deploying machine's architecture",
        description: "Build platform: `linux/amd64` or `linux/arm64`",
    },
    namespace: {
        type: "string",
        grammar: text("a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending alphanumeric, no dots) that Kubernetes does not own",
            (v) => grammars.dns1123Label(v) ??
                ((RESERVED_NAMESPACES as readonly string[]).includes(v) || v.startsWith("kube-")
                    ? `is a namespace Kubernetes owns; the program creates and deletes its namespace, so it never uses ${RESERVED_NAMESPACES.join(", ")} or another kube- name`
                    : undefined)),
        default: (ctx: ConfigContext) => defaultNamespace(ctx), defaultText: "`<project>-<stack>`",
        description: "Namespace the program creates, deploys into and deletes on destroy: a DNS-1123 label, never `default`, `kube-system`, `kube-public`, `kube-node-lease` or another `kube-` name",
    },
    context: {
        type: "string", grammar: text("the name of a kube context"), defaultText: "the kubeconfig's current context",
        // kept where unused: where the single-cluster couplings deploy (Pulumi.dev.yaml pins it)
        usedBy: SINGLE_CLUSTER,
        unused: "each side names its own: clusters.generator.context, clusters.echo.context",
        description: "Kube context for the single-cluster couplings",
    },
    echoReplicas: {
        type: "integer", grammar: integer(1, grammars.INT32_MAX), default: 1,
        // kept where unused: the echo Deployment's size, for a switch to a coupling that has one
        usedBy: ECHO_IS_OWN_WORKLOAD,
        unused: "echo is not a Deployment of its own there",
        description: "Echo replicas where echo is its own workload: 1 to 2147483647",
    },
    generatorIntervalSeconds: {
        type: "string",
        grammar: parsed(`a plain decimal number of seconds from ${grammars.INTERVAL_MIN_SECONDS} to ${grammars.INTERVAL_MAX_SECONDS}, e.g. 2 or 0.5 (what generator.sh accepts)`,
            grammars.interval),
        default: "2",
        description: "Seconds between numbers, 0.1 to 3600: a plain decimal such as `2` or `0.5`, exactly what generator.sh accepts (fractions allowed, hence a string)",
    },
    maxLines: {
        type: "integer", grammar: integer(1, MAX_LINES_LIMIT), default: 10000,
        description: `The data file keeps at most this many newest lines, 1 to ${MAX_LINES_LIMIT} (about 57 MB); sizes the emptyDir limits, while no container's memory grows with it`,
    },
    serviceType: {
        // used by every coupling: each has the echo Service
        type: "string", grammar: oneOf(SERVICE_TYPES), default: "ClusterIP",
        description: "Echo Service type: `ClusterIP`, `NodePort` or `LoadBalancer` (on OpenShift, anything but ClusterIP means a Route)",
    },
    storage: {
        type: "object",
        grammar: object({
            size: { grammar: kubeQuantity("a storage quantity greater than zero, in bytes, such as 1Gi, 500Mi or 10G", "bytes"), default: "1Gi" },
            storageClass: { grammar: text("a StorageClass name: a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')", grammars.dns1123Subdomain) },
            accessMode: { grammar: oneOf(ACCESS_MODES), default: "ReadWriteOnce" },
            retainOnDelete: { grammar: bool(), default: false },
            claimName: { grammar: text("a claim name: a DNS-1123 label (lower-case letters, digits and '-')", grammars.dns1123Label) },
        }),
        default: {},
        // kept where unused: the claim a `volume` run creates, keeps (retainOnDelete) and reuses;
        // retainOnDelete also keeps the namespace, and so the claim, in every coupling
        usedBy: ["volume"],
        unused: "no claim is created",
        description: "The volume coupling's claim: size (whole bytes), storageClass, accessMode, retainOnDelete (the claim and its data outlive destroy and switches), claimName (default `<project>-<stack>-data`)",
    },
    renderYamlTo: {
        type: "string", grammar: text("a directory path"),
        description: "Write manifests to this directory instead of applying them (`clusters`: a subdirectory per cluster); builds nothing, so needs images or imagesFromStack; a pull Secret is written in clear text",
    },
    clusters: {
        type: "object",
        grammar: object({
            generator: target("generator"),
            echo: target("echo"),
            generatorUrl: { grammar: generatorUrl },
            allowFrom: {
                grammar: list("a non-empty list of CIDRs, e.g. [\"198.51.100.0/24\"] (echo's cluster egress addresses)",
                    (v) => (typeof v === "string" ? grammars.cidr(v) : "is not a string")) as Grammar<string[]>,
                // safe by default: private addresses only (kind's network, one VPC or peered
                // ones); echo's egress over the internet must be named (README, clusters.allowFrom)
                default: [...PRIVATE_RANGES],
            },
        }),
        // kept where unused: the two clusters a switch to `clusters` deploys to
        usedBy: ["clusters"],
        unused: "it deploys to one cluster",
        required: {
            allowed: "clusters.generator.context and clusters.echo.context (pulumi config set --path clusters.generator.context kind-a)",
            why: "is required by coupling clusters",
        },
        description: "The two clusters: a context (and kubeconfig) per side; generatorUrl overrides the discovered address (required with renderYamlTo); allowFrom (CIDRs, default the private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) says who the generator's load balancer admits",
    },
    openshift: {
        type: "boolean", grammar: bool(), default: false,
        description: "OpenShift mode: no pinned UIDs (the restricted-v2 SCC assigns them), a Route for external exposure",
    },
    resources: {
        type: "object",
        grammar: object(fieldsFor(CONTAINER_NAMES, (name) => ({
            grammar: object({ requests: budget, limits: budget }),
            // kept where unused: the budget of a container a later switch runs
            usedBy: COUPLINGS.filter((c) => CONTAINERS_FOR[c].includes(name)),
            unused: (coupling: string) => `it runs ${CONTAINERS_FOR[coupling as Coupling].join(", ")}`,
        }))),
        default: {},
        defaultText: `cpu/memory requests (limits): ${CONTAINER_NAMES.map((n) => {
            const { requests, limits } = DEFAULT_RESOURCES[n];
            return `${n} ${requests.cpu}/${requests.memory} (${limits.cpu}/${limits.memory})`;
        }).join(", ")}`,
        description: "CPU/memory requests and limits per container: Kubernetes quantities greater than zero, memory in whole bytes, each request at most its limit",
    },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG;
/** Every key of the project's config namespace, as declared in Pulumi.yaml. */
export const CONFIG_KEYS = Object.keys(CONFIG) as ConfigKey[];
type Parsed = Values<typeof CONFIG>;
/** The values as given (objects parsed from JSON; "" and {} as undefined). */
type Given = Record<string, unknown> & { images?: Record<string, unknown>; clusters?: Record<string, unknown> };

/** The defaults with the user's valid values over them, and which of them the user set. */
function mergedResources(user: Parsed["resources"]): { resources: Record<ContainerName, ComputeResources>; userSet: Set<string> } {
    const resources: Record<ContainerName, ComputeResources> = JSON.parse(JSON.stringify(DEFAULT_RESOURCES));
    const userSet = new Set<string>();
    for (const name of CONTAINER_NAMES) {
        for (const kind of ["requests", "limits"] as const) {
            for (const res of ["cpu", "memory"] as const) {
                const q = user[name]?.[kind]?.[res];
                if (q === undefined) continue;
                resources[name][kind][res] = q;
                userSet.add(`${name}.${kind}.${res}`);
            }
        }
    }
    return { resources, userSet };
}

/** Checks that read several keys (or the context). Each problem is listed with the key it names. */
const CHECKS: ((v: Parsed, given: Given, r: Report) => void)[] = [
    // credentials come as a pair; the password must be a secret so it never lands in plain state
    (v, given, r) => {
        if ((given.registryUsername === undefined) === (given.registryPassword === undefined)) return;
        r.problem("registryPassword", `registryUsername/registryPassword: only ${given.registryUsername === undefined ? "registryPassword" : "registryUsername"} is set; ` +
            "expected both or neither (set the password with `pulumi config set --secret registryPassword ...`)");
    },
    (v, given, r) => {
        const missing = given.images ? IMAGES_FOR[v.coupling].filter((n) => given.images![n] === undefined) : [];
        if (missing.length) {
            r.fail("images", given.images, `a reference for every image coupling ${v.coupling} runs (${IMAGES_FOR[v.coupling].join(", ")})`, `lacks ${missing.join(", ")}`);
        }
    },
    (v, given, r) => {
        if (v.imagesFromStack && given.images) r.fail("imagesFromStack", v.imagesFromStack, "images or imagesFromStack, not both", "is set together with images");
    },
    (v, given, r) => {
        const { hostArch } = ctxOf(r);
        if (given.platform === undefined && !defaultPlatform(hostArch)) {
            r.fail("platform", UNSET, `an explicit platform: one of ${PLATFORMS.join(", ")}`, `cannot default to this machine's architecture (${hostArch})`);
        }
    },
    (v, given, r) => {
        if (v.renderYamlTo !== undefined && !given.images && !v.imagesFromStack) {
            r.fail("renderYamlTo", v.renderYamlTo, "prebuilt images with it: set images (pulumi config set --path images.generator <repo>@sha256:...) or imagesFromStack",
                "builds and pushes nothing, so it needs images it can name");
        }
    },
    (v, given, r) => {
        if (!given.clusters) return;
        // a property of the value, refused in every coupling (where unused, a later switch would refuse it)
        const { generator, echo } = v.clusters ?? {};
        if (generator?.context && echo?.context && generator.context === echo.context && generator.kubeconfig === echo.kubeconfig) {
            r.fail("clusters.echo.context", echo.context, "a different cluster from clusters.generator.context (two clusters are the point of this coupling)");
        }
        if (v.coupling === "clusters" && v.renderYamlTo !== undefined && given.clusters.generatorUrl === undefined) {
            r.fail("clusters.generatorUrl", UNSET, "the generator's URL when renderYamlTo is set", "is required in render mode: rendered manifests have no load-balancer address to discover");
        }
    },
    // the API server rejects a request above its limit; name the value the user set
    (v, given, r) => {
        const { resources, userSet } = mergedResources(v.resources);
        for (const name of CONTAINER_NAMES) {
            for (const res of ["cpu", "memory"] as const) {
                const { requests, limits } = resources[name];
                const request = grammars.parseQuantity(requests[res])!, limit = grammars.parseQuantity(limits[res])!;
                if (grammars.compareRational(request, limit) <= 0) continue;
                const requestSet = userSet.has(`${name}.requests.${res}`), limitSet = userSet.has(`${name}.limits.${res}`);
                if (requestSet || !limitSet) {
                    r.fail(`resources.${name}.requests.${res}`, requests[res],
                        `at most the limit (${limits[res]}${limitSet ? "" : ", the default"}); raise resources.${name}.limits.${res} too`, "is above the limit");
                } else {
                    r.fail(`resources.${name}.limits.${res}`, limits[res],
                        `at least the request (${requests[res]}, the default); lower resources.${name}.requests.${res} too`, "is below the request");
                }
            }
        }
    },
];

/** What the program gets: the parsed values, in the shapes the components use. */
function appConfig(v: Parsed, given: Given, ctx: ConfigContext): AppConfig {
    const { storage, clusters } = v;
    const generator = clusters?.generator, echo = clusters?.echo;
    return {
        project: ctx.project, stack: ctx.stack, coupling: v.coupling, imageRegistry: v.imageRegistry, pullRegistry: v.pullRegistry,
        registryAuth: v.registryUsername !== undefined && v.registryPassword !== undefined
            ? { server: grammars.registryHost(v.imageRegistry), username: v.registryUsername, password: pulumi.secret(v.registryPassword) }
            : undefined,
        prebuiltImages: v.images ? Object.fromEntries(Object.entries(v.images).filter(([, ref]) => ref !== undefined)) : undefined,
        imagesFromStack: v.imagesFromStack, platform: v.platform, platformFromHost: given.platform === undefined, namespace: v.namespace,
        context: v.coupling === "clusters" ? undefined : v.context,
        echoReplicas: ECHO_IS_OWN_WORKLOAD.includes(v.coupling) ? v.echoReplicas : 1, generatorIntervalSeconds: Number(v.generatorIntervalSeconds), generatorInterval: v.generatorIntervalSeconds,
        maxLines: v.maxLines, serviceType: v.serviceType,
        storage: {
            size: storage.size, storageClass: storage.storageClass, accessMode: storage.accessMode, retainOnDelete: storage.retainOnDelete,
            ...(storage.claimName ? { claimName: storage.claimName } : {}),
        },
        clusters: v.coupling === "clusters" && generator?.context && echo?.context
            ? {
                generator: { context: generator.context, kubeconfig: generator.kubeconfig },
                echo: { context: echo.context, kubeconfig: echo.kubeconfig },
                generatorUrl: clusters!.generatorUrl, allowFrom: clusters!.allowFrom,
            }
            : undefined,
        renderYamlTo: v.renderYamlTo, openshift: v.openshift, resources: mergedResources(v.resources).resources,
    };
}

/**
 * Validate every key; throws one ConfigError listing every problem, one line each
 * (`key: value is not allowed (why); expected what`), in the table's order. Warnings (a
 * kept value the coupling does not use) go to `warnings`; loadConfig prints them.
 */
export function parseConfig(source: ConfigSource, ctx: ConfigContext, warnings: string[] = []): AppConfig {
    const { values, given, report } = validate(CONFIG, source, ctx);
    for (const check of CHECKS) check(values, given as Given, report);
    warnings.push(...report.warnings);
    if (report.problems.length) throw new ConfigError(report.problems);
    return appConfig(values, given as Given, ctx);
}
