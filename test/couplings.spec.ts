// The exact shape each coupling produces: which images are built, the workloads'
// containers, images, volumes, mounts, env, selectors, providers and URLs.
import { strict as assert } from "assert";
import {
    container, containers, DEPLOYMENT, DOCKER_PROVIDER, envOf, evaluate, Evaluation, IMAGE, K8S_PROVIDER, NAMESPACE, NETWORK_POLICY, ofType, one,
    isSecretValue, PDB, podSpec, PVC, Registered, REGISTRY_IMAGE, reveal, selects, SERVICE,
} from "./harness";

const CLUSTERS = { generator: { context: "kind-gen" }, echo: { context: "kind-echo", kubeconfig: "/tmp/echo.kubeconfig" } };
const DIGEST_REF = /^localhost:5001\/app-coupling-(generator|echo|app)@sha256:[a-f0-9]{64}$/;

function builtImages(e: Evaluation): string[] {
    return ofType(e, IMAGE).map((r) => r.name).sort();
}

function imageOf(e: Evaluation, name: string): string {
    return (e.outputs.images as Record<string, string>)[name];
}

function echoService(e: Evaluation): Registered {
    return one(e, SERVICE, "echo");
}

/** The Deployments whose pods the echo Service selects. */
function echoBackends(e: Evaluation): Registered[] {
    const selector = echoService(e).inputs.spec.selector;
    return ofType(e, DEPLOYMENT).filter((d) => selects(selector, d.inputs.spec.template.metadata.labels));
}

/** Best-effort spread of a Deployment's own pods over nodes. */
function assertSpreadsOwnPods(d: Registered) {
    const [spread, ...more] = podSpec(d).topologySpreadConstraints;
    assert.equal(more.length, 0);
    assert.equal(spread.topologyKey, "kubernetes.io/hostname");
    assert.equal(spread.whenUnsatisfiable, "ScheduleAnyway");
    assert.equal(spread.maxSkew, 1);
    assert.ok(selects(spread.labelSelector.matchLabels, d.inputs.spec.template.metadata.labels));
}

function assertDeploymentSelectsOwnPods(d: Registered) {
    assert.ok(selects(d.inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels),
        `${d.name}: selector does not match its pod template`);
}

