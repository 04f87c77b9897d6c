// The Kubernetes objects an evaluation would apply, each with the cluster (provider) it goes to.
/* eslint-disable @typescript-eslint/no-explicit-any -- objects are untyped property bags */
import { Evaluation, Registered, kubernetesObjects, reveal } from "./evaluate";

export interface KubernetesObject {
    resource: Registered;
    /** The object as the API server would get it (auto-name filled in, secrets unwrapped). */
    object: Record<string, any>;
    /** The Kubernetes provider (= cluster) it goes to. */
    cluster: { provider: string; context?: string; kubeconfig?: string };
}

export function kubernetesObjectsOf(e: Evaluation, secrets: "reveal" | "redact" = "reveal"): KubernetesObject[] {
    const providers = new Map(e.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => [r.urn, r]));
    return kubernetesObjects(e).map(({ resource, object }) => {
        const provider = resource.providerUrn ? providers.get(resource.providerUrn) : undefined;
        return {
            resource,
            object: reveal(object, secrets) as Record<string, any>,
            cluster: {
                provider: provider?.name ?? "default",
                context: provider?.inputs.context || undefined,
                kubeconfig: provider?.inputs.kubeconfig || undefined,
            },
        };
    });
}
