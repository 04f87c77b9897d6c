// The names the program's parts agree on: ports, labels, selectors and the addresses of
// Services. Written once here, below both the cluster site and the workload specs, so each
// of them imports it and neither imports the other's vocabulary.
import * as crypto from "crypto";
import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "./config";

export const ECHO_PORT = 8000;
export const ADAPTER_PORT = 8080;

/** Pods whose containers serve echo on ECHO_PORT carry this label; the echo Service selects it. */
export const SERVES_ECHO_LABEL = "app-coupling/serves-echo";

export function selectorLabels(config: AppConfig, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": config.project,
        "app.kubernetes.io/instance": config.stack,
        "app.kubernetes.io/component": component,
    };
}

/**
 * The recommended `app.kubernetes.io/` labels every object carries (DESIGN: name,
 * instance, component, part-of, managed-by). Selectors use the narrower selectorLabels.
 */
export function recommendedLabels(config: AppConfig, component: string): Record<string, string> {
    return {
        ...selectorLabels(config, component),
        "app.kubernetes.io/part-of": config.project,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/**
 * Pods mounting a ReadWriteOnce claim carry this label (value: the claim's name) and a
 * required pod affinity to it: whichever of them is scheduled first picks the node (the
 * scheduler lets a pod that matches its own affinity term go first), every other one
 * follows it there, on every reschedule.
 */
export const CLAIM_USER_LABEL = "app-coupling/claim";

/** A label value (at most 63 characters) naming `name`: the name itself, or its start and a hash. */
export function labelValue(name: string): string {
    if (name.length <= 63) return name;
    const hash = crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
    return `${name.slice(0, 54).replace(/[^a-zA-Z0-9]+$/, "")}-${hash}`;
}

/** The echo Service's selector: the same in every coupling, so switching keeps the endpoint. */
export function echoSelector(config: AppConfig): Record<string, string> {
    return {
        "app.kubernetes.io/name": config.project,
        "app.kubernetes.io/instance": config.stack,
        [SERVES_ECHO_LABEL]: "true",
    };
}

/**
 * In-cluster URL of a Service port: `<service>.<namespace>.svc`, resolved through the pod's
 * DNS search path (`<namespace>.svc.<cluster-domain>`), so it works whatever the cluster
 * domain is (never hard-code `cluster.local`).
 */
export function serviceUrl(service: k8s.core.v1.Service, port: number): pulumi.Output<string> {
    return pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc:${port}`;
}

/**
 * `http://HOST:PORT` as the WHATWG URL standard writes it (Node's URL): an IPv6 address in
 * brackets (`fd00::1` -> `http://[fd00::1]:8080`), a host name lower-cased. A load balancer's
 * `status.loadBalancer.ingress[].ip` is a bare address, IPv6 on single-stack IPv6 clusters.
 */
export function httpOrigin(host: string, port: number): string {
    return new URL(`http://${net.isIPv6(host) ? `[${host}]` : host}:${port}`).origin;
}

/** The address a LoadBalancer Service got (host name or IP), once it has one. */
export function loadBalancerAddress(service: k8s.core.v1.Service): pulumi.Output<string | undefined> {
    return service.status.apply((status) => {
        const ingress = status?.loadBalancer?.ingress?.[0];
        return ingress?.hostname ?? ingress?.ip;
    });
}
