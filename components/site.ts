// One cluster the program deploys into: its provider, the namespace the program owns
// (Pod Security "restricted" enforced), the workloads' ServiceAccount and pull secret,
// and the echo endpoint (Service, and an OpenShift Route when exposed).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ARCH_LABEL, clusterFacts, readFailure } from "./cluster-read";
import { AppConfig, ClusterTarget, defaultNamespace, Platform, PLATFORMS } from "./config";
import { ECHO_PORT, echoSelector, httpOrigin, loadBalancerAddress, recommendedLabels, serviceUrl } from "./vocabulary";

/** Server-side apply with force: the program's own value wins over another field manager's. */
export const PATCH_FORCE = "pulumi.com/patchForce";
/**
 * The server-side apply field manager. By default each Pulumi resource gets a random one
 * (provider.go fieldManagerName: annotation, else the name in state, else
 * "pulumi-kubernetes-<random>"), so an object re-adopted after a retain would be applied
 * by a stranger to the fields its earlier self owns. The objects that outlive their Pulumi
 * resource (the namespace, the claim) use one fixed manager instead, in every lifetime.
 */
export const FIELD_MANAGER = "pulumi.com/patchFieldManager";

/** Annotations of an object that may outlive its Pulumi resource and be adopted again. */
export function adoptableAnnotations(config: AppConfig, retained: boolean): Record<string, string> {
    return { [FIELD_MANAGER]: config.project, ...(retained ? { [PATCH_FORCE]: "true" } : {}) };
}

export interface ClusterSiteArgs {
    config: AppConfig;
    /** Unset = the kubeconfig's current context. */
    target?: Partial<ClusterTarget>;
    /** Subdirectory of `renderYamlTo` for this cluster's manifests (two clusters, two dirs). */
    renderSubdir?: string;
    /** The namespace's name (default: the `namespace` config). */
    namespace?: string;
    /**
     * This site's namespace may hold the `volume` coupling's claim: with
     * `storage.retainOnDelete` the namespace is retained too (deleting it would delete the
     * claim with it) and the provider re-adopts both when they come back.
     */
    mayHoldRetainedClaim?: boolean;
    /** The platform of the images this site's pods run, when known (program.ts imagePlatform). */
    imagePlatform?: ImagePlatform;
}

export interface ImagePlatform {
    platform: Platform;
    /** Whether the platform is the deploying machine's (`platform` unset) rather than chosen. */
    fromHost: boolean;
    /**
     * Whether this run deploys images the stack did not deploy before (then the nodes are
     * read). Asked only where the nodes are read (never in render mode): the answer may
     * cost a read of the stack's own last outputs (program.ts).
     */
    newImages: () => pulumi.Input<boolean>;
}

/**
 * The provider's arguments. In render mode none of context, kubeconfig or cluster: the
 * provider's CheckConfig rejects each of them next to `renderYamlToDirectory`
 * (pulumi-kubernetes provider/pkg/provider/provider.go, CheckConfig: `"context" arg is not
 * compatible with "renderYamlToDirectory" arg`), and a render needs no cluster anyway.
 */
export function providerArgs(config: AppConfig, target: Partial<ClusterTarget>, renderSubdir: string | undefined,
    upsertRetained: boolean): k8s.ProviderArgs {
    // Secret data is replaced, not updated, unless enableSecretMutable (provider/pkg/provider/
    // diff.go, (*kubeProvider).forceNewProperties: a Secret's `.type`, `.stringData`, `.data`
    // force a replacement when the provider's enableSecretMutable is off or the Secret is
    // immutable); with it a credential rotation patches the fixed-name pull Secret in place.
    const common = { enableSecretMutable: true };
    if (config.renderYamlTo !== undefined) {
        // kubeconfig "" on purpose: left unset, @pulumi/kubernetes fills it from $KUBECONFIG
        // (provider.js: `args.kubeconfig ?? getEnv("KUBECONFIG")`), which CheckConfig then
        // rejects; it counts only non-empty strings (truthyValue), so "" renders anywhere.
        return { ...common, kubeconfig: "", renderYamlToDirectory: path.join(config.renderYamlTo, renderSubdir ?? "") };
    }
    return {
        ...common,
        context: target.context,
        kubeconfig: target.kubeconfig,
        // The provider refuses to create an object that already exists (@pulumi/kubernetes
        // 4.34 ProviderArgs.upsertExistingObjects: "By default, Pulumi will error if a resource
        // already exists in the cluster"). A retained namespace and claim do exist when the stack comes
        // back; this lets the create adopt them (server-side apply upsert) instead of
        // failing with AlreadyExists. Only names the program fixes can collide (the
        // namespace, the claim, the pull Secret); all else is auto-named.
        ...(upsertRetained ? { upsertExistingObjects: true } : {}),
    };
}

