// Issue 17, "What a first real deployment to kind, EKS or GKE would hit". Layer: mocks —
// the program's own decisions, read from what it registers (lib/evaluate.ts). Where the
// outcome depends on the engine, the provider or the API server, the expectation cites the
// source it mirrors, and e2e/engine stage B shows it on the real engine against kwok.
import { strict as assert } from "assert";
import { informed, notices } from "../components/site";
import { httpOrigin } from "../components/vocabulary";
import { DEPLOYMENT, engineUrn, evaluate, EvaluateOptions, Evaluation, ofType, one, PDB, PVC, selects, TWO_CLUSTERS } from "./harness";
import { FakeCluster, lastRegistered } from "../lib/evaluate";
import { IMAGES_FOR } from "../components/config";
import { DEFAULT_IMAGES_DIR, imageRepository, imageTag } from "../components/images";
import { stackFiles } from "./stacks";

const SELF = "organization/app-coupling/test"; // the stack's reference to itself (program.ts)
const CLAIM = { name: "app-coupling-test-data", namespace: "app-coupling-test", accessMode: "ReadWriteOnce", storageClass: "standard", size: "1Gi" };
/** The stack's last run left this claim record (and, optionally, this cluster to read). */
const lastRun = (claim: Record<string, unknown>, cluster?: FakeCluster): EvaluateOptions => ({
    stackOutputs: { [SELF]: { claim: { ...CLAIM, ...claim } } },
    ...(cluster ? { clusters: { "": cluster } } : {}),
});
const PREBUILT = {
    generator: `registry.example.test/app-coupling-generator@sha256:${"a".repeat(64)}`,
    echo: `registry.example.test/app-coupling-echo@sha256:${"b".repeat(64)}`,
};
const STANDARD_DEFAULT = { name: "standard", provisioner: "rancher.io/local-path", isDefault: true };
const GP2_NOT_DEFAULT = { name: "gp2", provisioner: "kubernetes.io/aws-ebs", isDefault: false };

