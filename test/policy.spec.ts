import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzerResourceOptions } from "@pulumi/pulumi/proto/analyzer_pb";
import { policies, violationsFor } from "../policy/rules";

const digest = "a".repeat(64);
const image = `reg/x@sha256:${digest}`;

const restricted = () => ({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
});

const resources = () => ({
    requests: { cpu: "10m", memory: "16Mi" },
    limits: { cpu: "100m", memory: "64Mi" },
});

const container = (name: string) => ({
    name,
    image,
    securityContext: restricted(),
    resources: resources(),
    readinessProbe: { httpGet: { path: "/ready", port: 8000 } },
    livenessProbe: { httpGet: { path: "/healthz", port: 8000 } },
});

/** A pod spec that passes every rule: two containers and an init container. */
const podSpec = (): any => ({
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    initContainers: [{ name: "setup", image, securityContext: restricted(), resources: resources() }],
    containers: [container("generator"), container("echo")],
});

const deployment = (spec = podSpec()): any => ({
    metadata: { name: "app" },
    spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec } },
});

const D = "kubernetes:apps/v1:Deployment";

/** Violations of a Deployment whose pod spec is the compliant one changed by `mutate`. */
function violationsAfter(mutate: (pod: any) => void, type = D) {
    const pod = podSpec();
    mutate(pod);
    return violationsFor(type, deployment(pod));
}

const echo = (pod: any) => pod.containers[1];
const setup = (pod: any) => pod.initContainers[0];

/** Asserts exactly one violation, of `policy`, naming `containerLabel` and containing `text`. */
function assertOnly(vs: { policy: string; message: string }[], policy: string, containerLabel: string, text: string) {
    assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
    assert.equal(vs[0].policy, policy);
    assert.ok(vs[0].message.includes(containerLabel), vs[0].message);
    assert.ok(vs[0].message.includes(text), vs[0].message);
}

