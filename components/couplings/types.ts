import * as pulumi from "@pulumi/pulumi";
import { AppConfig, ImageName } from "../config";
import { ImageRefs } from "../images";
import { ClusterSite } from "../site";
import type { ClaimRecord } from "./claim";

/** What every single-cluster coupling component is given. */
export interface CouplingArgs {
    config: AppConfig;
    images: ImageRefs;
    /** The cluster, namespace and identity to deploy into. */
    site: ClusterSite;
    /** The `claim` this stack exported last time (see claim.ts), when it may matter. */
    previousClaim?: pulumi.Output<ClaimRecord | undefined>;
}

/** The image reference for `name`; the images component built it because the coupling needs it. */
export function imageRef(images: ImageRefs, name: ImageName): pulumi.Output<string> {
    const ref = images[name];
    if (!ref) throw new Error(`internal: image "${name}" was not built for this coupling`);
    return ref;
}