/** `<project>-<stack>` plus a suffix: the names the program fixes on purpose (DESIGN's exceptions). */
export function fixedName(config: AppConfig, suffix: string): string {
    return `${defaultNamespace(config)}-${suffix}`;
}

/** Child names carry the site's name: two sites (two clusters) must not share a URN. */
export class ClusterSite extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;
    readonly namespace: k8s.core.v1.Namespace;
    readonly namespaceName: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    readonly imagePullSecrets?: pulumi.Output<{ name: string }[]>;
    readonly config: AppConfig;
    /** The kube context and kubeconfig this site deploys with (unset = kubeconfig defaults). */
    readonly target: Partial<ClusterTarget>;
    /** The cluster as messages name it. */
    readonly clusterName: string;
    /** Every pod's nodeSelector: the CPU architecture its images are built for, when known. */
    readonly nodeSelector?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ClusterSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:index:Cluster", name, {}, opts);
        const { config } = args;
        this.config = config;
        this.target = args.target ?? {};
        this.clusterName = this.target.context ? `the cluster of context ${this.target.context}` : "the cluster of the kubeconfig's current context";
        const retained = !!args.mayHoldRetainedClaim && config.storage.retainOnDelete;
        this.provider = new k8s.Provider(name, providerArgs(config, this.target, args.renderSubdir, retained), { parent: this });
        const child = this.childOptions();

        // Retained: `pulumi destroy`, a coupling switch or a move to another cluster leave
        // the namespace (and so the claim inside it) in place; the next create adopts it.
        this.namespace = new k8s.core.v1.Namespace(name, {
            metadata: {
                name: args.namespace ?? config.namespace,
                labels: {
                    ...recommendedLabels(config, "namespace"),
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
                annotations: adoptableAnnotations(config, retained),
            },
        }, { ...child, retainOnDelete: retained });
        this.namespaceName = this.namespace.metadata.name;

        // The credentials are for the registry pushed to; pods pulling from elsewhere
        // (pullRegistry) must keep that registry's own means (on OpenShift, the service
        // account's token, which is only injected into pods that name no pull secret).
        if (config.registryAuth && !config.pullRegistry) {
            const { server, username, password } = config.registryAuth;
            // A fixed name (DESIGN's exception): rotating the credentials changes the data,
            // never the name, so no pod template changes and no pod restarts; with
            // enableSecretMutable on the provider the Secret is patched in place.
            const pullSecret = new k8s.core.v1.Secret(`${name}-registry-pull`, {
                metadata: { name: fixedName(config, "registry-pull"), namespace: this.namespaceName, labels: recommendedLabels(config, "registry-credentials") },
                type: "kubernetes.io/dockerconfigjson",
                // built inside the secret's apply, so the password is never a plain value
                stringData: { ".dockerconfigjson": pulumi.secret(password.apply((pw) => dockerConfigJson(server, username, pw))) },
            }, child);
            this.imagePullSecrets = pulumi.output([{ name: pullSecret.metadata.name }]);
        }

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-workload`, {
            metadata: { namespace: this.namespaceName, labels: recommendedLabels(config, "workload-identity") },
            // the programs never talk to the API server
            automountServiceAccountToken: false,
            imagePullSecrets: this.imagePullSecrets,
        }, child);
        this.serviceAccountName = serviceAccount.metadata.name;
        if (args.imagePlatform) this.nodeSelector = this.architectureSelector(args.imagePlatform);
        this.registerOutputs({ namespace: this.namespaceName });
    }

    /**
     * Pods go only to nodes of the images' architecture (`kubernetes.io/arch`, which every
     * kubelet sets): elsewhere they would fail with `exec format error` until the
     * Deployment await gives up after 10 minutes; this way they wait, visibly unschedulable,
     * and an autoscaler that offers that architecture (Karpenter, GKE Autopilot) adds a node.
     * When this run deploys new images, the nodes are read first: with `platform` unset and
     * no node of this machine's architecture, the run is refused at preview (the images would
     * never run there); with `platform` chosen, a warning says the pods will wait for such a
     * node. The selector waits on that verdict, so a refusal registers no Deployment.
     */
    private architectureSelector(images: ImagePlatform): pulumi.Output<Record<string, string>> {
        const arch = images.platform.split("/")[1];
        const selector: Record<string, string> = { [ARCH_LABEL]: arch };
        const facts = this.config.renderYamlTo === undefined ? clusterFacts(this.target) : undefined;
        if (!facts) return pulumi.output(selector);
        return pulumi.output(images.newImages()).apply(async (newImages): Promise<Record<string, string>> => {
            if (!newImages) return selector;
            let present: boolean, seen: string[] = [];
            try {
                present = await facts.hasNodeWithArch(arch);
                if (!present) seen = await facts.nodeArchitectures();
            } catch (err) {
                warn(`platform: could not read the nodes of ${this.clusterName} (${readFailure(err)}); not checked that a node ` +
                    `runs ${images.platform} images (pods are still pinned to ${ARCH_LABEL}=${arch})`, this);
                return selector;
            }
            if (present) return selector;
            const nodes = seen.length ? `its nodes are ${seen.join(", ")}` : "it has no nodes";
            const other = seen.find((a) => a !== "(unlabelled)" && PLATFORMS.includes(`linux/${a}` as Platform));
            if (images.fromHost) {
                throw new ArchitectureError(`platform: unset, so the images are built for this machine's ${images.platform}, but no node ` +
                    `of ${this.clusterName} has ${ARCH_LABEL}=${arch} (${nodes}): its pods could never run. Refused. Set the nodes' ` +
                    `platform: \`pulumi config set platform ${other ? `linux/${other}` : PLATFORMS.join("|")}\` ` +
                    "(Docker builds it under emulation if this machine cannot run it natively).");
            }
            warn(`platform: ${images.platform} is set, but no node of ${this.clusterName} has ${ARCH_LABEL}=${arch} (${nodes}): ` +
                "the pods wait, unschedulable, until a node of that architecture joins (an autoscaler may add one)", this);
            return selector;
        });
    }

    /** Options for resources placed in this cluster under `parent` (default: the site). */
    childOptions(parent?: pulumi.Resource): pulumi.CustomResourceOptions {
        return { parent: parent ?? this, provider: this.provider };
    }

    /** `kubectl port-forward` for a Service in this cluster. */
    portForward(service: k8s.core.v1.Service, port: number): pulumi.Output<string> {
        const { kubeconfig, context } = this.target;
        const flags = `${kubeconfig ? ` --kubeconfig ${kubeconfig}` : ""}${context ? ` --context ${context}` : ""}`;
        return pulumi.interpolate`kubectl${flags} -n ${service.metadata.namespace} port-forward svc/${service.metadata.name} ${port}:${port}`;
    }
}

