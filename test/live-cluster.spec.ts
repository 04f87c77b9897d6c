// Issue 11, "What a live cluster would break": what the mocks accept but the real
// provider, API server or kind refuse. Layer: mocks (the program's registered resources,
// options and annotations); each expectation mirrors the provider source it depends on,
// cited next to it (pulumi/pulumi-kubernetes, provider/pkg/...).
import { strict as assert } from "assert";
import { Coupling, COUPLINGS } from "../components/config";
import {
    FIELD_MANAGER, KIND_LOAD_BALANCER_AWAIT_SECONDS, LOAD_BALANCER_AWAIT_SECONDS, notices, PATCH_FORCE, SKIP_AWAIT, TIMEOUT_SECONDS,
} from "../components/site";
import {
    DEPLOYMENT, engineUrn, evaluate, EvaluateOptions, Evaluation, K8S_PROVIDER, kubernetesObjects, NAMESPACE, ofType, one, PVC, reveal, SECRET,
    SERVICE,
} from "./harness";
import { stackFiles } from "./stacks";

const DIGEST = (n: string) => `registry.example.test/app-coupling-${n}@sha256:${"a".repeat(64)}`;
const PREBUILT = { generator: DIGEST("generator"), echo: DIGEST("echo"), app: DIGEST("app") };
const SELF = "organization/app-coupling/test"; // the stack's reference to itself (claim.ts)

/**
 * The provider's CheckConfig in render mode (provider/pkg/provider/provider.go,
 * CheckConfig): `%q arg is not compatible with "renderYamlToDirectory" arg` for each of
 * cluster, context and kubeconfig that is truthy (a non-empty string or true).
 */
function renderCheckFailures(inputs: Record<string, unknown>): string[] {
    const truthy = (v: unknown) => (typeof v === "string" && v.length > 0) || v === true || v === "true";
    if (!truthy(inputs.renderYamlToDirectory)) return [];
    return ["cluster", "context", "kubeconfig"].filter((k) => truthy(inputs[k]))
        .map((k) => `"${k}" arg is not compatible with "renderYamlToDirectory" arg`);
}

const annotations = (r: { inputs: Record<string, any> }) => r.inputs.metadata?.annotations ?? {};

/** The evaluation's one warning: `key` is not used by `coupling`, and kept (the wording is components/config.ts's). */
function assertKeptWarnings(e: Evaluation, key: string, coupling: string): void {
    assert.equal(e.warnings.length, 1, e.warnings.join("\n"));
    assert.ok(e.warnings[0].includes(key) && e.warnings[0].includes(`not used by coupling ${coupling}`) && /\bkept\b/.test(e.warnings[0]), e.warnings[0]);
}

