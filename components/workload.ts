// The container, pod and Deployment specs every coupling is built from, written once:
// Pod Security "restricted" contexts, probes, resources and the data volume.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, ContainerName, ECHO_IS_OWN_WORKLOAD } from "./config";
import type { ClusterSite } from "./site";
import { ADAPTER_PORT, ECHO_PORT, echoSelector, recommendedLabels, selectorLabels } from "./vocabulary";

type Input<T> = pulumi.Input<T>;
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;

/** Where the images keep their scripts (see images/Dockerfiles). */
const SCRIPTS = "/app";
export const DATA_DIR = "/data";
export const DATA_VOLUME = "data";
/** Where echo in upstream mode keeps its copy of the upstream's file (CACHE_DIR), on disk rather than in memory. */
export const CACHE_DIR = "/cache";
export const CACHE_VOLUME = "cache";
/** The non-root user the images are built for (USER 10001:0). */
export const APP_UID = 10001;
/**
 * How long a stopping server (echo, app, the adapter) goes on serving before it gets
 * SIGTERM: the time for its endpoint's removal to reach every node's kube-proxy (the
 * EndpointSlice update, then an iptables/nftables sync; about a second on one node).
 * Without it the connections routed to it meanwhile are refused or reset (measured on a
 * real node: 14 of 1631 requests lost over pod -> container -> volume -> service -> pod).
 * kube-proxy sends new connections to a stopping pod only while its Service has no Ready
 * endpoint (pkg/proxy/topology.go, CategorizeEndpoints), so it is the new pods that take
 * over. The kubelet's own sleep action (`lifecycle.preStop.sleep`: on by default since
 * Kubernetes 1.30, GA in 1.34) needs no `sleep` binary in the image.
 */
export const DRAIN_SECONDS = 5;
/** The grace period covers the drain and the program's exit (within 2 s of SIGTERM), with margin. */
export const TERMINATION_GRACE_SECONDS = DRAIN_SECONDS + 10;

/** A server behind a Service keeps serving DRAIN_SECONDS after its pod starts stopping. */
const drainBeforeStop: k8s.types.input.core.v1.Lifecycle = { preStop: { sleep: { seconds: DRAIN_SECONDS } } };

/**
 * Restricted-profile container context. On OpenShift the restricted-v2 SCC assigns a UID
 * from the namespace's range and rejects pinned ones, so no UID/GID is set there.
 */
export function containerSecurityContext(config: AppConfig): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        ...(config.openshift ? {} : { runAsUser: APP_UID, runAsGroup: APP_UID }),
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function podSecurityContext(config: AppConfig): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        // fsGroup makes emptyDir and claim volumes writable by the non-root user
        ...(config.openshift ? {} : { runAsUser: APP_UID, runAsGroup: APP_UID, fsGroup: APP_UID, fsGroupChangePolicy: "OnRootMismatch" }),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Worst case on disk: the file plus its trimmed copy, 6 bytes a line ("32767\n"), plus slack. */
export function dataVolumeSizeLimit(maxLines: number): string {
    const mebibyte = 1024 * 1024;
    return `${Math.ceil((maxLines * 6 * 2) / mebibyte) + 1}Mi`;
}

export function emptyDirDataVolume(config: AppConfig): Volume {
    return { name: DATA_VOLUME, emptyDir: { sizeLimit: dataVolumeSizeLimit(config.maxLines) } };
}

/** echo's copy of the upstream's file: at most two copies at once (the one served and the next), like the data volume. */
export function echoCacheVolume(config: AppConfig): Volume {
    return { name: CACHE_VOLUME, emptyDir: { sizeLimit: dataVolumeSizeLimit(config.maxLines) } };
}

