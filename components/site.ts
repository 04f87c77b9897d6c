// One cluster the program deploys into: its provider, the namespace the program owns
// (Pod Security "restricted" enforced), the workloads' ServiceAccount and pull secret,
// and the echo endpoint (Service, and an OpenShift Route when exposed).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { AppConfig, ClusterTarget } from "./config";
import { ECHO_PORT, echoSelector, loadBalancerAddress, serviceUrl } from "./workload";

export interface ClusterSiteArgs {
    config: AppConfig;
    /** Unset = the kubeconfig's current context. */
    target?: Partial<ClusterTarget>;
    /** Subdirectory of `renderYamlTo` for this cluster's manifests (two clusters, two dirs). */
    renderSubdir?: string;
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

    constructor(name: string, args: ClusterSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:index:Cluster", name, {}, opts);
        const { config } = args;
        this.config = config;
        this.target = args.target ?? {};
        this.provider = new k8s.Provider(name, {
            context: args.target?.context,
            kubeconfig: args.target?.kubeconfig,
            renderYamlToDirectory: config.renderYamlTo && path.join(config.renderYamlTo, args.renderSubdir ?? ""),
        }, { parent: this });
        const child = this.childOptions();

        this.namespace = new k8s.core.v1.Namespace(name, {
            metadata: {
                name: config.namespace,
                labels: {
                    "app.kubernetes.io/name": config.project,
                    "app.kubernetes.io/instance": config.stack,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            },
        }, child);
        this.namespaceName = this.namespace.metadata.name;

        // The credentials are for the registry pushed to; pods pulling from elsewhere
        // (pullRegistry) must keep that registry's own means (on OpenShift, the service
        // account's token, which is only injected into pods that name no pull secret).
        if (config.registryAuth && !config.pullRegistry) {
            const { server, username, password } = config.registryAuth;
            const pullSecret = new k8s.core.v1.Secret(`${name}-registry-pull`, {
                metadata: { namespace: this.namespaceName },
                type: "kubernetes.io/dockerconfigjson",
                // built inside the secret's apply, so the password is never a plain value
                stringData: { ".dockerconfigjson": pulumi.secret(password.apply((pw) => dockerConfigJson(server, username, pw))) },
            }, child);
            this.imagePullSecrets = pulumi.output([{ name: pullSecret.metadata.name }]);
        }

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-workload`, {
            metadata: { namespace: this.namespaceName },
            // the programs never talk to the API server
            automountServiceAccountToken: false,
            imagePullSecrets: this.imagePullSecrets,
        }, child);
        this.serviceAccountName = serviceAccount.metadata.name;
        this.registerOutputs({ namespace: this.namespaceName });
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

export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
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
    const service = new k8s.core.v1.Service("echo", {
        metadata: { namespace: site.namespaceName, labels: echoSelector(config) },
        spec: {
            type: serviceType,
            selector: echoSelector(config),
            ports: [{ name: "http", port: ECHO_PORT, targetPort: "http", protocol: "TCP" }],
        },
    }, site.childOptions());
    const endpoint = pulumi.interpolate`${serviceUrl(service, ECHO_PORT)}/data`;

    let externalUrl: pulumi.Output<string> | undefined;
    if (exposed && config.openshift) {
        const route = new k8s.apiextensions.CustomResource("echo", {
            apiVersion: "route.openshift.io/v1",
            kind: "Route",
            metadata: { namespace: site.namespaceName, labels: echoSelector(config) },
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
            .apply((address) => address ? `http://${address}:${ECHO_PORT}/data` : "(load balancer address pending)");
    } else if (serviceType === "NodePort") {
        externalUrl = service.spec.apply((s) => `http://<node-address>:${s?.ports?.[0]?.nodePort}/data`);
    }
    return { service, endpoint, externalUrl };
}
