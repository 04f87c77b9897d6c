// What the program says: the stack config each coupling runs with, evaluated under Pulumi's
// mocks (as the unit tests do), so the containers run what the Deployments declare.
import { COUPLINGS, Coupling } from "../../components/config";
import { evaluate, Evaluation, minimalConfig, TWO_CLUSTERS } from "../../lib/evaluate";

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
export const IMAGE = "docker:index/image:Image";

export const HOST_ARCH = process.arch;
/** The generator side's external address in `clusters` (the config key the program offers). */
export const GENERATOR_URL = "http://generator.cluster-a.example:8080";
/** OpenShift-style: an arbitrary UID from the namespace's range, group 0; the SCC's fsGroup. */
export const OC_UID = 1000620000;

function configFor(coupling: Coupling, openshift: boolean): Record<string, unknown> {
    const base = minimalConfig(coupling);
    if (coupling === "clusters") base.clusters = { ...TWO_CLUSTERS, generatorUrl: GENERATOR_URL };
    return openshift ? { ...base, openshift: true } : base;
}

/** Every coupling, as the pod spec says and OpenShift-style: keyed `<coupling>/spec`, `<coupling>/openshift`. */
export async function evaluateAll(): Promise<Record<string, Evaluation>> {
    const evals: Record<string, Evaluation> = {};
    for (const coupling of COUPLINGS) {
        for (const openshift of [false, true]) {
            evals[`${coupling}/${openshift ? "openshift" : "spec"}`] = await evaluate(configFor(coupling, openshift), { hostArch: HOST_ARCH });
        }
    }
    return evals;
}
