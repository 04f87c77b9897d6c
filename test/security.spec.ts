// Production-grade by default: walks every container, pod spec, namespace, Secret and
// output each coupling emits, with and without registry credentials, and in OpenShift mode.
import { strict as assert } from "assert";
import { violationsFor } from "../policy/rules";
import {
    DEPLOYMENT, evaluate, Evaluation, isSecretValue, NAMESPACE, ofType, one, plainStrings, reveal, SECRET, SERVICE,
    SERVICE_ACCOUNT, selects,
} from "./harness";
import { echoBudgetWanted } from "../components/workload";

const CLUSTERS = { generator: { context: "kind-gen" }, echo: { context: "kind-echo" } };
const PASSWORD = "correct-horse-battery-staple";
const WITH_CREDENTIALS = { imageRegistry: "registry.example.com/team", registryUsername: "robot", registryPassword: PASSWORD };

const VARIANTS: [string, Record<string, unknown>][] = [
    ["container", { coupling: "container" }],
    ["pod", { coupling: "pod" }],
    ["volume", { coupling: "volume", echoReplicas: "2" }],
    ["service", { coupling: "service", echoReplicas: "3" }],
    ["clusters", { coupling: "clusters", clusters: CLUSTERS, echoReplicas: "2" }],
];

function allContainers(e: Evaluation): { deployment: string; c: any; pod: any }[] {
    return ofType(e, DEPLOYMENT).flatMap((d) => {
        const pod = d.inputs.spec.template.spec;
        return [...(pod.initContainers ?? []), ...pod.containers].map((c: any) => ({ deployment: d.name, c, pod }));
    });
}

