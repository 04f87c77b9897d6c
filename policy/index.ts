// The app-coupling CrossGuard policy pack: `pulumi preview --policy-pack policy`.
// The rules live in rules.ts so that tests can run them without the policy engine.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("app-coupling", {
    description: "Restricted Pod Security, resources, probes and digest-pinned images for app-coupling workloads.",
    enforcementLevel: "mandatory",
    policies,
});
