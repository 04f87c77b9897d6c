// `volume`: two Deployments sharing a PersistentVolumeClaim — generator the single
// writer, echo read-only. Independent rollouts and scaling; the data outlives the pods.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    DATA_DIR, DATA_VOLUME, echoContainer, echoDisruptionBudget, generatorContainer, selectorLabels, workloadDeployment,
} from "../workload";
import { CouplingArgs, imageRef } from "./types";

export class VolumeCoupling extends pulumi.ComponentResource {
    readonly claim: k8s.core.v1.PersistentVolumeClaim;

    constructor(name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Volume", name, {}, opts);
        const { config, site } = args;
        const { storage } = config;
        const child = site.childOptions(this);

        this.claim = new k8s.core.v1.PersistentVolumeClaim("data", {
            metadata: { namespace: site.namespaceName, labels: selectorLabels(config, "data") },
            spec: {
                accessModes: [storage.accessMode],
                storageClassName: storage.storageClass,
                resources: { requests: { storage: storage.size } },
            },
        }, { ...child, retainOnDelete: storage.retainOnDelete });
        const claimVolume = (readOnly: boolean) =>
            ({ name: DATA_VOLUME, persistentVolumeClaim: { claimName: this.claim.metadata.name, readOnly } });

        workloadDeployment("generator", {
            config, site,
            component: "generator",
            containers: [generatorContainer(config, imageRef(args.images, "generator"))],
            volumes: [claimVolume(false)],
            replicas: 1, // a single writer: two generators would interleave and race on the rename
            servesEcho: false,
            rollout: "recreate",
        }, child);

        workloadDeployment("echo", {
            config, site,
            component: "echo",
            containers: [echoContainer(config, "echo", imageRef(args.images, "echo"), { dataDir: DATA_DIR })],
            volumes: [claimVolume(true)],
            replicas: config.echoReplicas,
            servesEcho: true,
            rollout: "zero-downtime",
            // ReadWriteMany: echo replicas may spread over nodes
            spreadOverNodes: storage.accessMode === "ReadWriteMany",
            // A ReadWriteOnce volume attaches to one node: echo must run where generator runs.
            affinity: storage.accessMode === "ReadWriteOnce" ? {
                podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [{
                        labelSelector: { matchLabels: selectorLabels(config, "generator") },
                        topologyKey: "kubernetes.io/hostname",
                    }],
                },
            } : undefined,
        }, child);
        echoDisruptionBudget(config, site, child);
        this.registerOutputs({ claim: this.claim.metadata.name });
    }
}
