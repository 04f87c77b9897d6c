// The app-coupling policies as plain code: index.ts serves them as a CrossGuard policy pack,
// tests call them through violationsFor().
//
// Every workload rule walks each container and init container of the pod spec once (see
// containersOf) and reports at most one violation per container, listing everything wrong with it.

import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

/** Where each workload type keeps its pod spec. Only these types are checked. */
const podSpecPath: Record<string, string[]> = {
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "kubernetes:core/v1:Pod": ["spec"],
};

export const workloadTypes = Object.keys(podSpecPath);
export const namespaceType = "kubernetes:core/v1:Namespace";

/** One container of a workload, with the securityContext that applies to it. */
export interface ContainerView {
    /** e.g. `container "echo"` or `init container "setup"`, as used in messages. */
    label: string;
    init: boolean;
    container: any;
    /** The pod spec the container belongs to. */
    pod: any;
    /**
     * The effective securityContext: the container's fields over the pod's. Fields that exist
     * only on the container (allowPrivilegeEscalation, capabilities, ...) come from the container.
     */
    securityContext: any;
}

/** The pod spec of a workload resource's inputs; undefined when `type` is not a workload. */
export function podSpecOf(type: string, props: any): any | undefined {
    const path = podSpecPath[type];
    if (!path) {
        return undefined;
    }
    let node = props;
    for (const key of path) {
        node = node?.[key];
    }
    return node ?? {};
}

/** Init containers then containers, in the order the kubelet starts them. */
export function containersOf(pod: any): ContainerView[] {
    const podSc = pod?.securityContext ?? {};
    const view = (container: any, init: boolean): ContainerView => ({
        label: `${init ? "init container" : "container"} "${container?.name ?? "<unnamed>"}"`,
        init,
        container,
        pod,
        securityContext: { ...podSc, ...definedFields(container?.securityContext) },
    });
    return [
        ...(pod?.initContainers ?? []).map((c: any) => view(c, true)),
        ...(pod?.containers ?? []).map((c: any) => view(c, false)),
    ];
}

function definedFields(obj: any): Record<string, unknown> {
    return Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined && v !== null));
}

/** "kubernetes:apps/v1:Deployment" -> "Deployment". */
function kindOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

/**
 * A policy that runs `check` on every container (and init container, unless `initContainers` is
 * false) of every workload type, reporting one violation per container that has problems.
 */
function containerPolicy(
    name: string,
    description: string,
    check: (c: ContainerView) => string[],
    options: { initContainers?: boolean } = {},
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            const pod = podSpecOf(args.type, args.props);
            if (pod === undefined) {
                return args.notApplicable(`applies only to ${workloadTypes.join(", ")}`);
            }
            for (const c of containersOf(pod)) {
                if (c.init && options.initContainers === false) {
                    continue;
                }
                const problems = check(c);
                if (problems.length > 0) {
                    reportViolation(`${kindOf(args.type)} "${args.name}" ${c.label}: ${problems.join("; ")}`);
                }
            }
        },
    };
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== "";

const digestRe = /@sha256:[0-9a-f]{64}$/;

/** What is wrong with an image reference, or undefined when it is pinned by digest. */
export function imageProblem(image: unknown): string | undefined {
    if (typeof image !== "string" || image === "") {
        return "image is not set";
    }
    if (digestRe.test(image)) {
        return undefined;
    }
    if (image.includes("@")) {
        return `image "${image}" has a malformed digest; expected @sha256: followed by 64 lowercase hex digits`;
    }
    const lastPart = image.slice(image.lastIndexOf("/") + 1); // a registry's ":port" is before the last "/"
    const colon = lastPart.indexOf(":");
    if (colon < 0) {
        return `image "${image}" has no tag or digest, which means :latest; pin it by digest (@sha256:...)`;
    }
    const tag = lastPart.slice(colon + 1);
    if (tag === "latest") {
        return `image "${image}" uses the mutable :latest tag; pin it by digest (@sha256:...)`;
    }
    return `image "${image}" is pinned by tag only; pin it by digest (@sha256:...)`;
}

