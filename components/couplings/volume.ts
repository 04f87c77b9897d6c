// `volume`: two Deployments sharing a PersistentVolumeClaim — generator the single
// writer, echo read-only. Independent rollouts and scaling; the data outlives the pods.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterFacts } from "../cluster-read";
import { adoptableAnnotations, warn } from "../site";
import { CLAIM_USER_LABEL, labelValue, recommendedLabels } from "../vocabulary";
import { DATA_DIR, DATA_VOLUME, echoContainer, generatorContainer, workloadDeployment } from "../workload";
import { checkClaimChange, checkClaimProvisioning, ClaimRecord, claimName, classExpands } from "./claim";
import { CouplingArgs, imageRef } from "./types";
import { quantity } from "../config";

/**
 * No provider await on a claim that may be adopted. The provider's claim await
 * (provider/pkg/await/awaiters.go, untilCoreV1PersistentVolumeClaimReady) waits for
 * `Pending` when the claim's class binds WaitForFirstConsumer (kind's `standard`, EKS gp2/gp3,
 * GKE standard-rwo) and for `Bound` otherwise; a retained claim coming back (volume -> pod
 * -> volume, destroy -> up) is adopted already `Bound`, so it waited 5 minutes and failed.
 * The Deployments' await still waits for the pods that mount it to be Ready, which needs it bound.
 */
function claimAwait(mayBeAdopted: boolean): Record<string, string> {
    return mayBeAdopted ? { "pulumi.com/skipAwait": "true" } : {};
}

export class VolumeCoupling extends pulumi.ComponentResource {
    readonly claim: k8s.core.v1.PersistentVolumeClaim;
    /** What the stack exports as `claim`, to compare with on the next run. */
    readonly record: pulumi.Output<ClaimRecord>;

    constructor(name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Volume", name, {}, opts);
        const { config, site } = args;
        const { storage } = config;
        const child = site.childOptions(this);
        const next = {
            name: claimName(config), namespace: config.namespace,
            accessMode: storage.accessMode, storageClass: storage.storageClass, size: storage.size,
        };

        // Checked before the claim is registered (its size waits on the verdict), so a
        // refused change fails the preview and touches nothing of the claim.
        const previous = args.previousClaim ?? pulumi.output(undefined);
        const rendering = config.renderYamlTo !== undefined;
        const size: pulumi.Output<string> = previous.apply((prev): pulumi.Output<string> => {
            const sameClaim = !!prev && prev.name === next.name && prev.namespace === next.namespace;
            if (sameClaim && quantity(next.size) > quantity(prev.size) && prev.storageClass && !rendering) {
                return classExpands(prev.storageClass, { parent: this, provider: site.provider }).apply((expandable) => {
                    checkClaimChange(prev, next, expandable);
                    return next.size;
                });
            }
            checkClaimChange(prev, next);
            // only a claim this stack does not hold yet is checked: a no-op run reads nothing
            if (sameClaim || rendering) return pulumi.output(next.size);
            return pulumi.output(checkClaimProvisioning(clusterFacts(site.target), next, site.clusterName, (m) => warn(m, this))
                .then(() => next.size));
        });

        // A fixed name (DESIGN's exception), so a retained claim is found again: coming back
        // to `volume` creates "the same" claim, which the provider adopts (its
        // upsertExistingObjects, set on this site's provider with retainOnDelete) instead of
        // failing with AlreadyExists, and the pods mount the old data.
        this.claim = new k8s.core.v1.PersistentVolumeClaim("data", {
            metadata: {
                name: next.name,
                namespace: site.namespaceName,
                labels: recommendedLabels(config, "data"),
                // the same field manager in every lifetime of the claim; when retained, ours win
                annotations: { ...adoptableAnnotations(config, storage.retainOnDelete), ...claimAwait(storage.retainOnDelete) },
            },
            spec: {
                accessModes: [storage.accessMode],
                storageClassName: storage.storageClass,
                resources: { requests: { storage: size } },
            },
        }, { ...child, retainOnDelete: storage.retainOnDelete });
        this.record = pulumi.all([this.claim.metadata, this.claim.spec]).apply(([metadata, spec]) => ({
            name: metadata.name, namespace: metadata.namespace ?? next.namespace,
            accessMode: storage.accessMode, storageClass: spec.storageClassName ?? null, size: storage.size,
            retained: storage.retainOnDelete,
        }));
        const claimVolume = (readOnly: boolean) =>
            ({ name: DATA_VOLUME, persistentVolumeClaim: { claimName: this.claim.metadata.name, readOnly } });

        // ReadWriteOnce: the volume attaches to one node, so every pod mounting it must run
        // there, on every reschedule — not only echo after the generator. All of them carry
        // the claim label and require a node running a pod with it: the first one scheduled
        // (after a drain, all are pending) may go anywhere, as it matches its own term, and
        // the rest follow it; a generator replaced by its Recreate rollout goes back to the
        // node where echo (and so the volume) still is. ReadWriteMany needs none of this.
        // The scheduler's rule (kubernetes pkg/scheduler/framework/plugins/interpodaffinity/
        // filtering.go, satisfyPodAffinity): a node passes if it runs a pod matching the term,
        // or if no pod anywhere matches it and the incoming pod matches its own terms — so
        // after a drain, replacements wait until every old claim user is gone (its volume
        // detached), then the first goes anywhere and the rest follow.
        const rwo = storage.accessMode === "ReadWriteOnce";
        const claimUser = { [CLAIM_USER_LABEL]: labelValue(next.name) };
        const together = rwo ? {
            extraPodLabels: claimUser,
            affinity: {
                podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [{
                        labelSelector: { matchLabels: claimUser },
                        topologyKey: "kubernetes.io/hostname",
                    }],
                },
            },
        } : {};

        workloadDeployment("generator", {
            config, site,
            component: "generator",
            containers: [generatorContainer(config, imageRef(args.images, "generator"))],
            volumes: [claimVolume(false)],
            replicas: 1, // a single writer: two generators would interleave and race on the rename
            servesEcho: false,
            rollout: "recreate",
            ...together,
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
            spreadOverNodes: !rwo,
            ...together,
        }, child);
        // echo's disruption budget is the site's (program.ts): with ReadWriteOnce there is
        // none, as every echo pod is on one node (echoBudgetWanted in workload.ts).
        this.registerOutputs({ claim: this.claim.metadata.name });
    }
}
