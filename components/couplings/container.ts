// `container`: one image holding both programs, one container running both.
// Co-located for certain; any change rebuilds the one image, health is per container.
import * as pulumi from "@pulumi/pulumi";
import { appContainer, emptyDirDataVolume, workloadDeployment } from "../workload";
import { CouplingArgs, imageRef } from "./types";

export class ContainerCoupling extends pulumi.ComponentResource {
    constructor(name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Container", name, {}, opts);
        const { config, site } = args;
        workloadDeployment("app", {
            config, site,
            component: "app",
            containers: [appContainer(config, imageRef(args.images, "app"))],
            volumes: [emptyDirDataVolume(config)],
            servesEcho: true,
            rollout: "zero-downtime",
        }, site.childOptions(this));
        this.registerOutputs({});
    }
}