/** A RunError: the engine prints its message alone, without a stack trace. */
export class ArchitectureError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ArchitectureError";
    }
}

export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/** Warnings the program gave (kept for tests; under a real engine each is also a diagnostic on its resource). */
export const notices: string[] = [];

export function warn(message: string, resource: pulumi.Resource): void {
    notices.push(message);
    if (pulumi.runtime.hasEngine()) void pulumi.log.warn(message, resource);
}

/** What the program told the user, not as a warning (kept for tests; under a real engine an info diagnostic on its resource). */
export const informed: string[] = [];

export function inform(message: string, resource: pulumi.Resource): void {
    informed.push(message);
    if (pulumi.runtime.hasEngine()) void pulumi.log.info(message, resource);
}

/**
 * How long the provider waits for a LoadBalancer Service whose address the program uses.
 * Its Service await (provider/pkg/await/service.go, serviceInitAwaiter) waits for
 * `status.loadBalancer.ingress` on create *and* update, for DefaultServiceTimeoutMins = 10
 * minutes unless `pulumi.com/timeoutSeconds` (metadata.TimeoutDuration) says otherwise,
 * then fails with "Service was not allocated an IP address; does your cloud provider
 * support this?". Cloud load balancers get an address within a minute or two; kind never
 * gets one unless cloud-provider-kind runs, so there the wait is short.
 */
export const LOAD_BALANCER_AWAIT_SECONDS = 300;
export const KIND_LOAD_BALANCER_AWAIT_SECONDS = 90;
export const SKIP_AWAIT = "pulumi.com/skipAwait";
export const TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds";

/** kind names its kube contexts `kind-<cluster>`. */
export function isKindContext(target: Partial<ClusterTarget>): boolean {
    return target.context?.startsWith("kind-") ?? false;
}

export interface LoadBalancerUse {
    /** Whether anything the program creates or outputs needs the address. */
    addressUsed: boolean;
    /** What to do when none comes, besides running cloud-provider-kind. */
    otherWayOut: string;
}

/**
 * Annotations for a LoadBalancer Service: where the address is not used, no await at all
 * (`pulumi.com/skipAwait`: metadata.SkipAwaitLogic skips the awaiter on create and update);
 * where it is, a short timeout.
 */
