// The whole program as one function, so tests evaluate every coupling in one process
// (index.ts only calls this with the stack's config and exports the result).
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, Coupling } from "./config";
import { AppImages } from "./images";
import { ClustersCoupling } from "./couplings/clusters";
import { ContainerCoupling } from "./couplings/container";
import { PodCoupling } from "./couplings/pod";
import { ServiceCoupling } from "./couplings/service";
import { CouplingArgs } from "./couplings/types";
import { VolumeCoupling } from "./couplings/volume";
import { ClusterSite, echoEndpoint } from "./site";
import { ECHO_PORT } from "./workload";

type SingleClusterCoupling = Exclude<Coupling, "clusters">;

/** One component per coupling; all but `clusters` deploy into one cluster. */
const SINGLE_CLUSTER: Record<SingleClusterCoupling,
    new (name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) => pulumi.ComponentResource> = {
    container: ContainerCoupling,
    pod: PodCoupling,
    volume: VolumeCoupling,
    service: ServiceCoupling,
};

export interface StackOutputs {
    coupling: Coupling;
    namespace: pulumi.Output<string>;
    /** echo's `/data` inside the cluster. */
    endpoint: pulumi.Output<string>;
    /** Image name -> the digest-pinned reference deployed. */
    images: pulumi.Output<Record<string, string>>;
    /** echo's `/data` from outside, where the echo Service is exposed. */
    externalUrl?: pulumi.Output<string>;
    /** A command that makes echo reachable on localhost:8000. */
    portForward: pulumi.Output<string>;
    /** `clusters` only: the generator URL echo reads. */
    generatorUrl?: pulumi.Output<string>;
}

export interface DeployOptions {
    /** Directory with the image sources; tests point it at a temporary copy. */
    imagesDir?: string;
}

export function deployStack(config: AppConfig, options: DeployOptions = {}): StackOutputs {
    const images = new AppImages("images", { config, imagesDir: options.imagesDir });
    const deployedImages = pulumi.output(images.refs) as pulumi.Output<Record<string, string>>;

    if (config.coupling === "clusters") {
        const clusters = new ClustersCoupling("clusters", { config, images: images.refs });
        return {
            coupling: config.coupling,
            namespace: clusters.echoSite.namespaceName,
            endpoint: clusters.echo.endpoint,
            images: deployedImages,
            externalUrl: clusters.echo.externalUrl,
            portForward: clusters.echoSite.portForward(clusters.echo.service, ECHO_PORT),
            generatorUrl: clusters.generatorUrl,
        };
    }

    const site = new ClusterSite("app", { config, target: { context: config.context } });
    const Component = SINGLE_CLUSTER[config.coupling];
    new Component(config.coupling, { config, images: images.refs, site }, { parent: site, providers: { kubernetes: site.provider } });
    const echo = echoEndpoint(site);
    return {
        coupling: config.coupling,
        namespace: site.namespaceName,
        endpoint: echo.endpoint,
        images: deployedImages,
        externalUrl: echo.externalUrl,
        portForward: site.portForward(echo.service, ECHO_PORT),
    };
}
