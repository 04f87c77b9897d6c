// The `volume` coupling's claim across runs: its fixed name, what the stack remembers of
// it (the `claim` stack output, read back through program.ts's selfReference),
// and the changes refused at preview because Kubernetes cannot make them to a claim.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
}

/** The claim's fixed name: found again after a retain, never auto-named. */
export function claimName(config: AppConfig): string {
    return config.storage.claimName ?? fixedName(config, "data");
}

export class ClaimChangeError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ClaimChangeError";
    }
}

/**
 * Refuse what would lose the data or fail at the API server with a raw error:
 * - access mode or storage class: the provider replaces a claim when either changes
 *   (provider/pkg/provider/diff.go, forceNew for core/v1 PersistentVolumeClaim:
 *   .spec.accessModes, .spec.storageClassName, .spec.selector, .spec.volumeName); with a
 *   fixed name it deletes before it creates (provider.go Diff: deleteBeforeReplace for a
 *   non-autonamed object keeping its name), and the data is gone. A size change is an
 *   in-place update there, which the API server accepts only as described next;
 * - a smaller size: the API server refuses to shrink a claim;
 * - a larger size on a class without `allowVolumeExpansion`: the API server refuses it.
 * `expandable` is the class's allowVolumeExpansion, read only when the size grows.
 */
export function checkClaimChange(previous: ClaimRecord | undefined, next: Omit<ClaimRecord, "storageClass"> & { storageClass?: string },
    expandable?: boolean): void {
    if (!previous || previous.name !== next.name || previous.namespace !== next.namespace) return;
    const where = `${previous.namespace}/${previous.name}`;
    const deliberately = "To proceed deliberately, either set it back, or give the new claim a name of its own with " +
        "`pulumi config set --path storage.claimName <new-name>`: the old claim and its data stay as they are " +
        `(copy what you need, then \`kubectl -n ${previous.namespace} delete pvc ${previous.name}\`).`;
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
            `the API server would refuse it. Set it back to ${previous.size}, or move the data to a new claim ` +
            "(`pulumi config set --path storage.claimName <new-name>` with the new size).");
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