for (const openshift of [false, true]) {
    for (const credentials of [false, true]) {
        for (const [coupling, values] of VARIANTS) {
            const title = `${coupling}${credentials ? ", with registry credentials" : ""}${openshift ? ", OpenShift" : ""}`;
            describe(`hardening: ${title}`, () => {
                let e: Evaluation;
                before(async () => {
                    e = await evaluate({ ...values, ...(credentials ? WITH_CREDENTIALS : {}), ...(openshift ? { openshift: true, serviceType: "LoadBalancer" } : {}) },
                        { secretKeys: credentials ? ["registryPassword"] : [] });
                });

                it("every container meets Pod Security restricted", () => {
                    for (const { deployment, c, pod } of allContainers(e)) {
                        const where = `${deployment}/${c.name}`;
                        assert.equal(c.securityContext.runAsNonRoot, true, where);
                        assert.equal(c.securityContext.allowPrivilegeEscalation, false, where);
                        assert.equal(c.securityContext.privileged, false, where);
                        assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, where);
                        assert.deepEqual(c.securityContext.seccompProfile, { type: "RuntimeDefault" }, where);
                        assert.equal(c.securityContext.readOnlyRootFilesystem, true, where);
                        assert.equal(pod.securityContext.runAsNonRoot, true, where);
                        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" }, where);
                        if (openshift) {
                            // restricted-v2 assigns the UID from the namespace's range
                            for (const ctx of [c.securityContext, pod.securityContext]) {
                                for (const key of ["runAsUser", "runAsGroup", "fsGroup"]) assert.equal(ctx[key], undefined, `${where} pins ${key}`);
                            }
                        } else {
                            assert.equal(c.securityContext.runAsUser, 10001, where);
                            assert.equal(pod.securityContext.fsGroup, 10001, where);
                        }
                    }
                });

                it("every container has probes, requests and limits, and a digest-pinned image", () => {
                    for (const { deployment, c } of allContainers(e)) {
                        const where = `${deployment}/${c.name}`;
                        assert.ok(c.readinessProbe && c.livenessProbe, `${where} lacks a probe`);
                        for (const kind of ["requests", "limits"]) {
                            for (const res of ["cpu", "memory"]) assert.ok(c.resources?.[kind]?.[res], `${where} lacks ${kind}.${res}`);
                        }
                        assert.match(c.image, /@sha256:[a-f0-9]{64}$/, where);
                    }
                });

                it("pods run under a dedicated ServiceAccount without an API token, and terminate gracefully", () => {
                    const accounts = ofType(e, SERVICE_ACCOUNT);
                    assert.equal(accounts.length, coupling === "clusters" ? 2 : 1);
                    for (const sa of accounts) assert.equal(sa.inputs.automountServiceAccountToken, false);
                    for (const d of ofType(e, DEPLOYMENT)) {
                        const pod = d.inputs.spec.template.spec;
                        assert.equal(pod.automountServiceAccountToken, false, d.name);
                        assert.ok(accounts.some((sa) => sa.state.metadata.name === pod.serviceAccountName), `${d.name} uses its own ServiceAccount`);
                        assert.ok(pod.terminationGracePeriodSeconds >= 5 && pod.terminationGracePeriodSeconds <= 30, d.name);
                    }
                });

                it("emptyDir volumes are size-limited", () => {
                    for (const d of ofType(e, DEPLOYMENT)) {
                        for (const v of d.inputs.spec.template.spec.volumes ?? []) {
                            if (v.emptyDir) assert.match(v.emptyDir.sizeLimit, /^\d+Mi$/, d.name);
                        }
                    }
                });

                it("echo rolls with zero unavailable; generators are replaced, never doubled", () => {
                    const echoService = ofType(e, SERVICE).find((s) => s.name === "echo")!;
                    for (const d of ofType(e, DEPLOYMENT)) {
                        const servesEcho = selects(echoService.inputs.spec.selector, d.inputs.spec.template.metadata.labels);
                        if (servesEcho) assert.deepEqual(d.inputs.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 }, d.name);
                        else assert.deepEqual(d.inputs.spec.strategy, { type: "Recreate" }, d.name);
                    }
                    // several echo replicas get a budget, except on a ReadWriteOnce claim (volume.ts)
                    assert.equal(ofType(e, "kubernetes:policy/v1:PodDisruptionBudget").length, echoBudgetWanted(e.config) ? 1 : 0);
                });

                it("namespaces enforce Pod Security restricted", () => {
                    for (const ns of ofType(e, NAMESPACE)) {
                        assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                    }
                });

                it("passes every rule of the policy pack", () => {
                    const violations = e.resources.flatMap((r) => violationsFor(r.type, reveal(r.inputs), r.name));
                    assert.deepEqual(violations, []);
                });

                if (credentials) {
                    it("pulls with a dockerconfigjson Secret whose content is a Pulumi secret", () => {
                        const secrets = ofType(e, SECRET);
                        assert.equal(secrets.length, coupling === "clusters" ? 2 : 1, "one pull secret per cluster");
                        for (const secret of secrets) {
                            assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
                            // the Kubernetes SDK marks all of stringData secret; ours is secret either way
                            const data = secret.inputs.stringData;
                            assert.ok(isSecretValue(data) || isSecretValue(data[".dockerconfigjson"]), "the docker config must be a Pulumi secret");
                            const auths = JSON.parse(reveal(data)[".dockerconfigjson"]).auths;
                            assert.deepEqual(Object.keys(auths), ["registry.example.com"]);
                            assert.equal(auths["registry.example.com"].password, PASSWORD);
                            assert.equal(Buffer.from(auths["registry.example.com"].auth, "base64").toString(), `robot:${PASSWORD}`);
                        }
                        for (const d of ofType(e, DEPLOYMENT)) {
                            const pullSecrets = d.inputs.spec.template.spec.imagePullSecrets;
                            assert.equal(pullSecrets.length, 1, d.name);
                            assert.ok(secrets.some((s) => s.state.metadata.name === pullSecrets[0].name), `${d.name} pulls with its cluster's secret`);
                        }
                    });

                    it("the password is in no plain output and no non-secret input", () => {
                        for (const r of e.resources) {
                            for (const s of plainStrings(r.inputs)) assert.ok(!s.includes(PASSWORD), `${r.type} ${r.name} carries the password in plain text`);
                        }
                        for (const [key, value] of Object.entries(e.outputs)) {
                            if (!e.secretOutputs[key]) assert.ok(!JSON.stringify(value).includes(PASSWORD), `output ${key} carries the password`);
                        }
                    });
                } else {
                    it("creates no pull Secret without credentials", () => {
                        assert.equal(ofType(e, SECRET).length, 0);
                        for (const d of ofType(e, DEPLOYMENT)) assert.equal(d.inputs.spec.template.spec.imagePullSecrets, undefined);
                    });
                }

                if (openshift) {
                    it("exposes echo through a Route to a ClusterIP Service, externalUrl from the Route's host", () => {
                        const service = one(e, SERVICE, "echo");
                        assert.equal(service.inputs.spec.type, "ClusterIP");
                        const route = one(e, "kubernetes:route.openshift.io/v1:Route", "echo");
                        assert.deepEqual(route.inputs.spec.to, { kind: "Service", name: service.state.metadata.name, weight: 100 });
                        assert.deepEqual(route.inputs.spec.port, { targetPort: "http" });
                        assert.equal(route.inputs.spec.tls.termination, "edge");
                        assert.equal(e.outputs.externalUrl, `https://${route.state.spec.host}/data`);
                        assert.equal(route.providerUrn, service.providerUrn);
                    });
                }
            });
        }
    }
}

describe("hardening: configurable resources", () => {
    it("overrides one container's requests and limits, keeping the other defaults", async () => {
        const e = await evaluate({ coupling: "pod", resources: { echo: { limits: { memory: "256Mi" }, requests: { cpu: "100m" } } } });
        const [generator, echo] = one(e, DEPLOYMENT, "pod").inputs.spec.template.spec.containers;
        assert.deepEqual(echo.resources, { requests: { cpu: "100m", memory: "32Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
        assert.deepEqual(generator.resources, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } });
    });

    it("no Route without OpenShift, and none on OpenShift when echo is not exposed", async () => {
        const plain = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" });
        assert.equal(ofType(plain, "kubernetes:route.openshift.io/v1:Route").length, 0);
        const internal = await evaluate({ coupling: "pod", openshift: true });
        assert.equal(ofType(internal, "kubernetes:route.openshift.io/v1:Route").length, 0);
        assert.equal(internal.outputs.externalUrl, undefined);
    });
});