describe("policy pack rules", () => {
    it("has the nine policies, all mandatory", () => {
        assert.deepEqual(policies.map((p) => p.name).sort(), [
            "drop-all-capabilities",
            "images-pinned-by-digest",
            "namespace-pod-security-restricted",
            "no-privilege-escalation",
            "pods-run-as-non-root",
            "probes-present",
            "read-only-root-filesystem",
            "resources-set",
            "seccomp-runtime-default",
        ]);
        assert.ok(policies.every((p) => p.enforcementLevel === "mandatory"));
    });

    it("accepts a compliant Deployment", () => {
        assert.deepEqual(violationsFor(D, deployment()), []);
    });

    it("accepts the same pod in every workload type", () => {
        const template = { spec: podSpec() };
        for (const type of ["StatefulSet", "DaemonSet", "ReplicaSet"]) {
            assert.deepEqual(violationsFor(`kubernetes:apps/v1:${type}`, { spec: { template } }), [], type);
        }
        assert.deepEqual(violationsFor("kubernetes:batch/v1:Job", { spec: { template } }), []);
    });

    it("names the workload kind, resource name and container", () => {
        const pod = podSpec();
        echo(pod).securityContext.allowPrivilegeEscalation = true;
        assert.deepEqual(violationsFor(D, deployment(pod), "echo-deploy"), [
            {
                policy: "no-privilege-escalation",
                message: 'Deployment "echo-deploy" container "echo": allowPrivilegeEscalation must be false',
            },
        ]);
    });

    describe("pods-run-as-non-root", () => {
        it("fails without runAsNonRoot", () => {
            const vs = violationsAfter((pod) => delete pod.securityContext.runAsNonRoot);
            assert.deepEqual(vs.map((v) => v.policy), Array(3).fill("pods-run-as-non-root"));
            assert.ok(vs[0].message.includes('init container "setup"') && vs[0].message.includes("runAsNonRoot must be true"));
        });
        it("fails when one container overrides runAsNonRoot to false", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.runAsNonRoot = false)),
                "pods-run-as-non-root", 'container "echo"', "runAsNonRoot must be true");
        });
        it("accepts runAsNonRoot set on every container instead of the pod", () => {
            assert.deepEqual(violationsAfter((pod) => {
                delete pod.securityContext.runAsNonRoot;
                [...pod.initContainers, ...pod.containers].forEach((c: any) => (c.securityContext.runAsNonRoot = true));
            }), []);
        });
        it("accepts an OpenShift-style pod: runAsNonRoot true, no runAsUser", () => {
            assert.deepEqual(violationsAfter((pod) => delete pod.securityContext.runAsUser), []);
        });
        it("fails a container with runAsUser 0", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.runAsUser = 0)),
                "pods-run-as-non-root", 'container "echo"', "runAsUser must not be 0");
        });
        it("fails every container when the pod's runAsUser is 0", () => {
            const vs = violationsAfter((pod) => (pod.securityContext.runAsUser = 0));
            assert.equal(vs.length, 3);
            assert.ok(vs.every((v) => v.policy === "pods-run-as-non-root" && v.message.includes("runAsUser must not be 0")));
        });
    });

    describe("no-privilege-escalation", () => {
        it("fails when allowPrivilegeEscalation is unset", () => {
            assertOnly(
                violationsAfter((pod) => delete setup(pod).securityContext.allowPrivilegeEscalation),
                "no-privilege-escalation", 'init container "setup"', "allowPrivilegeEscalation must be false");
        });
        it("fails a privileged container", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.privileged = true)),
                "no-privilege-escalation", 'container "echo"', "privileged must not be true");
        });
    });

    describe("drop-all-capabilities", () => {
        it("fails when ALL is not dropped", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.capabilities.drop = ["NET_RAW"])),
                "drop-all-capabilities", 'container "echo"', 'capabilities.drop must include "ALL"');
        });
        it("fails when a capability other than NET_BIND_SERVICE is added", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.capabilities.add = ["NET_BIND_SERVICE", "SYS_ADMIN"])),
                "drop-all-capabilities", 'container "echo"', "not SYS_ADMIN");
        });
        it("accepts adding NET_BIND_SERVICE", () => {
            assert.deepEqual(violationsAfter((pod) => (echo(pod).securityContext.capabilities.add = ["NET_BIND_SERVICE"])), []);
        });
    });

    describe("seccomp-runtime-default", () => {
        it("fails a container that overrides the pod's profile with Unconfined", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.seccompProfile = { type: "Unconfined" })),
                "seccomp-runtime-default", 'container "echo"', "got Unconfined");
        });
        it("accepts a Localhost profile set on the container only", () => {
            assert.deepEqual(violationsAfter((pod) => {
                delete pod.securityContext.seccompProfile;
                [...pod.initContainers, ...pod.containers].forEach(
                    (c: any) => (c.securityContext.seccompProfile = { type: "Localhost", localhostProfile: "p.json" }));
            }), []);
        });
    });

    describe("read-only-root-filesystem", () => {
        it("fails a writable root filesystem", () => {
            assertOnly(
                violationsAfter((pod) => (echo(pod).securityContext.readOnlyRootFilesystem = false)),
                "read-only-root-filesystem", 'container "echo"', "readOnlyRootFilesystem must be true");
        });
    });

    describe("resources-set", () => {
        it("fails a container without a CPU limit", () => {
            assertOnly(
                violationsAfter((pod) => delete echo(pod).resources.limits.cpu),
                "resources-set", 'container "echo"', "limits.cpu must be set");
        });
        it("fails an init container without resources", () => {
            assertOnly(
                violationsAfter((pod) => delete setup(pod).resources),
                "resources-set", 'init container "setup"',
                "requests.cpu, requests.memory, limits.cpu, limits.memory must be set");
        });
    });

    describe("images-pinned-by-digest", () => {
        const imageMessage = (img: string | undefined) => {
            const vs = violationsAfter((pod) => (echo(pod).image = img));
            assertOnly(vs, "images-pinned-by-digest", 'container "echo"', "");
            return vs[0].message;
        };
        it("fails :latest, no tag, and tag-only images with distinct messages", () => {
            const messages = [
                imageMessage("reg/x:latest"),
                imageMessage("localhost:5001/x"),
                imageMessage("localhost:5001/x:1.2.3"),
            ];
            assert.ok(messages[0].includes(":latest tag"), messages[0]);
            assert.ok(messages[1].includes("no tag or digest"), messages[1]);
            assert.ok(messages[2].includes("pinned by tag only"), messages[2]);
        });
        it("fails a malformed digest and a missing image", () => {
            assert.ok(imageMessage("reg/x@sha256:abc").includes("malformed digest"));
            assert.ok(imageMessage(undefined).includes("image is not set"));
        });
        it("accepts a digest that also carries a tag", () => {
            assert.deepEqual(violationsAfter((pod) => (echo(pod).image = `reg:5000/x:1.0@sha256:${digest}`)), []);
        });
    });

    describe("probes-present", () => {
        it("fails a container without probes, naming each", () => {
            assertOnly(
                violationsAfter((pod) => {
                    delete echo(pod).readinessProbe;
                    delete echo(pod).livenessProbe;
                }),
                "probes-present", 'container "echo"', "readinessProbe must be set; livenessProbe must be set");
        });
        it("does not require probes on init containers", () => {
            assert.equal(setup(podSpec()).readinessProbe, undefined);
            assert.deepEqual(violationsFor(D, deployment()), []);
        });
    });

    describe("other workload shapes", () => {
        it("walks a CronJob's job template", () => {
            const cronJob = (spec: any) => ({
                spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec } } } },
            });
            const C = "kubernetes:batch/v1:CronJob";
            assert.deepEqual(violationsFor(C, cronJob(podSpec())), []);
            const pod = podSpec();
            echo(pod).image = "reg/x:latest";
            assertOnly(violationsFor(C, cronJob(pod), "nightly"), "images-pinned-by-digest",
                'CronJob "nightly" container "echo"', ":latest");
        });
        it("walks a bare Pod's spec", () => {
            const P = "kubernetes:core/v1:Pod";
            assert.deepEqual(violationsFor(P, { spec: podSpec() }), []);
            const pod = podSpec();
            setup(pod).securityContext.readOnlyRootFilesystem = false;
            assertOnly(violationsFor(P, { spec: pod }, "p"), "read-only-root-filesystem",
                'Pod "p" init container "setup"', "readOnlyRootFilesystem must be true");
        });
    });

    describe("namespace-pod-security-restricted", () => {
        const N = "kubernetes:core/v1:Namespace";
        it("accepts a namespace enforcing restricted", () => {
            assert.deepEqual(violationsFor(N, { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } }), []);
        });
        it("fails a namespace without the label, or with a weaker level", () => {
            assert.deepEqual(violationsFor(N, { metadata: { name: "ns" } }, "ns"), [{
                policy: "namespace-pod-security-restricted",
                message: 'Namespace "ns": label pod-security.kubernetes.io/enforce must be "restricted" (not set)',
            }]);
            const vs = violationsFor(N, { metadata: { labels: { "pod-security.kubernetes.io/enforce": "baseline" } } });
            assert.equal(vs.length, 1);
            assert.ok(vs[0].message.includes('got "baseline"'), vs[0].message);
        });
    });

    it("yields nothing for non-workload types", () => {
        assert.deepEqual(violationsFor("kubernetes:core/v1:Service", { spec: { ports: [{ port: 8000 }] } }), []);
        assert.deepEqual(violationsFor("kubernetes:core/v1:ConfigMap", { data: { a: "b" } }), []);
        assert.deepEqual(violationsFor("app-coupling:index:PodCoupling", {}), []);
        assert.deepEqual(violationsFor("pulumi:providers:kubernetes", {}), []);
    });
});