function baseContainer(config: AppConfig, name: ContainerName, image: Input<string>): Container {
    return {
        name,
        image,
        imagePullPolicy: "IfNotPresent",
        securityContext: containerSecurityContext(config),
        resources: config.resources[name],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

const execProbe = (command: string[], periodSeconds: number): k8s.types.input.core.v1.Probe =>
    ({ exec: { command }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3 });
const httpProbe = (path: string, port: string, periodSeconds: number): k8s.types.input.core.v1.Probe =>
    ({ httpGet: { path, port }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });

function generatorEnv(config: AppConfig) {
    return [
        { name: "DATA_DIR", value: DATA_DIR },
        { name: "INTERVAL_SECONDS", value: config.generatorInterval },
        { name: "MAX_LINES", value: String(config.maxLines) },
    ];
}

/** generator: appends numbers to DATA_DIR/data; healthy while that file stays fresh. */
export function generatorContainer(config: AppConfig, image: Input<string>): Container {
    const freshness = execProbe([`${SCRIPTS}/generator.sh`, "--check"], 10);
    return {
        ...baseContainer(config, "generator", image),
        env: generatorEnv(config),
        volumeMounts: [{ name: DATA_VOLUME, mountPath: DATA_DIR }],
        readinessProbe: { ...freshness, periodSeconds: 5 },
        livenessProbe: freshness,
    };
}

export type EchoSource = { dataDir: string } | { upstreamUrl: Input<string> };

/**
 * echo (on ECHO_PORT) or the adapter (the echo image serving the generator's file on
 * ADAPTER_PORT): reads a mounted file read-only, or an upstream URL, keeping its copy in
 * the cache volume (echoCacheVolume), so its memory does not grow with maxLines.
 */
export function echoContainer(config: AppConfig, name: "echo" | "adapter", image: Input<string>, source: EchoSource): Container {
    const port = name === "echo" ? ECHO_PORT : ADAPTER_PORT;
    const fileMode = "dataDir" in source;
    return {
        ...baseContainer(config, name, image),
        ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
        env: [
            { name: "PORT", value: String(port) },
            ...(fileMode
                ? [{ name: "DATA_DIR", value: source.dataDir }]
                : [{ name: "UPSTREAM_URL", value: source.upstreamUrl }, { name: "CACHE_DIR", value: CACHE_DIR }]),
        ],
        volumeMounts: fileMode
            ? [{ name: DATA_VOLUME, mountPath: source.dataDir, readOnly: true }]
            : [{ name: CACHE_VOLUME, mountPath: CACHE_DIR }],
        readinessProbe: httpProbe("/ready", "http", 5),
        livenessProbe: httpProbe("/healthz", "http", 10),
        lifecycle: drainBeforeStop,
    };
}

/** app: the combined image running both programs in one container. */
export function appContainer(config: AppConfig, image: Input<string>): Container {
    return {
        ...baseContainer(config, "app", image),
        ports: [{ name: "http", containerPort: ECHO_PORT, protocol: "TCP" }],
        env: [...generatorEnv(config), { name: "PORT", value: String(ECHO_PORT) }],
        volumeMounts: [{ name: DATA_VOLUME, mountPath: DATA_DIR }],
        readinessProbe: httpProbe("/ready", "http", 5),
        // fails when either program is dead, not only echo
        livenessProbe: execProbe([`${SCRIPTS}/app.sh`, "--check"], 10),
        lifecycle: drainBeforeStop,
    };
}

export interface WorkloadArgs {
    config: AppConfig;
    site: ClusterSite;
    /** `app.kubernetes.io/component`: what the pods are (app, pod, generator, echo). */
    component: string;
    containers: Container[];
    volumes?: Volume[];
    replicas?: number;
    /** Pods that serve echo get the label the echo Service selects. */
    servesEcho: boolean;
    /** Single writers are replaced, never doubled; echo rolls with zero unavailable. */
    rollout: "recreate" | "zero-downtime";
    affinity?: k8s.types.input.core.v1.Affinity;
    /** Spread replicas over nodes (best effort), so one node's loss leaves echo serving. */
    spreadOverNodes?: boolean;
    /** Further pod labels (not part of the Deployment's selector). */
    extraPodLabels?: Record<string, string>;
}

export function workloadDeployment(name: string, args: WorkloadArgs, opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
    const { config, site } = args;
    const selector = selectorLabels(config, args.component);
    const podLabels = { ...recommendedLabels(config, args.component), ...(args.servesEcho ? echoSelector(config) : {}), ...args.extraPodLabels };
    return new k8s.apps.v1.Deployment(name, {
        metadata: { namespace: site.namespaceName, labels: podLabels },
        spec: {
            replicas: args.replicas ?? 1,
            selector: { matchLabels: selector },
            strategy: args.rollout === "recreate"
                ? { type: "Recreate" }
                : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels: podLabels },
                spec: {
                    serviceAccountName: site.serviceAccountName,
                    automountServiceAccountToken: false,
                    imagePullSecrets: site.imagePullSecrets,
                    enableServiceLinks: false,
                    nodeSelector: site.nodeSelector,
                    securityContext: podSecurityContext(config),
                    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
                    containers: args.containers,
                    volumes: args.volumes,
                    affinity: args.affinity,
                    topologySpreadConstraints: args.spreadOverNodes ? [{
                        maxSkew: 1,
                        topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: selector },
                    }] : undefined,
                },
            },
        },
    }, opts);
}

/**
 * Whether echo gets a PodDisruptionBudget: where echo is its own Deployment with several
 * replicas, except in `volume` with ReadWriteOnce, where all of them share the generator's
 * node and a budget would make that node's drain impossible (see couplings/volume.ts).
 */
export function echoBudgetWanted(config: AppConfig): boolean {
    return ECHO_IS_OWN_WORKLOAD.includes(config.coupling) && config.echoReplicas > 1 &&
        !(config.coupling === "volume" && config.storage.accessMode === "ReadWriteOnce");
}

/**
 * Keeps at least one echo pod through voluntary disruptions when echo has several. One
 * budget, a child of the site (like the echo Service), so it keeps its URN whatever the
 * coupling and a switch updates it in place. Owned by a coupling component it would change
 * URN on a switch: Pulumi creates the new one before deleting the old, and for that while two
 * budgets select the same pods, so every eviction of them is refused ("This pod has more than
 * one PodDisruptionBudget, which the eviction subresource does not support": kubernetes
 * pkg/registry/core/pod/storage/eviction.go) and a node drain stalls.
 */
export function echoDisruptionBudget(site: ClusterSite): k8s.policy.v1.PodDisruptionBudget | undefined {
    const { config } = site;
    if (!echoBudgetWanted(config)) return undefined;
    return new k8s.policy.v1.PodDisruptionBudget("echo", {
        metadata: { namespace: site.namespaceName, labels: recommendedLabels(config, "echo") },
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(config, "echo") } },
    }, site.childOptions());
}