describe("images component", () => {
    it("builds only what each coupling runs, tagged by content hash and platform, deployed by the registry's digest", async () => {
        for (const [coupling, expected, extra] of [
            ["container", ["app"], {}], ["pod", ["echo", "generator"], {}], ["volume", ["echo", "generator"], {}],
            ["service", ["echo", "generator"], {}], ["clusters", ["echo", "generator"], { clusters: CLUSTERS }],
        ] as const) {
            const e = await evaluate({ coupling, ...extra });
            assert.deepEqual(builtImages(e), expected, coupling);
            const provider = one(e, DOCKER_PROVIDER, "images");
            for (const image of ofType(e, IMAGE)) {
                assert.match(image.inputs.imageName, new RegExp(`^localhost:5001/app-coupling-${image.name}:amd64-[a-f0-9]{16}$`));
                assert.equal(image.inputs.build.platform, "linux/amd64");
                assert.equal(image.inputs.build.context, image.name === "app" ? "images" : `images/${image.name}`);
                assert.equal(image.inputs.build.dockerfile, `images/${image.name}/Dockerfile`);
                // the Image builds only; its repoDigest is then the local image ID (provider/image.go)
                assert.equal(image.inputs.skipPush, true);
                assert.equal(image.inputs.registry, undefined, "no credentials on the Image: it pushes nothing");
                assert.equal(image.providerUrn, provider.urn);
                // the RegistryImage pushes exactly that tag, and keeps the old digest when replaced
                const pushed = one(e, REGISTRY_IMAGE, image.name);
                assert.equal(pushed.inputs.name, image.inputs.imageName);
                assert.equal(pushed.inputs.keepRemotely, true);
                assert.equal(pushed.providerUrn, provider.urn);
                // the pods run the digest the registry reports for the pushed tag
                const [repository] = image.inputs.imageName.split(":amd64-");
                assert.equal(imageOf(e, image.name), `${repository}@${pushed.state.sha256Digest}`);
            }
            assert.deepEqual(ofType(e, REGISTRY_IMAGE).map((r) => r.name).sort(), expected);
            assert.deepEqual(Object.keys(e.outputs.images as object).sort(), expected);
            for (const ref of Object.values(e.outputs.images as object)) assert.match(ref, DIGEST_REF);
        }
    });

    it("tags differ between platforms, so two architectures never share a tag", async () => {
        const amd = await evaluate({ coupling: "pod" }, { hostArch: "x64" });
        const arm = await evaluate({ coupling: "pod" }, { hostArch: "arm64" });
        const tag = (e: Evaluation, n: string) => one(e, IMAGE, n).inputs.imageName.split(":").pop();
        assert.match(tag(arm, "generator"), /^arm64-/);
        assert.notEqual(tag(amd, "generator").slice(6), tag(arm, "generator").slice(6));
        assert.equal(one(arm, IMAGE, "echo").inputs.build.platform, "linux/arm64");
    });

    it("builds every coupling's images for each platform, explicit or from the host", async () => {
        for (const coupling of ["container", "pod", "volume", "service", "clusters"]) {
            const extra = coupling === "clusters" ? { clusters: CLUSTERS } : {};
            for (const [values, hostArch, arch] of [
                [{}, "arm64", "arm64"], [{}, "x64", "amd64"], [{ platform: "linux/arm64" }, "x64", "arm64"], [{ platform: "linux/amd64" }, "arm64", "amd64"],
            ] as const) {
                const e = await evaluate({ coupling, ...extra, ...values }, { hostArch });
                for (const image of ofType(e, IMAGE)) {
                    assert.equal(image.inputs.build.platform, `linux/${arch}`, `${coupling} ${image.name}`);
                    assert.match(image.inputs.imageName, new RegExp(`:${arch}-[a-f0-9]{16}$`));
                }
            }
        }
    });

    it("pushes with the configured credentials (the provider's registryAuth), the password a secret", async () => {
        const e = await evaluate({ coupling: "pod", imageRegistry: "ghcr.io/acme", registryUsername: "ci", registryPassword: "hunter2" },
            { secretKeys: ["registryPassword"] });
        assert.match(one(e, IMAGE, "generator").inputs.imageName, /^ghcr\.io\/acme\/app-coupling-generator:/);
        assert.match(one(e, REGISTRY_IMAGE, "generator").inputs.name, /^ghcr\.io\/acme\/app-coupling-generator:/);
        // the SDK sends a provider's object inputs as JSON; the password makes it a secret
        const provider = one(e, DOCKER_PROVIDER, "images");
        assert.ok(isSecretValue(provider.inputs.registryAuth), "registryAuth, password included, is a secret");
        assert.deepEqual(JSON.parse(reveal(provider.inputs.registryAuth)), [{ address: "ghcr.io", username: "ci", password: "hunter2" }]);
        for (const r of [...ofType(e, IMAGE), ...ofType(e, REGISTRY_IMAGE)]) {
            assert.ok(!JSON.stringify(r.inputs).includes("hunter2"), `${r.type} ${r.name} carries no password`);
        }
    });

    it("pushes to imageRegistry and, with pullRegistry, has pods pull the same digest from there", async () => {
        const e = await evaluate({
            coupling: "pod", imageRegistry: "default-route-openshift-image-registry.apps.example.test/demo",
            pullRegistry: "image-registry.openshift-image-registry.svc:5000/demo",
        });
        const pushed = one(e, REGISTRY_IMAGE, "echo");
        assert.match(pushed.inputs.name, /^default-route-openshift-image-registry\.apps\.example\.test\/demo\/app-coupling-echo:/);
        assert.equal(container(one(e, DEPLOYMENT, "pod"), "echo").image,
            `image-registry.openshift-image-registry.svc:5000/demo/app-coupling-echo@${pushed.state.sha256Digest}`);
        assert.equal(imageOf(e, "echo"), container(one(e, DEPLOYMENT, "pod"), "echo").image);
    });

    it("uses push credentials for pushing only when pods pull from another registry", async () => {
        const e = await evaluate({
            coupling: "pod", openshift: true, imageRegistry: "route.apps.example.test/images", pullRegistry: "image-registry.openshift-image-registry.svc:5000/images",
            registryUsername: "pusher", registryPassword: "token",
        }, { secretKeys: ["registryPassword"] });
        assert.equal(JSON.parse(reveal(one(e, DOCKER_PROVIDER, "images").inputs.registryAuth))[0].address, "route.apps.example.test");
        assert.equal(ofType(e, "kubernetes:core/v1:Secret").length, 0);
        assert.equal(podSpec(one(e, DEPLOYMENT, "pod")).imagePullSecrets, undefined);
        assert.equal(one(e, "kubernetes:core/v1:ServiceAccount", "app-workload").inputs.imagePullSecrets, undefined);
    });

    it("builds nothing with prebuilt images and deploys exactly those references", async () => {
        const gen = `reg.example/gen@sha256:${"1".repeat(64)}`;
        const echo = `reg.example/echo@sha256:${"2".repeat(64)}`;
        const e = await evaluate({ coupling: "volume", images: { generator: gen, echo } });
        assert.deepEqual(builtImages(e), []);
        assert.deepEqual(e.resources.filter((r) => r.type.startsWith("docker:") || r.type === DOCKER_PROVIDER), [], "no push, no docker provider");
        assert.equal(container(one(e, DEPLOYMENT, "generator"), "generator").image, gen);
        assert.equal(container(one(e, DEPLOYMENT, "echo"), "echo").image, echo);
        assert.deepEqual(e.outputs.images, { generator: gen, echo });
    });

    it("promotes the digests another stack exported (imagesFromStack)", async () => {
        const app = `reg.example/app@sha256:${"3".repeat(64)}`;
        const e = await evaluate({ coupling: "container", imagesFromStack: "acme/app-coupling/build" },
            { stackOutputs: { "acme/app-coupling/build": { images: { app } } } });
        assert.deepEqual(builtImages(e), []);
        assert.deepEqual(e.resources.filter((r) => r.type.startsWith("docker:") || r.type === DOCKER_PROVIDER), [], "no push, no docker provider");
        assert.equal(one(e, "pulumi:pulumi:StackReference", "images-from-acme/app-coupling/build").inputs.name, "acme/app-coupling/build");
        assert.equal(container(one(e, DEPLOYMENT, "app"), "app").image, app);
    });

    it("fails clearly when the referenced stack exports no digest for a needed image", async () => {
        await assert.rejects(evaluate({ coupling: "pod", imagesFromStack: "acme/app-coupling/build" },
            { stackOutputs: { "acme/app-coupling/build": { images: { generator: "reg/gen:latest" } } } }),
        /imagesFromStack: stack acme\/app-coupling\/build exports no digest-pinned "(generator|echo)" image/);
    });
});