describe("issue 11: what a live cluster would break", () => {
    describe("1. render mode gives the providers no cluster settings", () => {
        it("the dev stack (which sets context) with renderYamlTo passes the provider's CheckConfig", async () => {
            const dev = stackFiles().find((s) => s.stack === "dev")!;
            assert.ok(dev.values.context, "dev sets a context: the case that failed");
            const e = await evaluate({ ...dev.values, renderYamlTo: "out", images: PREBUILT }, { stack: "dev" });
            const provider = one(e, K8S_PROVIDER, "app");
            assert.deepEqual(renderCheckFailures(provider.inputs), []);
            assert.equal(provider.inputs.renderYamlToDirectory, "out");
            assert.equal(provider.inputs.context, undefined);
            assertKeptWarnings(e, "images.app", "pod");
        });

        it("clusters (contexts and a kubeconfig on both sides) renders each side with neither", async () => {
            const e = await evaluate({
                coupling: "clusters", renderYamlTo: "out", images: PREBUILT,
                clusters: { generator: { context: "kind-a", kubeconfig: "/k/a" }, echo: { context: "kind-b", kubeconfig: "/k/b" }, generatorUrl: "http://gen.example:8080" },
            });
            const providers = ofType(e, K8S_PROVIDER);
            assert.equal(providers.length, 2);
            for (const p of providers) {
                assert.deepEqual(renderCheckFailures(p.inputs), [], p.name);
                assert.equal(p.inputs.kubeconfig, "", `${p.name}: an empty kubeconfig, so $KUBECONFIG cannot fill it in`);
            }
            assert.deepEqual(providers.map((p) => p.inputs.renderYamlToDirectory).sort(), ["out/echo-cluster", "out/generator-cluster"]);
            assertKeptWarnings(e, "images.app", "clusters");
        });

        it("with KUBECONFIG set in the environment (a developer's machine) the provider still passes CheckConfig", async () => {
            // @pulumi/kubernetes fills an unset kubeconfig from $KUBECONFIG (provider.js);
            // the real engine run (e2e:engine stage A) failed on exactly this
            const saved = process.env.KUBECONFIG;
            process.env.KUBECONFIG = "/home/dev/.kube/config";
            try {
                const e = await evaluate({ coupling: "pod", renderYamlTo: "out", images: PREBUILT });
                assert.deepEqual(renderCheckFailures(one(e, K8S_PROVIDER, "app").inputs), []);
                assertKeptWarnings(e, "images.app", "pod");
            } finally {
                if (saved === undefined) delete process.env.KUBECONFIG; else process.env.KUBECONFIG = saved;
            }
        });

        it("outside render mode the contexts still reach the providers", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b", kubeconfig: "/k/b" } } });
            assert.equal(one(e, K8S_PROVIDER, "generator-side").inputs.context, "kind-a");
            assert.equal(one(e, K8S_PROVIDER, "app").inputs.kubeconfig, "/k/b");
        });
    });

    describe("2. no 10-minute wait for a load balancer that never comes", () => {
        // provider/pkg/await/service.go: a LoadBalancer Service is ready only with
        // status.loadBalancer.ingress, on create and update (await.go Creation/Update run the
        // Service awaiter), for DefaultServiceTimeoutMins = 10 unless pulumi.com/timeoutSeconds
        // (metadata/overrides.go TimeoutDuration); pulumi.com/skipAwait skips it (SkipAwaitLogic).
        beforeEach(() => { notices.length = 0; });

        it("clusters with generatorUrl: the generator's address is unused, so its Service does not wait at all", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b" }, generatorUrl: "http://10.0.0.5:8080" } });
            const svc = one(e, SERVICE, "generator");
            assert.equal(svc.inputs.spec.type, "LoadBalancer");
            assert.deepEqual(annotations(svc), { [SKIP_AWAIT]: "true" });
            assert.deepEqual(notices, []);
        });

        it("clusters without generatorUrl: a short wait, and a warning naming the cause and both ways out", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b" } } });
            const svc = one(e, SERVICE, "generator");
            assert.deepEqual(annotations(svc), { [TIMEOUT_SECONDS]: String(KIND_LOAD_BALANCER_AWAIT_SECONDS) });
            assert.ok(KIND_LOAD_BALANCER_AWAIT_SECONDS <= 120);
            assert.equal(notices.length, 1);
            assert.match(notices[0], /generator Service/);
            assert.match(notices[0], /cloud-provider-kind/);
            assert.match(notices[0], /clusters\.generatorUrl/);
        });

        it("outside kind the wait is still bounded, well under the provider's 10 minutes", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: { generator: { context: "gke-a" }, echo: { context: "gke-b" } } });
            assert.equal(annotations(one(e, SERVICE, "generator"))[TIMEOUT_SECONDS], String(LOAD_BALANCER_AWAIT_SECONDS));
            assert.ok(LOAD_BALANCER_AWAIT_SECONDS < 600);
            assert.deepEqual(notices, [], "no warning where load balancers are expected to work");
        });

        it("a LoadBalancer echo Service (its address is the externalUrl) waits briefly and says how else to reach echo", async () => {
            const e = await evaluate({ coupling: "pod", context: "kind-app-coupling", serviceType: "LoadBalancer" });
            assert.deepEqual(annotations(one(e, SERVICE, "echo")), { [TIMEOUT_SECONDS]: String(KIND_LOAD_BALANCER_AWAIT_SECONDS) });
            assert.equal(notices.length, 1);
            assert.match(notices[0], /cloud-provider-kind/);
            assert.match(notices[0], /serviceType NodePort/);
        });

        it("ClusterIP and NodePort Services carry no await annotations", async () => {
            for (const serviceType of ["ClusterIP", "NodePort"]) {
                const e = await evaluate({ coupling: "service", serviceType });
                for (const svc of ofType(e, SERVICE)) assert.deepEqual(annotations(svc), {}, `${serviceType} ${svc.name}`);
            }
            assert.deepEqual(notices, []);
        });
    });

    describe("3. retained data is really retained", () => {
        const RETAIN = { storage: { retainOnDelete: true } };

        it("with retainOnDelete the namespace is retained too, whatever the coupling, so deleting it cannot take the claim", async () => {
            for (const coupling of COUPLINGS) {
                const e = await evaluate({ ...minimal(coupling), ...RETAIN });
                const ns = one(e, NAMESPACE, "app");
                assert.equal(ns.retainOnDelete, true, `${coupling}: the namespace that holds (or held) the claim`);
                assert.equal(annotations(ns)[PATCH_FORCE], "true");
                assert.equal(annotations(ns)[FIELD_MANAGER], "app-coupling", "one field manager in every lifetime");
                if (coupling === "volume") assert.deepEqual(e.warnings, []);
                else assertKeptWarnings(e, "storage.retainOnDelete", coupling);
            }
            const plain = await evaluate({ coupling: "volume" });
            assert.equal(one(plain, NAMESPACE, "app").retainOnDelete, false, "nothing retained unless asked");
        });

        it("the claim has a fixed name, the same on every run, so coming back finds it", async () => {
            const a = await evaluate({ coupling: "volume", ...RETAIN });
            const b = await evaluate({ coupling: "volume", storage: { retainOnDelete: true, size: "2Gi" } });
            const claim = one(a, PVC, "data");
            assert.equal(claim.retainOnDelete, true);
            assert.equal(claim.inputs.metadata.name, "app-coupling-test-data", "fixed, not auto-named");
            assert.equal(one(b, PVC, "data").inputs.metadata.name, claim.inputs.metadata.name);
            assert.equal(annotations(claim)[PATCH_FORCE], "true");
            assert.equal(annotations(claim)[FIELD_MANAGER], "app-coupling");
            const other = await evaluate({ coupling: "volume", ...RETAIN }, { stack: "prod" });
            assert.notEqual(one(other, PVC, "data").inputs.metadata.name, claim.inputs.metadata.name, "two stacks, two claims");
        });

        it("the provider adopts the retained namespace and claim instead of failing with AlreadyExists", async () => {
            // @pulumi/kubernetes 4.34 ProviderArgs.upsertExistingObjects: "By default, Pulumi
            // will error if a resource already exists in the cluster"; with it, the server-side
            // apply create (await.go Creation: a PATCH of type apply) updates the existing object.
            const kept = await evaluate({ coupling: "volume", ...RETAIN });
            assert.equal(one(kept, K8S_PROVIDER, "app").inputs.upsertExistingObjects, "true");
            const plain = await evaluate({ coupling: "volume" });
            assert.equal(one(plain, K8S_PROVIDER, "app").inputs.upsertExistingObjects, undefined, "no adoption unless something is retained");
        });

        it("the stack remembers its claim, and keeps remembering it while the claim is retained outside volume", async () => {
            const v = await evaluate({ coupling: "volume", ...RETAIN });
            const record = v.outputs.claim as Record<string, unknown>;
            assert.deepEqual(record, { name: "app-coupling-test-data", namespace: "app-coupling-test", accessMode: "ReadWriteOnce", storageClass: null, size: "1Gi", retained: true });
            const pod = await evaluate({ coupling: "pod", ...RETAIN }, { stackOutputs: { [SELF]: { claim: record } } });
            assert.deepEqual(pod.outputs.claim, record);
            assertKeptWarnings(pod, "storage.retainOnDelete", "pod");
            const back = await evaluate({ coupling: "volume", ...RETAIN }, { stackOutputs: { [SELF]: { claim: record } } });
            assert.equal(one(back, PVC, "data").inputs.metadata.name, record.name, "the same claim again, no import");
        });

        const previously = (claim: Record<string, unknown>): EvaluateOptions => ({
            stackOutputs: { [SELF]: { claim: { name: "app-coupling-test-data", namespace: "app-coupling-test", accessMode: "ReadWriteOnce", storageClass: "standard", size: "1Gi", ...claim } } },
        });

        it("refuses an access-mode change at preview, saying why and how to proceed deliberately", async () => {
            await assert.rejects(evaluate({ coupling: "volume", storage: { accessMode: "ReadWriteMany", storageClass: "standard" } }, previously({})),
                /storage\.accessMode: the claim app-coupling-test\/app-coupling-test-data .* is ReadWriteOnce; Kubernetes cannot change a claim's access mode.*Refused.*storage\.claimName/s);
        });

        it("refuses a storage-class change the same way", async () => {
            await assert.rejects(evaluate({ coupling: "volume", storage: { storageClass: "fast" } }, previously({})),
                /storage\.storageClass: .* of class standard; Kubernetes cannot change a claim's class.*storage\.claimName/s);
        });

        it("a new claimName is the deliberate way once the claim is retained: no refusal, a new claim, the old one left alone", async () => {
            // the rename itself (retained or not) is issue 17 item 1: test/first-deploy.spec.ts
            const e = await evaluate({ coupling: "volume", storage: { accessMode: "ReadWriteMany", claimName: "data-rwx" } }, previously({ retained: true }));
            assert.equal(one(e, PVC, "data").inputs.metadata.name, "data-rwx");
        });

        it("refuses to shrink, and to grow on a class without allowVolumeExpansion, with a clear message", async () => {
            await assert.rejects(evaluate({ coupling: "volume", storage: { size: "512Mi", storageClass: "standard" } }, previously({})),
                /storage\.size: .* a claim can only grow/);
            // the mock StorageClass read carries no allowVolumeExpansion: a class that cannot grow
            await assert.rejects(evaluate({ coupling: "volume", storage: { size: "2Gi", storageClass: "standard" } }, previously({})),
                /storage\.size: growing the claim .* from 1Gi to 2Gi needs a storage class with allowVolumeExpansion/);
        });

        it("a long stack name still gives valid names and label values (claim, label, generator namespace)", async () => {
            const stack = "s".repeat(60);
            const e = await evaluate({ coupling: "volume" }, { stack });
            const claim = one(e, PVC, "data").inputs.metadata.name as string;
            assert.ok(claim.length <= 253 && claim.endsWith("-data"));
            for (const d of ofType(e, DEPLOYMENT)) {
                for (const value of Object.values<string>(d.inputs.spec.template.metadata.labels)) assert.ok(value.length <= 63, `${d.name}: ${value}`);
            }
            const c = await evaluate(minimal("clusters"), { stack });
            assert.ok((one(c, NAMESPACE, "generator-side").inputs.metadata.name as string).length <= 63);
        });

        it("an unchanged claim passes", async () => {
            const e = await evaluate({ coupling: "volume", storage: { storageClass: "standard" } }, previously({}));
            assert.equal(one(e, PVC, "data").inputs.spec.resources.requests.storage, "1Gi");
        });
    });

    describe("4. switching between any two couplings on the same cluster(s)", () => {
        // A fixed-name object whose URN moves is created (AlreadyExists, or adopted) before
        // the old URN is deleted (taking the object with it). So: the same object (cluster,
        // kind, namespace, name) must keep its URN in every coupling.
        const SAME = "kind-one";
        const configs: Record<string, Record<string, unknown>> = {
            container: { coupling: "container", context: SAME },
            pod: { coupling: "pod", context: SAME },
            volume: { coupling: "volume", context: SAME, storage: { retainOnDelete: true } },
            service: { coupling: "service", context: SAME },
            "clusters (generator here)": { coupling: "clusters", clusters: { generator: { context: SAME }, echo: { context: "kind-two" } } },
            "clusters (echo here)": { coupling: "clusters", clusters: { generator: { context: "kind-two" }, echo: { context: SAME } } },
        };
        const fixedObjects = (e: Evaluation) => {
            const contexts = new Map(ofType(e, K8S_PROVIDER).map((p) => [p.urn, p.inputs.context]));
            return new Map(kubernetesObjects(e)
                .filter(({ resource }) => resource.inputs.metadata?.name !== undefined)
                .map(({ resource, object }) => [
                    `${contexts.get(resource.providerUrn!)} ${object.kind ?? resource.type} ${object.metadata.namespace ?? ""}/${object.metadata.name}`,
                    engineUrn(e, resource)]));
        };
        let evaluated: [string, Map<string, string>, Evaluation][];
        before(async () => {
            evaluated = [];
            for (const [title, values] of Object.entries(configs)) {
                const e = await evaluate({ ...values, registryUsername: "ci", registryPassword: "pw" }, { secretKeys: ["registryPassword"] });
                evaluated.push([title, fixedObjects(e), e]);
            }
        });

        it("every object with a fixed name keeps its URN across every pair of couplings", () => {
            for (const [a, objectsA] of evaluated) {
                for (const [b, objectsB] of evaluated) {
                    for (const [key, urn] of objectsA) {
                        if (objectsB.has(key)) assert.equal(objectsB.get(key), urn, `${a} -> ${b}: ${key} moves from ${urn} to ${objectsB.get(key)}`);
                    }
                }
            }
        });

        it("the generator side's namespace is never the single-cluster one", () => {
            const [, , e] = evaluated.find(([t]) => t === "clusters (generator here)")!;
            assert.equal(one(e, NAMESPACE, "generator-side").inputs.metadata.name, "app-coupling-test-generator");
            assert.equal(one(e, NAMESPACE, "app").inputs.metadata.name, "app-coupling-test");
        });

        it("the echo Service keeps its URN in every coupling (in clusters: when echo stays in the cluster)", () => {
            const urns = new Set(evaluated.filter(([t]) => t !== "clusters (generator here)").map(([, , e]) => engineUrn(e, one(e, SERVICE, "echo"))));
            assert.deepEqual([...urns], ["app-coupling:index:Cluster$kubernetes:core/v1:Service::echo"]);
        });
    });

    describe("8. credential rotation touches no pod template", () => {
        const rotate = async (password: string) =>
            evaluate({ coupling: "volume", echoReplicas: 2, imageRegistry: "registry.example.com/team", registryUsername: "robot", registryPassword: password },
                { secretKeys: ["registryPassword"] });

        it("the pull Secret keeps a fixed name while its data changes; every Deployment is unchanged", async () => {
            const before = await rotate("old-token");
            const after = await rotate("new-token");
            const [sBefore, sAfter] = [one(before, SECRET, "app-registry-pull"), one(after, SECRET, "app-registry-pull")];
            assert.equal(sBefore.inputs.metadata.name, "app-coupling-test-registry-pull", "fixed, not auto-named");
            assert.equal(sAfter.inputs.metadata.name, sBefore.inputs.metadata.name);
            assert.notDeepEqual(reveal(sAfter.inputs.stringData), reveal(sBefore.inputs.stringData));
            for (const d of ofType(before, DEPLOYMENT)) {
                assert.deepEqual(one(after, DEPLOYMENT, d.name).inputs, d.inputs, `${d.name} would roll`);
            }
        });

        it("the Secret is updated in place, not replaced: the providers allow mutable Secrets", async () => {
            // provider forceNewProperties: a Secret's .type/.stringData/.data force a replace
            // unless enableSecretMutable (and the Secret is not immutable)
            const e = await rotate("x");
            for (const p of ofType(e, K8S_PROVIDER)) assert.equal(p.inputs.enableSecretMutable, "true", p.name);
            assert.notEqual(one(e, SECRET, "app-registry-pull").inputs.immutable, true);
        });
    });

    describe("10. discovery never hard-codes the cluster domain", () => {
        it("no input or output of any coupling names cluster.local; URLs are <svc>.<ns>.svc", async () => {
            for (const coupling of COUPLINGS) {
                const e = await evaluate(minimal(coupling));
                const text = JSON.stringify([e.resources.map((r) => r.inputs), e.outputs]);
                assert.ok(!text.includes("cluster.local"), coupling);
                assert.match(e.outputs.endpoint as string, /^http:\/\/echo-[0-9a-f]+\.app-coupling-test\.svc:8000\/data$/);
            }
        });
    });

    describe("11. every object carries the recommended labels", () => {
        const variants: Record<string, unknown>[] = [
            ...COUPLINGS.map(minimal),
            { coupling: "volume", echoReplicas: 2, storage: { accessMode: "ReadWriteMany", retainOnDelete: true }, serviceType: "LoadBalancer", registryUsername: "ci", registryPassword: "pw" },
            { coupling: "service", echoReplicas: 2, openshift: true, serviceType: "LoadBalancer" },
            { ...minimal("clusters"), echoReplicas: 3, registryUsername: "ci", registryPassword: "pw" },
        ];
        it("Namespace, ServiceAccount, Secret, PDB, NetworkPolicy, PVC, Services, Route and Deployments alike", async () => {
            const kinds = new Set<string>();
            for (const values of variants) {
                const e = await evaluate(values, { secretKeys: values.registryPassword ? ["registryPassword"] : [] });
                for (const { resource, object } of kubernetesObjects(e)) {
                    const labels = object.metadata.labels ?? {};
                    const what = `${JSON.stringify(values)}: ${resource.type} ${resource.name}`;
                    assert.equal(labels["app.kubernetes.io/name"], "app-coupling", what);
                    assert.equal(labels["app.kubernetes.io/instance"], "test", what);
                    assert.ok(labels["app.kubernetes.io/component"], what);
                    assert.equal(labels["app.kubernetes.io/part-of"], "app-coupling", what);
                    assert.equal(labels["app.kubernetes.io/managed-by"], "pulumi", what);
                    kinds.add(resource.type.split(":").pop()!);
                    if (object.spec?.template) assert.equal(object.spec.template.metadata.labels["app.kubernetes.io/managed-by"], "pulumi", `${what}: pods`);
                }
            }
            for (const kind of ["Namespace", "ServiceAccount", "Secret", "PodDisruptionBudget", "NetworkPolicy", "PersistentVolumeClaim", "Service", "Route", "Deployment"]) {
                assert.ok(kinds.has(kind), `no ${kind} was checked`);
            }
        });
    });
});

function minimal(coupling: Coupling): Record<string, unknown> {
    return { coupling, ...(coupling === "clusters" ? { clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b" } } } : {}) };
}