export function loadBalancerAnnotations(target: Partial<ClusterTarget>, use: LoadBalancerUse): Record<string, string> {
    if (!use.addressUsed) return { [SKIP_AWAIT]: "true" };
    return { [TIMEOUT_SECONDS]: String(isKindContext(target) ? KIND_LOAD_BALANCER_AWAIT_SECONDS : LOAD_BALANCER_AWAIT_SECONDS) };
}

/**
 * On kind, says (a warning on the Service, shown next to the provider's timeout error) why
 * no address comes and both ways out. Elsewhere a load balancer is expected to work, and a
 * warning on every run would only teach people to ignore warnings.
 */
export function warnLoadBalancerWait(site: ClusterSite, service: k8s.core.v1.Service, what: string, use: LoadBalancerUse): void {
    if (!use.addressUsed || site.config.renderYamlTo !== undefined || !isKindContext(site.target)) return;
    warn(`${what} is a LoadBalancer Service: the provider waits up to ${KIND_LOAD_BALANCER_AWAIT_SECONDS} s for its address, ` +
        `then fails with "Service was not allocated an IP address". On kind (context ${site.target.context}) no address ` +
        "ever comes unless cloud-provider-kind runs. Ways out: run cloud-provider-kind " +
        `(https://github.com/kubernetes-sigs/cloud-provider-kind) next to the cluster, or ${use.otherWayOut}.`, service);
}

export interface EchoEndpoint {
    service: k8s.core.v1.Service;
    /** echo's `/data` inside the cluster. */
    endpoint: pulumi.Output<string>;
    /** echo's `/data` from outside, where the Service is exposed. */
    externalUrl?: pulumi.Output<string>;
}

/**
 * The echo Service: same Pulumi name, parent and selector whatever the coupling, so a
 * coupling switch updates it in place and the endpoint survives.
 */
export function echoEndpoint(site: ClusterSite): EchoEndpoint {
    const { config } = site;
    const exposed = config.serviceType !== "ClusterIP";
    // OpenShift exposes through a Route to a ClusterIP Service instead of a load balancer.
    const serviceType = config.openshift ? "ClusterIP" : config.serviceType;
    // The address only feeds the `externalUrl` output; it is still awaited (briefly), so a
    // cluster that never assigns one fails the deployment with a reason instead of
    // reporting an endpoint that does not exist.
    const lbUse: LoadBalancerUse = {
        addressUsed: true,
        otherWayOut: "use `pulumi config set serviceType NodePort` (or ClusterIP with the `portForward` output)",
    };
    const service = new k8s.core.v1.Service("echo", {
        metadata: {
            namespace: site.namespaceName,
            labels: recommendedLabels(config, "echo"),
            ...(serviceType === "LoadBalancer" ? { annotations: loadBalancerAnnotations(site.target, lbUse) } : {}),
        },
        spec: {
            type: serviceType,
            selector: echoSelector(config),
            ports: [{ name: "http", port: ECHO_PORT, targetPort: "http", protocol: "TCP" }],
        },
    }, site.childOptions());
    if (serviceType === "LoadBalancer") warnLoadBalancerWait(site, service, "The echo Service", lbUse);
    const endpoint = pulumi.interpolate`${serviceUrl(service, ECHO_PORT)}/data`;

    let externalUrl: pulumi.Output<string> | undefined;
    if (exposed && config.openshift) {
        const route = new k8s.apiextensions.CustomResource("echo", {
            apiVersion: "route.openshift.io/v1",
            kind: "Route",
            metadata: { namespace: site.namespaceName, labels: recommendedLabels(config, "echo") },
            spec: {
                to: { kind: "Service", name: service.metadata.name, weight: 100 },
                port: { targetPort: "http" },
                tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
            },
        }, site.childOptions());
        // a CustomResource exposes every field it was given as an output; the router fills in spec.host
        const routeSpec = (route as unknown as { spec: pulumi.Output<{ host?: string } | undefined> }).spec;
        externalUrl = routeSpec.apply((s) => s?.host ? `https://${s.host}/data` : "(route host pending)");
    } else if (serviceType === "LoadBalancer") {
        externalUrl = loadBalancerAddress(service)
            .apply((address) => address ? `${httpOrigin(address, ECHO_PORT)}/data` : "(load balancer address pending)");
    } else if (serviceType === "NodePort") {
        externalUrl = service.spec.apply((s) => `http://<node-address>:${s?.ports?.[0]?.nodePort}/data`);
    }
    return { service, endpoint, externalUrl };
}