describe("coupling: container", () => {
    let e: Evaluation;
    before(async () => { e = await evaluate({ coupling: "container", generatorIntervalSeconds: "0.5", maxLines: "500" }); });

    it("runs one container, `app`, from the combined image, on an emptyDir", () => {
        const app = one(e, DEPLOYMENT, "app");
        assert.equal(ofType(e, DEPLOYMENT).length, 1);
        assert.deepEqual(containers(app).map((c) => c.name), ["app"]);
        const c = container(app, "app");
        assert.equal(c.image, imageOf(e, "app"));
        assert.deepEqual(envOf(c), { DATA_DIR: "/data", INTERVAL_SECONDS: "0.5", MAX_LINES: "500", PORT: "8000" });
        assert.deepEqual(c.volumeMounts, [{ name: "data", mountPath: "/data" }]);
        // 500 lines x 6 bytes, twice (file + trimmed copy), rounded up, plus 1 MiB slack
        assert.deepEqual(podSpec(app).volumes, [{ name: "data", emptyDir: { sizeLimit: "2Mi" } }]);
        assert.deepEqual(c.ports, [{ name: "http", containerPort: 8000, protocol: "TCP" }]);
        assert.equal(app.inputs.spec.replicas, 1);
        assertDeploymentSelectsOwnPods(app);
    });

    it("probes both programs: liveness fails when either is dead", () => {
        const c = container(one(e, DEPLOYMENT, "app"), "app");
        assert.deepEqual(c.livenessProbe.exec.command, ["/app/app.sh", "--check"]);
        assert.equal(c.readinessProbe.httpGet.path, "/ready");
    });

    it("the echo Service selects the app pods on port 8000", () => {
        assert.deepEqual(echoBackends(e).map((d) => d.name), ["app"]);
        assert.deepEqual(echoService(e).inputs.spec.ports, [{ name: "http", port: 8000, targetPort: "http", protocol: "TCP" }]);
        assert.equal(echoService(e).inputs.spec.type, "ClusterIP");
    });
});