// Runs policy/index.ts the way `pulumi preview --policy-pack policy` does (the Node.js policy-pack
// runner, which type-checks it with ts-node and serves it over gRPC) and talks to it as the engine would.
let pack: ChildProcess | undefined;
let packPort: Promise<string> | undefined;

// Started with the whole run (a root-level hook), not with its tests: the runner
// type-checks the pack for seconds, on the other core while the specs before it run.
before(() => {
    const runner = path.resolve(__dirname, "../node_modules/@pulumi/pulumi/cmd/run-policy-pack");
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TS_NODE_")));
    const child = spawn(process.execPath, [runner, "engine-address-unused", "."], {
        cwd: path.resolve(__dirname, "../policy"),
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    pack = child;
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    packPort = new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (d) => resolve(String(d).trim()));
        child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    packPort.catch(() => undefined); // reported by the tests' before hook, not as an unhandled rejection
});
after(() => { pack?.kill(); });

describe("policy pack served by the Pulumi runtime", function () {
    let client: AnalyzerClient;

    before(async () => {
        client = new AnalyzerClient(`127.0.0.1:${await packPort}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
    });

    const analyze = (type: string, props: any, name: string) =>
        new Promise<{ policy: string; message: string; level: number }[]>((resolve, reject) => {
            const req = new AnalyzeRequest();
            req.setType(type);
            req.setName(name);
            req.setUrn(`urn:pulumi:dev::app-coupling::${type}::${name}`);
            req.setProperties(Struct.fromJavaScript(props));
            req.setOptions(new AnalyzerResourceOptions());
            client.analyze(req, (err, resp) => err ? reject(err) : resolve(resp.getDiagnosticsList().map((d) => ({
                policy: d.getPolicyname(), message: d.getMessage(), level: d.getEnforcementlevel(),
            }))));
        });

    it("serves the nine policies as mandatory", async () => {
        const info = await new Promise<any>((resolve, reject) =>
            client.getAnalyzerInfo(new Empty(), (err, resp) => err ? reject(err) : resolve(resp.toObject())));
        assert.equal(info.name, "app-coupling");
        assert.deepEqual(info.policiesList.map((p: any) => p.name).sort(), policies.map((p) => p.name).sort());
        assert.ok(info.policiesList.every((p: any) => p.enforcementlevel === 1 /* MANDATORY */));
    });

    it("reports what violationsFor reports", async () => {
        const pod = podSpec();
        echo(pod).image = "reg/x:latest";
        const got = await analyze(D, deployment(pod), "echo");
        assert.deepEqual(got.map((d) => d.policy), ["images-pinned-by-digest"]);
        assert.ok(got[0].message.endsWith(violationsFor(D, deployment(pod), "echo")[0].message), got[0].message);
        assert.deepEqual(await analyze(D, deployment(), "echo"), []);
        assert.deepEqual(await analyze("kubernetes:core/v1:Service", { spec: {} }, "svc"), []);
    });
});
