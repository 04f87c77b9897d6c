// `clusters`: generator (with its adapter) in one cluster, echo in another. Failure
// domains apart; discovery is explicit: echo reads the generator's external address.
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../config";
import { ImageRefs } from "../images";
import { ClusterSite, EchoEndpoint, echoEndpoint } from "../site";
import { ADAPTER_PORT, loadBalancerAddress } from "../workload";
import { generatorWithAdapter, upstreamEcho } from "./adapter";

export interface ClustersCouplingArgs {
    config: AppConfig;
    images: ImageRefs;
}

export class ClustersCoupling extends pulumi.ComponentResource {
    readonly generatorSite: ClusterSite;
    readonly echoSite: ClusterSite;
    readonly echo: EchoEndpoint;
    /** The generator's externally reachable base URL that echo reads. */
    readonly generatorUrl: pulumi.Output<string>;

    constructor(name: string, args: ClustersCouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Clusters", name, {}, opts);
        const { config, images } = args;
        const clusters = config.clusters!; // validated present for this coupling

        this.generatorSite = new ClusterSite("generator-side",
            { config, target: clusters.generator, renderSubdir: "generator-cluster" }, { parent: this });
        const generator = generatorWithAdapter(config, this.generatorSite, images,
            { serviceType: "LoadBalancer", adapterClients: { cidrs: clusters.allowFrom } }, this.generatorSite.childOptions());

        this.generatorUrl = clusters.generatorUrl
            ? pulumi.output(clusters.generatorUrl)
            : loadBalancerAddress(generator.service).apply((address) => {
                if (!address) {
                    throw new Error("clusters: the generator Service got no load-balancer address; " +
                        "give one with `pulumi config set --path clusters.generatorUrl http://HOST:8080`");
                }
                return `http://${address}:${ADAPTER_PORT}`;
            });

        this.echoSite = new ClusterSite("echo-side",
            { config, target: clusters.echo, renderSubdir: "echo-cluster" }, { parent: this });
        upstreamEcho(config, this.echoSite, images, this.generatorUrl, this.echoSite.childOptions());
        this.echo = echoEndpoint(this.echoSite);
        this.registerOutputs({ generatorUrl: this.generatorUrl });
    }
}
