// The generator pod of the loose couplings (`service`, `clusters`): generator plus an
// adapter sidecar — the echo image in file mode — serving the generator's file over HTTP
// behind a Service, and NetworkPolicies that let only the intended clients in.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../config";
import { ImageRefs } from "../images";
import { ClusterSite, loadBalancerAnnotations, LoadBalancerUse, warnLoadBalancerWait } from "../site";
import { ADAPTER_PORT, ECHO_PORT, echoSelector, recommendedLabels, selectorLabels } from "../vocabulary";
import { DATA_DIR, echoContainer, echoDisruptionBudget, emptyDirDataVolume, generatorContainer, workloadDeployment } from "../workload";
import { imageRef } from "./types";

export interface GeneratorWithAdapter {
    deployment: k8s.apps.v1.Deployment;
    service: k8s.core.v1.Service;
}

/**
 * Who may reach the adapter: echo pods in the same namespace, or (across clusters, where
 * echo's pods are not selectable) callers from these address ranges.
 */
export type AdapterClients = "echo-pods" | { cidrs: string[] };

export function generatorWithAdapter(config: AppConfig, site: ClusterSite, images: ImageRefs,
    expose: { serviceType: "ClusterIP" | "LoadBalancer"; adapterClients: AdapterClients; loadBalancer?: LoadBalancerUse },
    opts: pulumi.CustomResourceOptions): GeneratorWithAdapter {
    const clients = expose.adapterClients;
    const deployment = workloadDeployment("generator", {
        config, site,
        component: "generator",
        containers: [
            generatorContainer(config, imageRef(images, "generator")),
            echoContainer(config, "adapter", imageRef(images, "echo"), { dataDir: DATA_DIR }),
        ],
        volumes: [emptyDirDataVolume(config)],
        replicas: 1, // one source of truth: two adapters would serve two different files
        servesEcho: false,
        rollout: "recreate",
    }, opts);

    const lb = expose.serviceType === "LoadBalancer" ? expose.loadBalancer ?? { addressUsed: true, otherWayOut: "expose it otherwise" } : undefined;
    const service = new k8s.core.v1.Service("generator", {
        metadata: {
            namespace: site.namespaceName,
            labels: recommendedLabels(config, "generator"),
            ...(lb ? { annotations: loadBalancerAnnotations(site.target, lb) } : {}),
        },
        spec: {
            type: expose.serviceType,
            // taken from the Deployment itself, so the Service always selects its pods
            selector: deployment.spec.selector.matchLabels,
            ports: [{ name: "http", port: ADAPTER_PORT, targetPort: "http", protocol: "TCP" }],
            ...(expose.serviceType === "LoadBalancer" && clients !== "echo-pods" ? {
                // the load balancer filters callers, and Local keeps their source address
                // visible to the NetworkPolicy below (no SNAT to a node address)
                loadBalancerSourceRanges: clients.cidrs,
                externalTrafficPolicy: "Local",
            } : {}),
        },
    }, opts);
    if (lb) warnLoadBalancerWait(site, service, "The generator Service (the address echo reads)", lb);

    new k8s.networking.v1.NetworkPolicy("adapter-ingress", {
        metadata: { namespace: site.namespaceName, labels: recommendedLabels(config, "generator") },
        spec: {
            podSelector: { matchLabels: selectorLabels(config, "generator") },
            policyTypes: ["Ingress"],
            ingress: [{
                from: clients === "echo-pods"
                    ? [{ podSelector: { matchLabels: selectorLabels(config, "echo") } }]
                    : clients.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ports: [{ port: ADAPTER_PORT, protocol: "TCP" }],
            }],
        },
    }, opts);
    return { deployment, service };
}

/**
 * The echo side of the loose couplings: echo in upstream mode (no data volume, reads the
 * adapter's URL), its disruption budget, and a NetworkPolicy opening echo's port to all
 * and nothing else on echo pods.
 */
export function upstreamEcho(config: AppConfig, site: ClusterSite, images: ImageRefs, upstreamUrl: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
    echoDisruptionBudget(config, site, opts);
    new k8s.networking.v1.NetworkPolicy("echo-ingress", {
        metadata: { namespace: site.namespaceName, labels: recommendedLabels(config, "echo") },
        spec: {
            podSelector: { matchLabels: echoSelector(config) },
            policyTypes: ["Ingress"],
            ingress: [{ ports: [{ port: ECHO_PORT, protocol: "TCP" }] }],
        },
    }, opts);
    return workloadDeployment("echo", {
        config, site,
        component: "echo",
        containers: [echoContainer(config, "echo", imageRef(images, "echo"), { upstreamUrl })],
        replicas: config.echoReplicas,
        servesEcho: true,
        rollout: "zero-downtime",
        spreadOverNodes: true,
    }, opts);
}
