// `clusters`: generator (with its adapter) in one cluster, echo in another. Failure
// domains apart; discovery is explicit: echo reads the generator's external address.
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, PRIVATE_RANGES } from "../config";
import { ImageRefs } from "../images";
import { ClusterSite, ImagePlatform, inform, LoadBalancerUse, warn } from "../site";
import { ADAPTER_PORT, httpOrigin, loadBalancerAddress } from "../vocabulary";
import { generatorWithAdapter, upstreamEcho } from "./adapter";

export interface ClustersCouplingArgs {
    config: AppConfig;
    images: ImageRefs;
    /**
     * The echo side: the program's one site ("app"), pointed at `clusters.echo`. Being the
     * same site as in the single-cluster couplings, its namespace and echo Service keep
     * their URNs, so a switch to or from `clusters` with echo in the same cluster updates
     * them in place (and moves them when echo's cluster differs: the provider is replaced).
     */
    echoSite: ClusterSite;
    /** The images' platform, when known: the generator side's pods are pinned to it too. */
    imagePlatform?: ImagePlatform;
}

/** Suffix of the generator side's namespace: never the name the echo side (or a single-cluster coupling) uses. */
export const GENERATOR_NAMESPACE_SUFFIX = "-generator";

/**
 * The generator side's namespace. It differs from `namespace` on purpose: when the
 * generator's cluster is the one a single-cluster coupling used, the old namespace (other
 * URN) is deleted after the new one is created; with the same name the create would find
 * it existing (AlreadyExists), or, adopted, lose it to that delete.
 */
export function generatorNamespace(namespace: string): string {
    return `${namespace.slice(0, 63 - GENERATOR_NAMESPACE_SUFFIX.length).replace(/-+$/, "")}${GENERATOR_NAMESPACE_SUFFIX}`;
}

/**
 * Says at preview who the generator's load balancer admits (README, clusters.allowFrom per
 * load balancer): a warning when that is everyone, a note when it is the default.
 */
function sayWhoIsAdmitted(allowFrom: string[], service: pulumi.Resource): void {
    const open = allowFrom.filter((cidr) => /^(0\.0\.0\.0|::)\/0$/.test(cidr));
    if (open.length) {
        warn(`clusters.allowFrom admits every address (${open.join(", ")}): the generator's load balancer serves its data to ` +
            "anyone who can reach it, the internet included on a public cloud. Name echo's cluster's egress addresses instead: " +
            "`pulumi config set --path 'clusters.allowFrom[0]' <cidr>`", service);
    } else if (allowFrom.length === PRIVATE_RANGES.length && PRIVATE_RANGES.every((r) => allowFrom.includes(r))) {
        inform(`clusters.allowFrom is the default: the generator's load balancer admits private addresses only (${PRIVATE_RANGES.join(", ")}): ` +
            "kind, and clusters in one network. If echo's cluster reaches it over the internet, set clusters.allowFrom to its egress addresses", service);
    }
}

export class ClustersCoupling extends pulumi.ComponentResource {
    readonly generatorSite: ClusterSite;
    readonly echoSite: ClusterSite;
    /** The generator's externally reachable base URL that echo reads. */
    readonly generatorUrl: pulumi.Output<string>;

    constructor(name: string, args: ClustersCouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Clusters", name, {}, opts);
        const { config, images, echoSite } = args;
        const clusters = config.clusters!; // validated present for this coupling
        this.echoSite = echoSite;

        this.generatorSite = new ClusterSite("generator-side", {
            config, target: clusters.generator, renderSubdir: "generator-cluster", namespace: generatorNamespace(config.namespace),
            imagePlatform: args.imagePlatform,
        }, { parent: this });
        // With generatorUrl given the program never reads the address: no await at all.
        const lb: LoadBalancerUse = {
            addressUsed: !clusters.generatorUrl,
            otherWayOut: "give the generator's address with `pulumi config set --path clusters.generatorUrl http://HOST:8080`",
        };
        const generator = generatorWithAdapter(config, this.generatorSite, images,
            { serviceType: "LoadBalancer", adapterClients: { cidrs: clusters.allowFrom }, loadBalancer: lb }, this.generatorSite.childOptions());
        sayWhoIsAdmitted(clusters.allowFrom, generator.service);

        this.generatorUrl = clusters.generatorUrl
            ? pulumi.output(clusters.generatorUrl)
            : loadBalancerAddress(generator.service).apply((address) => {
                if (!address) {
                    throw new Error("clusters: the generator Service got no load-balancer address (on kind, none comes unless " +
                        "cloud-provider-kind runs); run cloud-provider-kind, or give the address with " +
                        "`pulumi config set --path clusters.generatorUrl http://HOST:8080`");
                }
                return httpOrigin(address, ADAPTER_PORT);
            });

        upstreamEcho(config, echoSite, images, this.generatorUrl, echoSite.childOptions(this));
        this.registerOutputs({ generatorUrl: this.generatorUrl });
    }
}