describe("coupling: pod", () => {
    let e: Evaluation;
    before(async () => { e = await evaluate({ coupling: "pod", generatorIntervalSeconds: "3", maxLines: "200000" }); });

    it("runs generator and echo as two containers of one pod, each from its own image", () => {
        const pod = one(e, DEPLOYMENT, "pod");
        assert.equal(ofType(e, DEPLOYMENT).length, 1);
        assert.deepEqual(containers(pod).map((c) => c.name), ["generator", "echo"]);
        assert.equal(container(pod, "generator").image, imageOf(e, "generator"));
        assert.equal(container(pod, "echo").image, imageOf(e, "echo"));
        assert.notEqual(imageOf(e, "generator"), imageOf(e, "echo"));
        assertDeploymentSelectsOwnPods(pod);
    });

    it("shares one emptyDir: generator writes it, echo mounts it read-only", () => {
        const pod = one(e, DEPLOYMENT, "pod");
        assert.deepEqual(podSpec(pod).volumes, [{ name: "data", emptyDir: { sizeLimit: "4Mi" } }]);
        assert.deepEqual(container(pod, "generator").volumeMounts, [{ name: "data", mountPath: "/data" }]);
        assert.deepEqual(container(pod, "echo").volumeMounts, [{ name: "data", mountPath: "/data", readOnly: true }]);
    });

    it("passes the config to the programs", () => {
        const pod = one(e, DEPLOYMENT, "pod");
        assert.deepEqual(envOf(container(pod, "generator")), { DATA_DIR: "/data", INTERVAL_SECONDS: "3", MAX_LINES: "200000" });
        assert.deepEqual(envOf(container(pod, "echo")), { PORT: "8000", DATA_DIR: "/data" });
    });

    it("probes each container on its own terms", () => {
        const pod = one(e, DEPLOYMENT, "pod");
        assert.deepEqual(container(pod, "generator").livenessProbe.exec.command, ["/app/generator.sh", "--check"]);
        assert.equal(container(pod, "echo").readinessProbe.httpGet.path, "/ready");
        assert.equal(container(pod, "echo").livenessProbe.httpGet.path, "/healthz");
    });

    it("the echo Service selects the pod, port 8000 to the echo container's named port", () => {
        assert.deepEqual(echoBackends(e).map((d) => d.name), ["pod"]);
        const port = echoService(e).inputs.spec.ports[0];
        assert.equal(port.port, 8000);
        assert.equal(container(one(e, DEPLOYMENT, "pod"), "echo").ports[0].name, port.targetPort);
    });

    it("creates its namespace and puts everything in it, through one provider", () => {
        const ns = one(e, NAMESPACE, "app");
        assert.equal(ns.inputs.metadata.name, "app-coupling-test");
        const provider = one(e, K8S_PROVIDER, "app");
        for (const r of e.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== NAMESPACE)) {
            assert.equal(r.inputs.metadata.namespace, "app-coupling-test", `${r.type} ${r.name}`);
            assert.equal(r.providerUrn, provider.urn, `${r.type} ${r.name} not created through the stack's provider`);
        }
    });

    it("outputs the endpoint, namespace, images and a port-forward command", () => {
        const svcName = echoService(e).state.metadata.name;
        assert.equal(e.outputs.coupling, "pod");
        assert.equal(e.outputs.namespace, "app-coupling-test");
        // `<svc>.<ns>.svc`: resolved through the pod's search path, whatever the cluster domain
        assert.equal(e.outputs.endpoint, `http://${svcName}.app-coupling-test.svc:8000/data`);
        assert.equal(e.outputs.portForward, `kubectl -n app-coupling-test port-forward svc/${svcName} 8000:8000`);
        assert.equal(e.outputs.externalUrl, undefined);
    });

    it("uses the configured kube context, or renders YAML instead of applying", async () => {
        const withContext = await evaluate({ coupling: "pod", context: "kind-dev" });
        assert.equal(one(withContext, K8S_PROVIDER, "app").inputs.context, "kind-dev");
        assert.match(withContext.outputs.portForward as string, /^kubectl --context kind-dev /);
        const rendered = await evaluate({ coupling: "pod", renderYamlTo: "out/manifests", images: { generator: `r/g@sha256:${"a".repeat(64)}`, echo: `r/e@sha256:${"a".repeat(64)}` } });
        assert.equal(one(rendered, K8S_PROVIDER, "app").inputs.renderYamlToDirectory, "out/manifests");
    });
});

