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
import { ClaimRecord } from "./couplings/claim";
import { ClusterSite, echoEndpoint } from "./site";
import { ECHO_PORT } from "./vocabulary";

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
    /**
     * The `volume` coupling's claim (name, namespace, access mode, class, size); with
     * `storage.retainOnDelete` carried over from the last run while the claim is retained
     * outside `volume`. Read back next run to refuse changes a claim cannot take.
     */
    claim?: pulumi.Output<ClaimRecord | undefined>;
}

export interface DeployOptions {
    /** Directory with the image sources; tests point it at a temporary copy. */
    imagesDir?: string;
}

/**
 * The stack's own last outputs. A StackReference to the stack being deployed reads its
 * last checkpoint (during preview too), which is what lets a preview compare the config
 * with the claim that exists (the pattern a Pulumi maintainer gives in pulumi/pulumi#3722
 * for "reading an output of a stack back in to the same stack on future updates"). Under
 * the local backend the organization is `organization`. After `pulumi destroy` the stack
 * has no outputs, so the first run after it has nothing to compare with.
 */
function selfReference(config: AppConfig): pulumi.StackReference {
    let org = "organization";
    try {
        org = pulumi.getOrganization();
    } catch { /* test mocks without an organization */ }
    return new pulumi.StackReference("previous-outputs", { name: `${org}/${config.project}/${config.stack}` });
}

export function deployStack(config: AppConfig, options: DeployOptions = {}): StackOutputs {
    const images = new AppImages("images", { config, imagesDir: options.imagesDir });
    const deployedImages = pulumi.output(images.refs) as pulumi.Output<Record<string, string>>;

    // One site, "app", in every coupling: in `clusters` it is the echo side. The namespace,
    // its ServiceAccount and the echo Service keep their URNs whatever the coupling.
    const clusters = config.coupling === "clusters" ? config.clusters! : undefined;
    const site = new ClusterSite("app", {
        config,
        target: clusters ? clusters.echo : { context: config.context },
        renderSubdir: clusters ? "echo-cluster" : undefined,
        mayHoldRetainedClaim: true,
    });
    const echo = echoEndpoint(site);
    const common = {
        coupling: config.coupling,
        namespace: site.namespaceName,
        endpoint: echo.endpoint,
        images: deployedImages,
        externalUrl: echo.externalUrl,
        portForward: site.portForward(echo.service, ECHO_PORT),
    };

    // What the stack last said about its claim: needed to check a `volume` run, and to
    // remember a retained claim while the stack runs another coupling; read only then
    // (a reference to the stack itself is a backend read on every run).
    const previousClaim = config.coupling === "volume" || config.storage.retainOnDelete
        ? selfReference(config).getOutput("claim") as pulumi.Output<ClaimRecord | undefined>
        : undefined;
    const remembered = config.storage.retainOnDelete ? previousClaim : undefined;

    if (config.coupling === "clusters") {
        const coupling = new ClustersCoupling("clusters", { config, images: images.refs, echoSite: site }, { parent: site });
        return { ...common, generatorUrl: coupling.generatorUrl, claim: remembered };
    }

    const Component = SINGLE_CLUSTER[config.coupling];
    const component = new Component(config.coupling, { config, images: images.refs, site, previousClaim },
        { parent: site, providers: { kubernetes: site.provider } });
    return { ...common, claim: component instanceof VolumeCoupling ? component.record : remembered };
}