describe("issue 17: what a first real deployment would hit", () => {
    beforeEach(() => { notices.length = 0; informed.length = 0; });

    describe("1. a claim rename never deletes the claim it moves away from", () => {
        // The provider replaces a claim whose name changes (diff.go metadataForceNewProperties),
        // new one first, then deletes the old; the engine skips that delete only when the old
        // *state* says retainOnDelete (pulumi/pulumi step.go DeleteStep.Apply, s.old.RetainOnDelete).
        // So a rename is allowed only when the last run registered the claim retained.

        it("refuses a new claimName when the last run did not retain the claim, naming the key and the way", async () => {
            for (const previous of [{ retained: false }, {}]) {
                await assert.rejects(evaluate({ coupling: "volume", storage: { claimName: "data-2" } }, lastRun(previous)), (err: Error) => {
                    assert.equal(err.name, "ClaimChangeError");
                    assert.match(err.message, /storage\.claimName: the claim app-coupling-test\/app-coupling-test-data holds this stack's data and is not retained/);
                    assert.match(err.message, /would delete it.*Refused\..*storage\.retainOnDelete true.*pulumi up.*then set `storage\.claimName/s);
                    assert.match(err.message, previous.retained === false ? /retainOnDelete was not true on the stack's last run/ : /last run did not record it/);
                    return true;
                });
            }
        });

        it("refuses it too when retainOnDelete is only set in the same run (the engine reads the old state's flag)", async () => {
            await assert.rejects(evaluate({ coupling: "volume", storage: { claimName: "data-2", retainOnDelete: true } }, lastRun({ retained: false })),
                /storage\.claimName: .* not retained/);
        });

        it("allows it when the last run retained the claim: one claim resource, renamed, so the engine retains the old claim", async () => {
            for (const retainOnDelete of [true, false]) {
                const e = await evaluate({ coupling: "volume", storage: { claimName: "data-2", retainOnDelete } }, lastRun({ retained: true }));
                const claim = one(e, PVC, "data");
                assert.equal(claim.inputs.metadata.name, "data-2");
                assert.equal((e.outputs.claim as { retained: boolean }).retained, retainOnDelete, "the record says what this run registered");
            }
        });

        it("refuses a namespace change of a claim that is not retained the same way", async () => {
            await assert.rejects(evaluate({ coupling: "volume", namespace: "elsewhere" }, lastRun({ retained: false })),
                /namespace: the claim app-coupling-test\/app-coupling-test-data .* not retained.*elsewhere\/app-coupling-test-data/s);
        });

        it("the claim output records whether it is retained", async () => {
            for (const retainOnDelete of [false, true]) {
                const e = await evaluate({ coupling: "volume", storage: { retainOnDelete } });
                assert.equal((e.outputs.claim as { retained: boolean }).retained, retainOnDelete);
            }
        });
    });

    describe("2. a claim no StorageClass will provision fails at preview, naming storage.storageClass", () => {
        it("no class named, no default class: refused before the claim is registered", async () => {
            const none: FakeCluster = { storageClasses: [GP2_NOT_DEFAULT], nodeArchitectures: ["amd64"] };
            await assert.rejects(evaluate({ coupling: "volume" }, { clusters: { "": none } }), (err: Error) => {
                assert.equal(err.name, "ClaimChangeError");
                assert.match(err.message, /storage\.storageClass: unset, and the cluster of the kubeconfig's current context has no default StorageClass \(it has: gp2 \(kubernetes\.io\/aws-ebs\)\)/);
                assert.match(err.message, /pulumi config set --path storage\.storageClass <class>/);
                return true;
            });
            await assert.rejects(evaluate({ coupling: "volume", context: "eks-prod" }, { clusters: { "eks-prod": { storageClasses: [], nodeArchitectures: ["amd64"] } } }),
                /no default StorageClass \(it has: none\).*EBS CSI driver/s);
        });

        it("no default class, but an Available volume of no class that fits (an administrator's static volumes): passes", async () => {
            const fits: { capacity: string; accessModes: string[] } = { capacity: "2Gi", accessModes: ["ReadWriteOnce", "ReadWriteMany"] };
            const e = await evaluate({ coupling: "volume", images: PREBUILT }, { clusters: { "": { storageClasses: [], classlessVolumes: [fits] } } });
            assert.equal(one(e, PVC, "data").inputs.spec.storageClassName, undefined);
            const misfits: [typeof fits, Record<string, unknown>][] = [
                [{ ...fits, capacity: "512Mi" }, {}],
                [{ ...fits, accessModes: ["ReadWriteOnce"] }, { storage: { accessMode: "ReadWriteMany" } }],
            ];
            for (const [volume, values] of misfits) {
                await assert.rejects(evaluate({ coupling: "volume", images: PREBUILT, ...values }, { clusters: { "": { storageClasses: [], classlessVolumes: [volume] } } }),
                    /no default StorageClass \(it has: none\) and no Available volume of no class that fits/);
            }
        });

        it("a named class the cluster lacks is refused; one it has, or a default class, passes", async () => {
            const cluster: FakeCluster = { storageClasses: [STANDARD_DEFAULT, GP2_NOT_DEFAULT], nodeArchitectures: ["amd64"] };
            await assert.rejects(evaluate({ coupling: "volume", storage: { storageClass: "gp3" } }, { clusters: { "": cluster } }),
                /storage\.storageClass: "gp3" is not a StorageClass of the cluster .*it has: standard \(rancher\.io\/local-path, default\), gp2/);
            const named = await evaluate({ coupling: "volume", storage: { storageClass: "gp2" } }, { clusters: { "": cluster } });
            assert.equal(one(named, PVC, "data").inputs.spec.storageClassName, "gp2");
            const byDefault = await evaluate({ coupling: "volume" }, { clusters: { "": cluster } });
            assert.equal(one(byDefault, PVC, "data").inputs.spec.storageClassName, undefined);
        });

        it("reads nothing for a claim the stack already holds (a no-op run), nor for an existing claim being adopted", async () => {
            const unreadable = new Error("a no-op run must not read the cluster");
            // prebuilt images with platform unset: nothing else reads the nodes (item 3)
            const held = await evaluate({ coupling: "volume", storage: { storageClass: "standard" }, images: PREBUILT },
                { ...lastRun({ retained: false }), clusters: { "": unreadable } });
            assert.equal(one(held, PVC, "data").inputs.metadata.name, CLAIM.name);
            assert.deepEqual(notices, []);
            const adopted = await evaluate({ coupling: "volume", storage: { retainOnDelete: true }, images: PREBUILT },
                { clusters: { "": { storageClasses: [], claims: [`${CLAIM.namespace}/${CLAIM.name}`] } } });
            assert.equal(one(adopted, PVC, "data").inputs.metadata.name, CLAIM.name, "a retained claim after destroy: adopted as it is");
        });

        it("a cluster that cannot be read is not checked, with one warning saying so", async () => {
            const e = await evaluate({ coupling: "volume", images: PREBUILT }, { clusters: { "": Object.assign(new Error("forbidden"), { code: 403 }) } });
            assert.ok(one(e, PVC, "data"));
            assert.equal(notices.length, 1);
            assert.match(notices[0], /^storage\.storageClass: could not read the StorageClasses .*HTTP 403.*not checked/);
        });

        it("render mode reads nothing", async () => {
            const e = await evaluate({ coupling: "volume", renderYamlTo: "out", images: PREBUILT },
                { clusters: { "": new Error("render mode must not read a cluster") } });
            assert.ok(one(e, PVC, "data"));
            assert.deepEqual(notices, []);
        });
    });

    describe("3. images run only on nodes of the CPU they are built for", () => {
        const ARCH = "kubernetes.io/arch";
        const nodeSelectors = (e: Evaluation) => ofType(e, DEPLOYMENT).map((d) => [d.name, d.inputs.spec.template.spec.nodeSelector]);
        const image = (e: Evaluation, name: string) => one(e, "docker:index/image:Image", name).inputs;

        it("an arm64 machine with platform unset builds arm64 images and pins every pod to arm64 nodes, in both clusters too", async () => {
            for (const values of [{ coupling: "pod" }, { coupling: "clusters", clusters: TWO_CLUSTERS }]) {
                const e = await evaluate(values, { hostArch: "arm64" });
                assert.equal(image(e, "generator").build.platform, "linux/arm64");
                assert.ok(ofType(e, DEPLOYMENT).length >= 1);
                for (const [name, selector] of nodeSelectors(e)) assert.deepEqual(selector, { [ARCH]: "arm64" }, `${values.coupling} ${name}`);
            }
        });

        it("refuses at preview, before any Deployment, when the machine's architecture (platform unset) is no node's", async () => {
            await assert.rejects(evaluate({ coupling: "service" }, { hostArch: "arm64", clusters: { "": { nodeArchitectures: ["amd64", "amd64"] } } }),
                (err: Error) => {
                    assert.equal(err.name, "ArchitectureError");
                    assert.match(err.message, /platform: unset, so the images are built for this machine's linux\/arm64, but no node of the cluster .* has kubernetes\.io\/arch=arm64 \(its nodes are amd64\).*Refused.*pulumi config set platform linux\/amd64/s);
                    return true;
                });
            assert.deepEqual(lastRegistered.filter((r) => r.type === DEPLOYMENT), [], "no Deployment registered");
        });

        it("a chosen platform no node has is deployed (an autoscaler may add such a node), with one warning", async () => {
            const e = await evaluate({ coupling: "pod", platform: "linux/arm64" }, { clusters: { "": { nodeArchitectures: ["amd64"] } } });
            for (const [, selector] of nodeSelectors(e)) assert.deepEqual(selector, { [ARCH]: "arm64" });
            assert.equal(notices.length, 1);
            assert.match(notices[0], /platform: linux\/arm64 is set, but no node .* has kubernetes\.io\/arch=arm64 \(its nodes are amd64\): the pods wait/);
        });

        it("nodes of the right architecture pass silently; images this stack deployed last time read no node at all", async () => {
            const e = await evaluate({ coupling: "pod" }, { hostArch: "arm64", clusters: { "": { nodeArchitectures: ["amd64", "arm64"] } } });
            assert.ok(one(e, DEPLOYMENT, "pod"));
            assert.deepEqual(notices, []);
            const config = { project: "app-coupling", stack: "test", imageRegistry: "localhost:5001" } as Parameters<typeof imageRepository>[0];
            const builtImages = IMAGES_FOR.pod.map((n) => `${imageRepository(config, n)}:${imageTag(DEFAULT_IMAGES_DIR, n, "linux/arm64")}`);
            const again = await evaluate({ coupling: "pod" }, {
                hostArch: "arm64", stackOutputs: { [SELF]: { builtImages } }, clusters: { "": new Error("an unchanged run must not read the nodes") },
            });
            assert.deepEqual(nodeSelectors(again), [["pod", { [ARCH]: "arm64" }]]);
            assert.deepEqual(notices, []);
        });

        it("prebuilt images are pinned only when platform says what they are", async () => {
            const unsaid = await evaluate({ coupling: "pod", images: PREBUILT });
            assert.deepEqual(nodeSelectors(unsaid), [["pod", undefined]], "a prebuilt reference may be a multi-arch index");
            const said = await evaluate({ coupling: "pod", images: PREBUILT, platform: "linux/amd64" });
            assert.deepEqual(nodeSelectors(said), [["pod", { [ARCH]: "amd64" }]]);
        });

        it("render mode reads no nodes, so it does not read the stack's last images either (no StackReference to itself)", async () => {
            // the self-read races the file backend's checkpoint writes (docs/evidence.md); here it would decide nothing
            const values = { coupling: "pod", images: PREBUILT, platform: "linux/amd64" };
            const selfReads = (e: Evaluation) => ofType(e, "pulumi:pulumi:StackReference").filter((r) => r.name === "previous-outputs");
            const rendered = await evaluate({ ...values, renderYamlTo: "out" }, { clusters: { "": new Error("render mode must not read a cluster") } });
            assert.deepEqual(nodeSelectors(rendered), [["pod", { [ARCH]: "amd64" }]]);
            assert.deepEqual(selfReads(rendered), []);
            const applied = await evaluate(values, { clusters: { "": { nodeArchitectures: ["amd64"] } } });
            assert.equal(selfReads(applied).length, 1, "applying, the last images decide whether the nodes are read");
        });

        it("the stacks that deploy to shared clusters (staging, prod) pin their platform", () => {
            for (const stack of ["staging", "prod"]) {
                assert.equal(stackFiles().find((s) => s.stack === stack)!.values.platform, "linux/amd64", stack);
            }
        });
    });

    describe("4. clusters.allowFrom is enforced where the caller's address is known: at the load balancer", () => {
        it("the load balancer gets the ranges; the NetworkPolicy opens the adapter port without an ipBlock a proxy would defeat", async () => {
            const ranges = ["198.51.100.0/24"];
            const e = await evaluate({ coupling: "clusters", clusters: { ...TWO_CLUSTERS, allowFrom: ranges } });
            const svc = one(e, "kubernetes:core/v1:Service", "generator");
            assert.deepEqual(svc.inputs.spec.loadBalancerSourceRanges, ranges);
            assert.equal(svc.inputs.spec.externalTrafficPolicy, "Cluster");
            const policy = one(e, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "adapter-ingress").inputs.spec;
            assert.deepEqual(policy.ingress, [{ ports: [{ port: 8080, protocol: "TCP" }] }]);
            assert.doesNotMatch(JSON.stringify(policy), /ipBlock/);
        });

        it("the default admits private addresses only, and the preview says so (issue 18 item 8)", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: TWO_CLUSTERS });
            assert.deepEqual(one(e, "kubernetes:core/v1:Service", "generator").inputs.spec.loadBalancerSourceRanges,
                ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
            assert.deepEqual(notices.filter((n) => n.includes("allowFrom")), []);
            assert.equal(informed.length, 1);
            assert.match(informed[0], /clusters\.allowFrom is the default: the generator's load balancer admits private addresses only/);
        });

        it("a range open to everyone is deployed as asked, with a warning at preview", async () => {
            for (const open of ["0.0.0.0/0", "::/0"]) {
                notices.length = 0;
                const e = await evaluate({ coupling: "clusters", clusters: { ...TWO_CLUSTERS, allowFrom: ["198.51.100.0/24", open] } });
                assert.deepEqual(one(e, "kubernetes:core/v1:Service", "generator").inputs.spec.loadBalancerSourceRanges, ["198.51.100.0/24", open]);
                const said = notices.filter((n) => n.startsWith("clusters.allowFrom"));
                assert.equal(said.length, 1, open);
                assert.match(said[0], new RegExp(`clusters\\.allowFrom admits every address \\(${open.replace(/\./g, "\\.")}\\)`));
            }
        });

        it("in one cluster (service) the adapter still admits echo's pods only", async () => {
            const e = await evaluate({ coupling: "service" });
            const policy = one(e, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "adapter-ingress").inputs.spec;
            assert.deepEqual(Object.keys(policy.ingress[0].from[0]), ["podSelector"]);
        });
    });

    describe("5. an IPv6 load-balancer address becomes a usable URL", () => {
        it("httpOrigin writes hosts as the WHATWG URL standard does", () => {
            assert.equal(httpOrigin("fd00::1", 8080), "http://[fd00::1]:8080");
            assert.equal(httpOrigin("2001:db8:0:0::7", 8000), "http://[2001:db8::7]:8000");
            assert.equal(httpOrigin("203.0.113.7", 8080), "http://203.0.113.7:8080");
            assert.equal(httpOrigin("ab12.elb.eu-west-1.amazonaws.com", 8080), "http://ab12.elb.eu-west-1.amazonaws.com:8080");
            for (const url of [httpOrigin("fd00::1", 8080), httpOrigin("203.0.113.7", 8080)]) assert.equal(new URL(url).origin, url);
        });

        const upstreamOf = (e: Evaluation) =>
            one(e, DEPLOYMENT, "echo").inputs.spec.template.spec.containers[0].env.find((v: { name: string }) => v.name === "UPSTREAM_URL").value;

        it("clusters: echo's UPSTREAM_URL and the generatorUrl output bracket an IPv6 generator address", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: TWO_CLUSTERS }, { loadBalancerIngress: { ip: "fd00::1" } });
            assert.equal(e.outputs.generatorUrl, "http://[fd00::1]:8080");
            assert.equal(upstreamOf(e), "http://[fd00::1]:8080");
            assert.doesNotThrow(() => new URL(`${upstreamOf(e)}/data`));
        });

        it("serviceType LoadBalancer: externalUrl brackets an IPv6 echo address, and a host name stays as it is", async () => {
            const v6 = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" }, { loadBalancerIngress: { ip: "fd00::2" } });
            assert.equal(v6.outputs.externalUrl, "http://[fd00::2]:8000/data");
            const named = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" }, { loadBalancerIngress: { hostname: "echo.lb.example.test" } });
            assert.equal(named.outputs.externalUrl, "http://echo.lb.example.test:8000/data");
        });
    });

    describe("7. one disruption budget over echo's pods, whatever the coupling", () => {
        // Two budgets selecting one pod make its eviction fail outright (kubernetes
        // pkg/registry/core/pod/storage/eviction.go: `if len(pdbs) > 1` -> 500 "This pod has
        // more than one PodDisruptionBudget, which the eviction subresource does not
        // support."). A budget whose URN changes with the coupling is created before the old
        // one is deleted (it is auto-named, so create-before-delete), so during every switch
        // two of them select echo's pods. One URN means the switch updates it in place.
        const WITH_BUDGET: [string, Record<string, unknown>][] = [
            ["volume (ReadWriteMany)", { coupling: "volume", storage: { accessMode: "ReadWriteMany" } }],
            ["service", { coupling: "service" }],
            ["clusters (echo in the same cluster)", { coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b" } } }],
        ];

        it("volume, service and clusters register it with the same URN, and it selects each coupling's echo pods", async () => {
            const urns = new Set<string>();
            for (const [title, values] of WITH_BUDGET) {
                const e = await evaluate({ ...values, echoReplicas: 3 });
                const budgets = ofType(e, PDB);
                assert.equal(budgets.length, 1, title);
                urns.add(engineUrn(e, budgets[0]));
                const echo = one(e, DEPLOYMENT, "echo");
                assert.ok(selects(budgets[0].inputs.spec.selector.matchLabels, echo.inputs.spec.template.metadata.labels), title);
                for (const d of ofType(e, DEPLOYMENT).filter((x) => x !== echo)) {
                    assert.ok(!selects(budgets[0].inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels), `${title}: ${d.name}`);
                }
            }
            assert.deepEqual([...urns], ["app-coupling:index:Cluster$kubernetes:policy/v1:PodDisruptionBudget::echo"]);
        });

        it("none where echo is not its own Deployment or shares one ReadWriteOnce node, whatever echoReplicas says", async () => {
            for (const coupling of ["pod", "container", "volume"]) {
                // echoReplicas is kept for a later switch where echo is not its own workload (issue 18), or refused
                const e = await evaluate({ coupling, echoReplicas: 3 }).catch((err: Error) => {
                    assert.equal(err.name, "ConfigError", String(err));
                    return undefined;
                });
                if (e) assert.equal(ofType(e, PDB).length, 0, coupling);
            }
        });
    });
});