describe("coupling: volume", () => {
    it("shares a claim: generator single writer (Recreate), echo read-only with its own replicas", async () => {
        const e = await evaluate({ coupling: "volume", echoReplicas: "3", storage: { size: "5Gi", storageClass: "standard" } });
        const claim = one(e, PVC, "data");
        assert.deepEqual(claim.inputs.spec, { accessModes: ["ReadWriteOnce"], storageClassName: "standard", resources: { requests: { storage: "5Gi" } } });
        const claimName = claim.state.metadata.name;

        const generator = one(e, DEPLOYMENT, "generator");
        assert.equal(generator.inputs.spec.replicas, 1);
        assert.deepEqual(generator.inputs.spec.strategy, { type: "Recreate" });
        assert.deepEqual(podSpec(generator).volumes, [{ name: "data", persistentVolumeClaim: { claimName, readOnly: false } }]);
        assert.deepEqual(container(generator, "generator").volumeMounts, [{ name: "data", mountPath: "/data" }]);
        assert.equal(container(generator, "generator").image, imageOf(e, "generator"));

        const echo = one(e, DEPLOYMENT, "echo");
        assert.equal(echo.inputs.spec.replicas, 3);
        assert.deepEqual(echo.inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        assert.deepEqual(podSpec(echo).volumes, [{ name: "data", persistentVolumeClaim: { claimName, readOnly: true } }]);
        assert.deepEqual(container(echo, "echo").volumeMounts, [{ name: "data", mountPath: "/data", readOnly: true }]);
        assert.equal(container(echo, "echo").image, imageOf(e, "echo"));
        assert.deepEqual(echoBackends(e).map((d) => d.name), ["echo"], "the echo Service selects echo pods only");
        assertDeploymentSelectsOwnPods(generator);
        assertDeploymentSelectsOwnPods(echo);

        assert.equal(ofType(e, PDB).length, 0, "ReadWriteOnce: a budget would block the node's drain");
    });

    it("with ReadWriteOnce, every pod mounting the claim lands on one node, on every reschedule", async () => {
        // Issue 11.5: echo pinned to the generator is not enough — a Recreate rollout or a
        // drain reschedules the generator anywhere, away from the node the volume is attached
        // to (Multi-Attach). Every claim user requires a node running a claim user, and
        // matches that term itself, so the first one scheduled picks the node (the scheduler
        // lets a pod matching its own affinity term go first) and all others follow.
        const e = await evaluate({ coupling: "volume", echoReplicas: "3" });
        const users = ofType(e, DEPLOYMENT).filter((d) => podSpec(d).volumes?.some((v: any) => v.persistentVolumeClaim));
        assert.deepEqual(users.map((d) => d.name).sort(), ["echo", "generator"]);
        for (const d of users) {
            const terms = podSpec(d).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.equal(terms.length, 1, d.name);
            assert.equal(terms[0].topologyKey, "kubernetes.io/hostname");
            for (const other of users) {
                assert.ok(selects(terms[0].labelSelector.matchLabels, other.inputs.spec.template.metadata.labels),
                    `${d.name}'s affinity must select ${other.name}'s pods`);
            }
            assert.ok(!selects(d.inputs.spec.selector.matchLabels, { ...terms[0].labelSelector.matchLabels }),
                "the claim label is not part of the Deployment's selector");
            assert.equal(podSpec(d).topologySpreadConstraints, undefined, "spreading would fight the affinity");
        }
        // pods of other stacks or claims are never selected: the label's value is this claim's name
        const claimName = one(e, PVC, "data").inputs.metadata.name;
        assert.deepEqual(Object.values(podSpec(users[0]).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels), [claimName]);
        assert.equal(ofType(e, PDB).length, 0, "a budget would keep echo pods on a draining node the generator is pinned to");
    });

    it("with ReadWriteMany, echo schedules freely, spread over nodes, with a disruption budget", async () => {
        const e = await evaluate({ coupling: "volume", echoReplicas: "3", storage: { accessMode: "ReadWriteMany" } });
        assert.deepEqual(one(e, PVC, "data").inputs.spec.accessModes, ["ReadWriteMany"]);
        const echo = one(e, DEPLOYMENT, "echo");
        const generator = one(e, DEPLOYMENT, "generator");
        assert.equal(podSpec(echo).affinity, undefined);
        assert.equal(podSpec(generator).affinity, undefined);
        assertSpreadsOwnPods(echo);
        const pdb = one(e, PDB, "echo");
        assert.ok(selects(pdb.inputs.spec.selector.matchLabels, echo.inputs.spec.template.metadata.labels));
        assert.ok(!selects(pdb.inputs.spec.selector.matchLabels, generator.inputs.spec.template.metadata.labels));
    });

    it("retainOnDelete keeps the claim (and its data) when the stack or the coupling goes", async () => {
        const kept = await evaluate({ coupling: "volume", storage: { retainOnDelete: true } });
        assert.equal(one(kept, PVC, "data").retainOnDelete, true);
        const dropped = await evaluate({ coupling: "volume" });
        assert.equal(one(dropped, PVC, "data").retainOnDelete, false);
        assert.equal(one(kept, PVC, "data").urn, one(dropped, PVC, "data").urn);
    });

    it("a retained claim, adopted already Bound when the stack comes back, is not awaited (the provider waits for Pending on WaitForFirstConsumer classes)", async () => {
        // real node (e2e/node): without it, pod -> volume and destroy -> up on the default
        // WaitForFirstConsumer class waited for `Pending` and failed after 5 minutes
        const kept = await evaluate({ coupling: "volume", storage: { retainOnDelete: true } });
        assert.equal(one(kept, PVC, "data").inputs.metadata.annotations["pulumi.com/skipAwait"], "true");
        const dropped = await evaluate({ coupling: "volume" });
        assert.equal(one(dropped, PVC, "data").inputs.metadata.annotations["pulumi.com/skipAwait"], undefined,
            "a claim that is never adopted keeps the provider's await");
    });
});

describe("a coupling switch under traffic", () => {
    // real node (e2e/node): without the drain, 14 of 1631 requests failed (connection
    // refused or reset) over pod -> container -> volume -> service -> pod; with it, none
    for (const coupling of ["container", "pod", "volume", "service", "clusters"]) {
        it(`${coupling}: every server behind a Service drains before SIGTERM, within the grace period; the generator stops at once`, async () => {
            const e = await evaluate({ coupling, ...(coupling === "clusters" ? { clusters: CLUSTERS } : {}) });
            let servers = 0;
            for (const d of ofType(e, DEPLOYMENT)) {
                const grace = podSpec(d).terminationGracePeriodSeconds;
                for (const c of containers(d)) {
                    if (c.ports?.length) {
                        servers++;
                        assert.deepEqual(c.lifecycle, { preStop: { sleep: { seconds: 5 } } }, `${d.name}/${c.name}`);
                        // the drain, then the program's exit within 2 s of SIGTERM, inside the grace period
                        assert.ok(grace >= 5 + 2 + 3, `${d.name}: grace ${grace}s leaves no time after the drain`);
                    } else {
                        assert.equal(c.lifecycle, undefined, `${d.name}/${c.name} serves nothing: nothing to drain`);
                    }
                }
            }
            assert.ok(servers >= 1, "no server container found");
        });
    }
});

describe("coupling: service", () => {
    let e: Evaluation;
    before(async () => { e = await evaluate({ coupling: "service", echoReplicas: "2" }); });

    it("gives the generator pod an adapter sidecar on a shared emptyDir", () => {
        const generator = one(e, DEPLOYMENT, "generator");
        assert.deepEqual(containers(generator).map((c) => c.name), ["generator", "adapter"]);
        const adapter = container(generator, "adapter");
        assert.equal(adapter.image, imageOf(e, "echo"), "the adapter is the echo image in file mode");
        assert.deepEqual(envOf(adapter), { PORT: "8080", DATA_DIR: "/data" });
        assert.deepEqual(adapter.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        assert.deepEqual(adapter.volumeMounts, [{ name: "data", mountPath: "/data", readOnly: true }]);
        assert.deepEqual(container(generator, "generator").volumeMounts, [{ name: "data", mountPath: "/data" }]);
        assert.equal(podSpec(generator).volumes[0].emptyDir.sizeLimit, "2Mi");
        assert.deepEqual(generator.inputs.spec.strategy, { type: "Recreate" });
    });

    it("puts a ClusterIP Service in front of the adapter, selecting the generator pods", () => {
        const svc = one(e, SERVICE, "generator");
        assert.equal(svc.inputs.spec.type, "ClusterIP");
        assert.deepEqual(svc.inputs.spec.ports, [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
        const generator = one(e, DEPLOYMENT, "generator");
        assert.ok(selects(svc.inputs.spec.selector, generator.inputs.spec.template.metadata.labels));
        assert.ok(!selects(svc.inputs.spec.selector, one(e, DEPLOYMENT, "echo").inputs.spec.template.metadata.labels));
    });

    it("runs echo in upstream mode at the generator Service's real name and namespace, with no data volume, its copy on a cache emptyDir", () => {
        const svc = one(e, SERVICE, "generator");
        const echo = one(e, DEPLOYMENT, "echo");
        const c = container(echo, "echo");
        assert.deepEqual(envOf(c), {
            PORT: "8000",
            // no hard-coded cluster domain: `<svc>.<ns>.svc` resolves through the pod's search path
            UPSTREAM_URL: `http://${svc.state.metadata.name}.${svc.inputs.metadata.namespace}.svc:8080`,
            // the copy of the upstream's file on disk, not in memory (it may be 57 MB)
            CACHE_DIR: "/cache",
        });
        assert.deepEqual(c.volumeMounts, [{ name: "cache", mountPath: "/cache" }]);
        assert.deepEqual(podSpec(echo).volumes, [{ name: "cache", emptyDir: { sizeLimit: "2Mi" } }]);
        assert.equal(echo.inputs.spec.replicas, 2);
        assert.deepEqual(echoBackends(e).map((d) => d.name), ["echo"]);
        assert.ok(one(e, PDB, "echo"));
        assertSpreadsOwnPods(echo);
    });

    it("lets only echo pods reach the adapter, and anyone reach echo's port", () => {
        const adapterPolicy = one(e, NETWORK_POLICY, "adapter-ingress").inputs.spec;
        const generator = one(e, DEPLOYMENT, "generator");
        const echo = one(e, DEPLOYMENT, "echo");
        assert.ok(selects(adapterPolicy.podSelector.matchLabels, generator.inputs.spec.template.metadata.labels));
        assert.equal(adapterPolicy.ingress.length, 1);
        assert.deepEqual(adapterPolicy.ingress[0].ports, [{ port: 8080, protocol: "TCP" }]);
        const from = adapterPolicy.ingress[0].from;
        assert.equal(from.length, 1);
        assert.ok(selects(from[0].podSelector.matchLabels, echo.inputs.spec.template.metadata.labels));
        assert.ok(!selects(from[0].podSelector.matchLabels, generator.inputs.spec.template.metadata.labels));

        const echoPolicy = one(e, NETWORK_POLICY, "echo-ingress").inputs.spec;
        assert.ok(selects(echoPolicy.podSelector.matchLabels, echo.inputs.spec.template.metadata.labels));
        assert.deepEqual(echoPolicy.ingress, [{ ports: [{ port: 8000, protocol: "TCP" }] }]);
    });
});

describe("coupling: clusters", () => {
    let e: Evaluation;
    before(async () => { e = await evaluate({ coupling: "clusters", clusters: CLUSTERS, echoReplicas: "2" }); });

    it("builds two providers from the two contexts; the echo side is the program's one site, \"app\"", () => {
        assert.deepEqual(one(e, K8S_PROVIDER, "generator-side").inputs, { context: "kind-gen", enableSecretMutable: "true" });
        assert.deepEqual(one(e, K8S_PROVIDER, "app").inputs, { context: "kind-echo", kubeconfig: "/tmp/echo.kubeconfig", enableSecretMutable: "true" });
    });

    it("creates each side's objects through its own cluster's provider", () => {
        const generatorProvider = one(e, K8S_PROVIDER, "generator-side").urn;
        const echoProvider = one(e, K8S_PROVIDER, "app").urn;
        const expectations: [string, string, string][] = [
            [NAMESPACE, "generator-side", generatorProvider], [DEPLOYMENT, "generator", generatorProvider],
            [SERVICE, "generator", generatorProvider], [NETWORK_POLICY, "adapter-ingress", generatorProvider],
            [NAMESPACE, "app", echoProvider], [DEPLOYMENT, "echo", echoProvider], [SERVICE, "echo", echoProvider],
            [PDB, "echo", echoProvider], [NETWORK_POLICY, "echo-ingress", echoProvider],
        ];
        for (const [type, name, provider] of expectations) assert.equal(one(e, type, name).providerUrn, provider, `${type} ${name}`);
        for (const r of e.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
            assert.ok([generatorProvider, echoProvider].includes(r.providerUrn!), `${r.type} ${r.name} uses no explicit provider`);
        }
        assert.equal(ofType(e, DEPLOYMENT).length, 2);
    });

    it("exposes the generator's adapter with a LoadBalancer, by default to private addresses only", () => {
        const svc = one(e, SERVICE, "generator");
        assert.equal(svc.inputs.spec.type, "LoadBalancer");
        assert.deepEqual(svc.inputs.spec.loadBalancerSourceRanges, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
        assert.equal(svc.inputs.spec.externalTrafficPolicy, "Cluster", "callers are filtered at the load balancer (issue 17 item 4)");
        assert.ok(selects(svc.inputs.spec.selector, one(e, DEPLOYMENT, "generator").inputs.spec.template.metadata.labels));
        const policy = one(e, NETWORK_POLICY, "adapter-ingress").inputs.spec;
        assert.deepEqual(policy.ingress, [{ ports: [{ port: 8080, protocol: "TCP" }] }], "the adapter port, from what the load balancer lets through");
        assert.deepEqual(containers(one(e, DEPLOYMENT, "generator")).map((c) => c.name), ["generator", "adapter"]);
    });

    it("clusters.allowFrom limits the adapter to echo's cluster at the load balancer", async () => {
        const ranges = ["198.51.100.0/24", "2001:db8::/32"];
        const r = await evaluate({ coupling: "clusters", clusters: { ...CLUSTERS, allowFrom: ranges } });
        assert.deepEqual(one(r, SERVICE, "generator").inputs.spec.loadBalancerSourceRanges, ranges);
        assert.equal(one(r, NETWORK_POLICY, "adapter-ingress").inputs.spec.ingress[0].from, undefined);
    });

    it("points echo at the generator Service's load-balancer address", () => {
        const echo = container(one(e, DEPLOYMENT, "echo"), "echo");
        assert.equal(envOf(echo).UPSTREAM_URL, "http://203.0.113.10:8080");
        assert.equal(e.outputs.generatorUrl, "http://203.0.113.10:8080");
        assert.equal(one(e, DEPLOYMENT, "echo").inputs.spec.replicas, 2);
        assert.match(e.outputs.portForward as string,
            /^kubectl --kubeconfig \/tmp\/echo.kubeconfig --context kind-echo -n app-coupling-test port-forward svc\/echo-/);
    });

    it("uses clusters.generatorUrl when given, and renders each cluster to its own directory", async () => {
        const r = await evaluate({ coupling: "clusters", renderYamlTo: "out", images: { generator: `r/g@sha256:${"a".repeat(64)}`, echo: `r/e@sha256:${"a".repeat(64)}` }, clusters: { ...CLUSTERS, generatorUrl: "http://gen.example.com:8080/" } });
        assert.equal(envOf(container(one(r, DEPLOYMENT, "echo"), "echo")).UPSTREAM_URL, "http://gen.example.com:8080");
        assert.equal(one(r, K8S_PROVIDER, "generator-side").inputs.renderYamlToDirectory, "out/generator-cluster");
        assert.equal(one(r, K8S_PROVIDER, "app").inputs.renderYamlToDirectory, "out/echo-cluster");
    });
});

describe("stable echo endpoint across single-cluster couplings", () => {
    it("keeps the echo Service's URN, selector, ports and namespace whatever the coupling", async () => {
        const seen = [];
        for (const coupling of ["container", "pod", "volume", "service"]) {
            const e = await evaluate({ coupling });
            const svc = echoService(e);
            seen.push({ urn: svc.urn, inputs: svc.inputs, endpoint: e.outputs.endpoint, namespace: one(e, NAMESPACE, "app").urn });
            assert.equal(echoBackends(e).length, 1, `${coupling}: exactly one workload backs echo`);
        }
        for (const s of seen.slice(1)) assert.deepEqual(s, seen[0]);
        assert.equal(seen[0].urn, "urn:pulumi:test::app-coupling::app-coupling:index:Cluster$kubernetes:core/v1:Service::echo");
    });

    it("exposes echo as configured: LoadBalancer gives an externalUrl, NodePort its port", async () => {
        const lb = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" });
        assert.equal(echoService(lb).inputs.spec.type, "LoadBalancer");
        assert.equal(lb.outputs.externalUrl, "http://203.0.113.10:8000/data");
        const np = await evaluate({ coupling: "pod", serviceType: "NodePort" });
        assert.equal(np.outputs.externalUrl, "http://<node-address>:30080/data");
    });

    it("two stacks in one cluster never collide: separate namespaces, auto-named objects", async () => {
        const a = await evaluate({ coupling: "pod" }, { stack: "dev" });
        const b = await evaluate({ coupling: "pod" }, { stack: "staging" });
        assert.notEqual(one(a, NAMESPACE, "app").inputs.metadata.name, one(b, NAMESPACE, "app").inputs.metadata.name);
        for (const r of a.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== NAMESPACE)) {
            assert.equal(r.inputs.metadata.name, undefined, `${r.type} ${r.name} must be auto-named`);
        }
    });
});
