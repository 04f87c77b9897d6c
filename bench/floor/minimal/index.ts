// bench:deploy's floor: what any Pulumi TypeScript program with this project's providers
// pays. It loads both SDKs (@pulumi/docker as the program does: with prebuilt `images`
// the program starts no Docker provider either) and applies one ConfigMap through an
// explicit Kubernetes provider on the stack's kube context.
import "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const provider = new k8s.Provider("cluster", { context: config.require("context"), enableSecretMutable: true });
const map = new k8s.core.v1.ConfigMap("floor", {
    metadata: { namespace: "default" },
    data: { interval: config.get("interval") ?? "2" },
}, { provider });

export const name = map.metadata.name;
