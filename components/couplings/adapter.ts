// The generator pod of the loose couplings (`service`, `clusters`): generator plus an
// adapter sidecar — the echo image in file mode — serving the generator's file over HTTP
// behind a Service, and NetworkPolicies that let only the intended clients in.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../config";
import { ImageRefs } from "../images";
import { ClusterSite, loadBalancerAnnotations, LoadBalancerUse, warnLoadBalancerWait } from "../site";
import { ADAPTER_PORT, ECHO_PORT, echoSelector, recommendedLabels, selectorLabels } from "../vocabulary";
import { DATA_DIR, echoCacheVolume, echoContainer, emptyDirDataVolume, generatorContainer, workloadDeployment } from "../workload";
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
                // Callers are filtered where their address is still known: at the load
                // balancer (AWS and GCP firewall rules / security groups, Azure's NSG,
                // cloud-provider-kind's Envoy filter chain) and, for traffic that reaches a
                // node addressed to the load balancer's IP, by kube-proxy. Behind a proxying
                // load balancer the pod only ever sees the proxy's or a node's address, so
                // nothing past the load balancer can filter by caller (see the policy below).
                loadBalancerSourceRanges: clients.cidrs,
                externalTrafficPolicy: "Cluster",
            } : {}),
        },
    }, opts);
    if (lb) warnLoadBalancerWait(site, service, "The generator Service (the address echo reads)", lb);

    new k8s.networking.v1.NetworkPolicy("adapter-ingress", {
        metadata: { namespace: site.namespaceName, labels: recommendedLabels(config, "generator") },
        spec: {
            podSelector: { matchLabels: selectorLabels(config, "generator") },
            policyTypes: ["Ingress"],
            // In one cluster: echo's pods only. Across clusters the adapter port is open to
            // whatever the load balancer lets through: an ipBlock of the callers' ranges
            // would see a proxy's or a node's address instead of theirs ("may be the IP of a
            // LoadBalancer or of the Pod's node", Kubernetes NetworkPolicy documentation) and
            // cut echo off behind an AWS Classic ELB, an NLB in instance mode or
            // cloud-provider-kind. Every other port stays closed.
            ingress: [{
                ...(clients === "echo-pods" ? { from: [{ podSelector: { matchLabels: selectorLabels(config, "echo") } }] } : {}),
                ports: [{ port: ADAPTER_PORT, protocol: "TCP" }],
            }],
        },
    }, opts);
    return { deployment, service };
}

/**
 * The echo side of the loose couplings: echo in upstream mode (no data volume: it reads the
 * adapter's URL, keeping its copy on the cache volume), and a NetworkPolicy opening echo's port to all
 * and nothing else on echo pods.
 */
export function upstreamEcho(config: AppConfig, site: ClusterSite, images: ImageRefs, upstreamUrl: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
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
        volumes: [echoCacheVolume(config)],
        replicas: config.echoReplicas,
        servesEcho: true,
        rollout: "zero-downtime",
        spreadOverNodes: true,
    }, opts);
}