export const policies: ResourceValidationPolicy[] = [
    containerPolicy(
        "pods-run-as-non-root",
        "Containers run as a non-root user: runAsNonRoot is true and any runAsUser is non-zero.",
        ({ container, pod, securityContext: sc }) => {
            const problems: string[] = [];
            if (sc.runAsNonRoot !== true) {
                problems.push("runAsNonRoot must be true (in the container's or the pod's securityContext)");
            }
            if (container?.securityContext?.runAsUser === 0) {
                problems.push("runAsUser must not be 0");
            } else if (pod?.securityContext?.runAsUser === 0) {
                problems.push("the pod's runAsUser must not be 0");
            }
            return problems;
        },
    ),
    containerPolicy(
        "no-privilege-escalation",
        "Containers set allowPrivilegeEscalation: false and are not privileged.",
        ({ securityContext: sc }) => [
            ...(sc.allowPrivilegeEscalation === false ? [] : ["allowPrivilegeEscalation must be false"]),
            ...(sc.privileged === true ? ["privileged must not be true"] : []),
        ],
    ),
    containerPolicy(
        "drop-all-capabilities",
        "Containers drop ALL capabilities and add none but NET_BIND_SERVICE.",
        ({ securityContext: sc }) => {
            const drop: string[] = sc.capabilities?.drop ?? [];
            const extra = (sc.capabilities?.add ?? []).filter((c: string) => c !== "NET_BIND_SERVICE");
            return [
                ...(drop.includes("ALL") ? [] : ['capabilities.drop must include "ALL"']),
                ...(extra.length === 0 ? [] : [`capabilities.add may only contain NET_BIND_SERVICE, not ${extra.join(", ")}`]),
            ];
        },
    ),
    containerPolicy(
        "seccomp-runtime-default",
        "Containers run with a RuntimeDefault or Localhost seccomp profile.",
        ({ securityContext: sc }) => {
            const type = sc.seccompProfile?.type;
            return type === "RuntimeDefault" || type === "Localhost"
                ? []
                : [`seccompProfile.type must be RuntimeDefault or Localhost (got ${type ?? "none"})`];
        },
    ),
    containerPolicy(
        "read-only-root-filesystem",
        "Containers have a read-only root filesystem.",
        ({ securityContext: sc }) => (sc.readOnlyRootFilesystem === true ? [] : ["readOnlyRootFilesystem must be true"]),
    ),
    containerPolicy(
        "resources-set",
        "Containers and init containers set CPU and memory requests and limits.",
        ({ container }) => {
            const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((key) => {
                const [kind, resource] = key.split(".");
                return !isSet(container?.resources?.[kind]?.[resource]);
            });
            return missing.length === 0 ? [] : [`resources ${missing.join(", ")} must be set`];
        },
    ),
    containerPolicy(
        "images-pinned-by-digest",
        "Container images are referenced by digest (@sha256:...), never by tag alone.",
        ({ container }) => {
            const problem = imageProblem(container?.image);
            return problem ? [problem] : [];
        },
    ),
    containerPolicy(
        "probes-present",
        "Containers (not init containers) have readiness and liveness probes.",
        ({ container }) => [
            ...(container?.readinessProbe ? [] : ["readinessProbe must be set"]),
            ...(container?.livenessProbe ? [] : ["livenessProbe must be set"]),
        ],
        { initContainers: false },
    ),
    {
        name: "namespace-pod-security-restricted",
        description: 'Namespaces enforce the "restricted" Pod Security Standard.',
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (args.type !== namespaceType) {
                return args.notApplicable(`applies only to ${namespaceType}`);
            }
            const label = "pod-security.kubernetes.io/enforce";
            const value = args.props?.metadata?.labels?.[label];
            if (value !== "restricted") {
                const got = value === undefined ? "not set" : `got ${JSON.stringify(value)}`;
                reportViolation(`Namespace "${args.name}": label ${label} must be "restricted" (${got})`);
            }
        },
    },
];

class NotApplicable extends Error {}

/**
 * Runs every policy against one resource, as the policy engine would, and returns the
 * violations reported. `props` are the resource's inputs as plain, resolved values (e.g. what a
 * Pulumi mock's newResource receives). Resources no policy applies to yield [].
 */
export function violationsFor(type: string, props: any, name = "test"): { policy: string; message: string }[] {
    const violations: { policy: string; message: string }[] = [];
    const args: ResourceValidationArgs = {
        type,
        props,
        name,
        urn: `urn:pulumi:test::app-coupling::${type}::${name}`,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        isType: (resourceClass: any) => resourceClass?.__pulumiType === type,
        asType: ((resourceClass: any) => (resourceClass?.__pulumiType === type ? props : undefined)) as any,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    for (const policy of policies) {
        if (policy.enforcementLevel === "disabled" || !policy.validateResource) {
            continue;
        }
        const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const validate of validations) {
            try {
                const result = validate(args, (message) => violations.push({ policy: policy.name, message }));
                if (result instanceof Promise) {
                    throw new Error(`policy ${policy.name} is asynchronous; violationsFor only runs synchronous policies`);
                }
            } catch (e) {
                if (!(e instanceof NotApplicable)) {
                    throw e;
                }
            }
        }
    }
    return violations;
}
