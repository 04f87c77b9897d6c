// `service`: generator's pod gets an adapter sidecar serving its file behind a Service;
// echo reads that URL instead of a file. Fully independent; the price is an adapter and
// a network hop.
import * as pulumi from "@pulumi/pulumi";
import { ADAPTER_PORT, serviceUrl } from "../vocabulary";
import { generatorWithAdapter, upstreamEcho } from "./adapter";
import { CouplingArgs } from "./types";

export class ServiceCoupling extends pulumi.ComponentResource {
    /** The URL echo reads, built from the generator Service's real name and namespace. */
    readonly upstreamUrl: pulumi.Output<string>;

    constructor(name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Service", name, {}, opts);
        const { config, site, images } = args;
        const child = site.childOptions(this);

        const generator = generatorWithAdapter(config, site, images,
            { serviceType: "ClusterIP", adapterClients: "echo-pods" }, child);
        this.upstreamUrl = serviceUrl(generator.service, ADAPTER_PORT);
        upstreamEcho(config, site, images, this.upstreamUrl, child);
        this.registerOutputs({ upstreamUrl: this.upstreamUrl });
    }
}
