// The `volume` coupling's claim across runs: its fixed name, what the stack remembers of
// it (the `claim` stack output, read back through program.ts's selfReference), the
// changes refused at preview because Kubernetes cannot make them to a claim or because
// they would delete it, and the check that a new claim will be provisioned at all.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterFacts, readFailure } from "../cluster-read";
import { AppConfig, quantity } from "../config";
import { fixedName } from "../site";

/** What the stack exports about its claim, and reads back on the next run. */
export interface ClaimRecord {
    name: string;
    namespace: string;
    accessMode: string;
    /** The class the claim got (the API server fills in the default class); null = none known. */
    storageClass: string | null;
    size: string;
    /**
     * Whether the claim's Pulumi resource was registered with retainOnDelete on that run:
     * what the engine honours when the claim is deleted or replaced next (pulumi/pulumi
     * pkg/resource/deploy/step.go, DeleteStep.Apply: `else if s.old.RetainOnDelete`, the
     * *old* state's flag, also for the delete half of a replacement). Absent in records
     * from before this field existed: not known to be retained.
     */
    retained?: boolean;
}

/** The claim's fixed name: found again after a retain, never auto-named. */
export function claimName(config: AppConfig): string {
    return config.storage.claimName ?? fixedName(config, "data");
}

/** A RunError: the engine prints its message alone, without a stack trace. */
export class ClaimChangeError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ClaimChangeError";
    }
}

/** How to proceed to a new claim while keeping the old one and its data (README, `volume`). */
function newClaimSteps(where: string, namespace: string, name: string): string {
    return "To move to a new claim and keep this one: `pulumi config set --path storage.retainOnDelete true` and " +
        "`pulumi up` (the claim is then retained), then set `storage.claimName <new-name>` (with the new access mode, " +
        `class or size) and \`pulumi up\` again: the old claim ${where} and its data stay in the cluster, no longer managed ` +
        `(copy what you need, then \`kubectl -n ${namespace} delete pvc ${name}\`).`;
}

/**
 * Refuse what would lose the data or fail at the API server with a raw error:
 * - a new name or namespace for the claim while the claim is not retained: the provider
 *   replaces a claim whose name or namespace changes (provider/pkg/provider/diff.go,
 *   metadataForceNewProperties: .metadata.name, .metadata.namespace), creating the new one
 *   before deleting the old, and the engine skips that delete only when the claim's state
 *   says retainOnDelete (see ClaimRecord.retained) — the flag of the run before, so setting
 *   it in the same run as the rename is too late;
 * - access mode or storage class: the provider replaces a claim when either changes
 *   (diff.go, forceNew for core/v1 PersistentVolumeClaim: .spec.accessModes,
 *   .spec.storageClassName, .spec.selector, .spec.volumeName); with a fixed name it deletes
 *   before it creates (provider.go Diff: deleteBeforeReplace for a non-autonamed object
 *   keeping its name), and the data is gone. A size change is an in-place update there,
 *   which the API server accepts only as described next;
 * - a smaller size: the API server refuses to shrink a claim;
 * - a larger size on a class without `allowVolumeExpansion`: the API server refuses it.
 * `expandable` is the class's allowVolumeExpansion, read only when the size grows.
 */
export function checkClaimChange(previous: ClaimRecord | undefined, next: Omit<ClaimRecord, "storageClass"> & { storageClass?: string },
    expandable?: boolean): void {
    if (!previous) return;
    const where = `${previous.namespace}/${previous.name}`;
    if (previous.name !== next.name || previous.namespace !== next.namespace) {
        if (previous.retained === true) return; // replaced; the old claim is left in place (retained)
        const key = previous.name !== next.name ? "storage.claimName" : "namespace";
        const why = previous.retained === false ? "storage.retainOnDelete was not true on the stack's last run"
            : "the stack's last run did not record it; a `pulumi up` without the rename records it";
        throw new ClaimChangeError(`${key}: the claim ${where} holds this stack's data and is not retained ` +
            `(${why}), so moving to ${next.namespace}/${next.name} ` +
            `would delete it: Pulumi replaces a claim whose name or namespace changes, and deletes the old one. Refused. ` +
            `${newClaimSteps(where, previous.namespace, previous.name)} Or set ${key} back.`);
    }
    const deliberately = `To proceed deliberately, either set it back, or move the data to a claim of its own. ${newClaimSteps(where, previous.namespace, previous.name)}`;
    if (previous.accessMode !== next.accessMode) {
        throw new ClaimChangeError(`storage.accessMode: the claim ${where} holding this stack's data is ${previous.accessMode}; ` +
            `Kubernetes cannot change a claim's access mode, so ${next.accessMode} would replace it with a new, empty claim ` +
            `(its data deleted with the old one). Refused. ${deliberately}`);
    }
    if (next.storageClass !== undefined && previous.storageClass !== null && previous.storageClass !== next.storageClass) {
        throw new ClaimChangeError(`storage.storageClass: the claim ${where} holding this stack's data is of class ` +
            `${previous.storageClass}; Kubernetes cannot change a claim's class, so ${next.storageClass} would replace it with a ` +
            `new, empty claim. Refused. ${deliberately}`);
    }
    const [before, after] = [quantity(previous.size), quantity(next.size)];
    if (after < before) {
        throw new ClaimChangeError(`storage.size: the claim ${where} has ${previous.size}; a claim can only grow, ` +
            `so ${next.size} is refused. Set it back to ${previous.size} or more.`);
    }
    if (after > before && expandable === false) {
        throw new ClaimChangeError(`storage.size: growing the claim ${where} from ${previous.size} to ${next.size} needs a ` +
            `storage class with allowVolumeExpansion, and class ${previous.storageClass ?? "(the default)"} has none: ` +
            `the API server would refuse it. Set it back to ${previous.size}, or move the data to a claim of its own. ` +
            newClaimSteps(where, previous.namespace, previous.name));
    }
}

