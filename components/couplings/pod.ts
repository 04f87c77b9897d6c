// `pod`: one pod, a generator container and an echo container sharing an emptyDir.
// Co-located with independent images and probes; any change still restarts the pod.
import * as pulumi from "@pulumi/pulumi";
import { DATA_DIR, echoContainer, emptyDirDataVolume, generatorContainer, workloadDeployment } from "../workload";
import { CouplingArgs, imageRef } from "./types";

export class PodCoupling extends pulumi.ComponentResource {
    constructor(name: string, args: CouplingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:coupling:Pod", name, {}, opts);
        const { config, site } = args;
        workloadDeployment("pod", {
            config, site,
            component: "pod",
            containers: [
                generatorContainer(config, imageRef(args.images, "generator")),
                echoContainer(config, "echo", imageRef(args.images, "echo"), { dataDir: DATA_DIR }),
            ],
            volumes: [emptyDirDataVolume(config)],
            servesEcho: true,
            rollout: "zero-downtime",
        }, site.childOptions(this));
        this.registerOutputs({});
    }
}