/**
 * Whether the class lets claims grow, read from the cluster. Only the class's own
 * `allowVolumeExpansion` says so; a CSI driver may still refuse later (not detectable here).
 */
export function classExpands(className: string, opts: pulumi.CustomResourceOptions): pulumi.Output<boolean> {
    const storageClass = k8s.storage.v1.StorageClass.get("data-class", className, opts);
    return storageClass.allowVolumeExpansion.apply((allowed) => allowed === true);
}

/**
 * A claim this stack is about to create must have a class that provisions it. The claim
 * await of the provider (provider/pkg/await/awaiters.go, untilCoreV1PersistentVolumeClaim-
 * Ready) otherwise waits its full 5 minutes for a binding that never comes: a claim naming
 * no class on a cluster with no default class (new EKS clusters since 1.30 mark none; the
 * DefaultStorageClass admission plugin then leaves storageClassName empty, and only a
 * pre-provisioned volume of no class can bind it), or naming a class that does not exist.
 * An existing claim (retained, about to be adopted) is left alone: it has its class.
 * A cluster that cannot be read (offline preview, no `list` on storageclasses) is not
 * checked, with a warning saying so.
 */
export async function checkClaimProvisioning(facts: ClusterFacts | undefined,
    claim: { namespace: string; name: string; storageClass?: string; size: string; accessMode: string },
    clusterName: string, warn: (message: string) => void): Promise<void> {
    if (!facts) return;
    let classes;
    try {
        if (await facts.claimExists(claim.namespace, claim.name)) return;
        classes = await facts.storageClasses();
    } catch (err) {
        warn(`storage.storageClass: could not read the StorageClasses of ${clusterName} (${readFailure(err)}); not checked ` +
            "that a class will provision the claim (the deployer needs `list` on storageclasses and `get` on persistentvolumeclaims)");
        return;
    }
    const listed = classes.length
        ? classes.map((c) => `${c.name} (${c.provisioner}${c.isDefault ? ", default" : ""})`).join(", ")
        : "none";
    if (claim.storageClass !== undefined) {
        if (classes.some((c) => c.name === claim.storageClass)) return;
        throw new ClaimChangeError(`storage.storageClass: ${JSON.stringify(claim.storageClass)} is not a StorageClass of ${clusterName} ` +
            `(it has: ${listed}), so the claim ${claim.namespace}/${claim.name} would stay Pending. Set storage.storageClass to one it ` +
            "has (`pulumi config set --path storage.storageClass <class>`), or create that class first.");
    }
    if (classes.some((c) => c.isDefault)) return;
    // no default class: the claim keeps no class and binds only to a pre-provisioned volume of no class
    try {
        const volumes = await facts.availableClasslessVolumes();
        if (volumes.some((v) => v.accessModes.includes(claim.accessMode) && quantity(v.capacity) >= quantity(claim.size))) return;
    } catch (err) {
        warn(`storage.storageClass: could not read the PersistentVolumes of ${clusterName} (${readFailure(err)}); not checked ` +
            "whether a volume of no class can bind the claim (the deployer needs `list` on persistentvolumes)");
        return;
    }
    throw new ClaimChangeError(`storage.storageClass: unset, and ${clusterName} has no default StorageClass (it has: ${listed}) ` +
        `and no Available volume of no class that fits ${claim.size} ${claim.accessMode}, ` +
        `so the claim ${claim.namespace}/${claim.name} would stay Pending until the provider gives up after 5 minutes. Name a class: ` +
        "`pulumi config set --path storage.storageClass <class>`" + (classes.length ? "" : " (on EKS, install the Amazon EBS CSI driver " +
        "add-on and create a class, e.g. gp3 with provisioner ebs.csi.aws.com)") + ", or mark one as the cluster's default.");
}
