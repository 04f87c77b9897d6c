// npm run e2e:docker — the real Pulumi engine with the real Docker provider
// (pulumi-resource-docker 5.2.0 from `npm run e2e:tools`) and the real Node.js language
// host: a stack without `images` builds its images with docker.Image on the layer's own
// Docker engine, pushes them with docker.RegistryImage to a registry on localhost:5001, and
// deploys them to a kwok cluster by the registry's digest. Then the rules of the house: a
// re-run builds, pushes and asks nothing; one changed program rebuilds one image and rolls
// only its workloads (preview --diff says so first); a preview without a Docker engine; a
// registry emptied behind the stack's back, noticed by `pulumi up --refresh`.
// Closes with "e2e:docker: N passed, N failed, N skipped". See e2e/README.md.
import * as fs from "fs";
import * as path from "path";
import { ensureBase, fromImages } from "../containers/bases";
import { Cluster, kubectl, kubectlJson } from "../lib/kubectl";
import { createCluster, createStaticVolumes, KWOK_TOOLS } from "../lib/kwok";
import { get } from "../lib/http";
import { abort, assert, check, close, note, onCleanup, record, secs, skip, skipLayer, startLayer } from "../lib/ledger";
import { run, tail, waitFor } from "../lib/processes";
import { CACHE, missingTools, TOOLS } from "../lib/tools";
import { COUPLINGS } from "../../components/config";
import { assertNoChanges, ENGINE_TOOLS, ensureStack, makeWorkspace, pulumi, pulumiOk, REPO, Workspace, writeStackFile } from "../lib/workspace";
import { Registry, startRegistry, tagDigest } from "../lib/registry";
import { Engine, startDockerd } from "./dockerd";
import { clusterScript, echoService, readNode } from "../node/node";

startLayer("docker", { budget: { minutes: Number(process.env.E2E_DOCKER_BUDGET_MINUTES ?? 25), setBy: "E2E_DOCKER_BUDGET_MINUTES" } });

/** The plugin e2e:tools builds, and the version it is stamped and installed as (the locked @pulumi/docker's). */
const PLUGIN = path.join(TOOLS, "plugins", "pulumi-resource-docker");
const PLUGIN_STAMP = path.join(TOOLS, "stamps", "docker-provider");
const DOCKER_SDK_VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", "@pulumi", "docker", "package.json"), "utf8")).version;
const UP_TIMEOUT_MS = 15 * 60_000;
const REGISTRY_IMAGE = "docker:index/registryImage:RegistryImage";

const has = (cmd: string) => run("sh", ["-c", `command -v ${cmd}`]).code === 0;

interface Pushed { name: string; repository: string; tag: string; digest: string }

/** The stack's RegistryImages: the tag each pushed and the digest it recorded. */
function pushed(ws: Workspace, stack: string): Record<string, Pushed> {
    const resources = JSON.parse(pulumiOk(ws, ["stack", "export", "--stack", stack]).stdout).deployment.resources ?? [];
    const out: Record<string, Pushed> = {};
    for (const r of resources) {
        if (r.type !== REGISTRY_IMAGE) continue;
        const name = r.urn.split("::").pop();
        const [, repository, tag] = /^localhost:5001\/(.+):([^:]+)$/.exec(r.outputs.name) ?? [];
        out[name] = { name, repository, tag, digest: r.outputs.sha256Digest };
    }
    return out;
}

/** Deployment (by app.kubernetes.io/component) -> uid, generation and container images. */
function deployments(c: Cluster, namespace: string): Record<string, { uid: string; generation: number; images: string[] }> {
    const items = kubectlJson(c, ["get", "deployments", "-n", namespace]).items as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    return Object.fromEntries(items.map((d) => [d.metadata.labels["app.kubernetes.io/component"], {
        uid: d.metadata.uid, generation: d.metadata.generation,
        images: d.spec.template.spec.containers.map((x: { image: string }) => x.image),
    }]));
}

/** Warnings about the images: from a docker resource or provider, or naming the registry. */
function imageWarnings(output: string): string[] {
    return output.split("\n").filter((l) => /\bwarning\b/i.test(l) && /docker|registry|localhost:5001|\bimages?\b/i.test(l));
}

/** What `pulumi up` printed per image: each Image's build and each RegistryImage's push, in seconds. */
function stepTimes(output: string): string {
    const times: string[] = [];
    // e.g. " +  docker:index:Image generator created (1s) Image built successfully, …"
    for (const m of output.matchAll(/docker:index:(Image|RegistryImage) (\S+) (?:created|updated|created replacement) \((\d+(?:\.\d+)?)s\)/g)) {
        times.push(`${m[1] === "Image" ? "build" : "push"} ${m[2]} ${m[3]}s`);
    }
    return times.length ? ` (${times.join(", ")})` : "";
}

async function main(): Promise<void> {
    const missing = missingTools([...ENGINE_TOOLS, ...KWOK_TOOLS]);
    if (missing.length) skipLayer(`tools missing from ${TOOLS}/bin: ${missing.join(", ")} (npm run e2e:tools builds them)`);
    if (!fs.existsSync(PLUGIN)) {
        skipLayer(`no ${PLUGIN}: npm run e2e:tools builds it with APP_COUPLING_PULUMI_DOCKER_SRC and APP_COUPLING_TF_DOCKER_SRC set ` +
            "(source trees of github.com/pulumi/pulumi-docker and github.com/kreuzwerker/terraform-provider-docker)");
    }
    const absent = ["docker", "dockerd", "docker-registry"].filter((c) => !has(c));
    if (absent.length) skipLayer(`${absent.join(", ")} not installed (apt-get install docker.io docker-registry; npm run e2e:containers installs them as root)`);
    if (process.getuid?.() !== 0) skipLayer("its own dockerd needs root");
    const stamp = fs.existsSync(PLUGIN_STAMP) ? fs.readFileSync(PLUGIN_STAMP, "utf8").trim() : "unstamped";
    console.log(`e2e:docker: provider pulumi-resource-docker ${DOCKER_SDK_VERSION} (${stamp}), installed for the engine as docker ${DOCKER_SDK_VERSION}`);

    const ws = makeWorkspace();
    // the builds' sources, in the workspace so a check can change one program there
    fs.cpSync(path.join(REPO, "images"), path.join(ws.project, "images"), { recursive: true });
    let engine: Engine | undefined;
    let registry: Registry | undefined;
    let cluster: Cluster | undefined;
    const ready = await check(`setup: own dockerd, registry on localhost:5001, base images, plugin docker ${DOCKER_SDK_VERSION} in PULUMI_HOME, a kwok cluster`, async () => {
        engine = startDockerd(path.join(ws.dir, "docker"));
        // the FROM images: real where they can be pulled, else e2e:containers' stand-ins
        process.env.DOCKER_HOST = engine.host;
        if (!process.env.E2E_BUSYBOX && fs.existsSync(path.join(CACHE, "busybox-static"))) process.env.E2E_BUSYBOX = path.join(CACHE, "busybox-static");
        const froms = new Set(fs.readdirSync(path.join(REPO, "images")).flatMap((d) => {
            const f = path.join(REPO, "images", d, "Dockerfile");
            return fs.existsSync(f) ? fromImages(f) : [];
        }));
        const bases = [...froms].map((n) => ensureBase(n, ws.dir, true));
        registry = await startRegistry(path.join(ws.dir, "registry"), 5001, ws.dir);
        pulumiOk(ws, ["plugin", "install", "resource", "docker", DOCKER_SDK_VERSION, "--file", PLUGIN]);
        const plugins = JSON.parse(pulumiOk(ws, ["plugin", "ls", "--json"]).stdout) as { name: string; kind: string; version: string }[];
        assert(plugins.some((p) => p.name === "docker" && p.kind === "resource" && p.version === DOCKER_SDK_VERSION), `plugin ls: ${JSON.stringify(plugins)}`);
        cluster = createCluster(ws, "docker", 1);
        // one for each volume stack: volume, and volume-cold and volume-warm of the numbers (Retain: a released one is not bound again)
        createStaticVolumes(cluster, 3, "1Gi");
        return `bases ${bases.map((b) => `${b.name} ${b.source}`).join(", ")}`;
    });
    if (!ready || !engine || !registry || !cluster) {
        skip("the rest of the layer", "setup failed");
        return;
    }

    await check("language host: the real pulumi-language-nodejs runs the locked @pulumi/pulumi under the layer's CLI", () => {
        // (the host reads the program's dependencies from its lock file)
        fs.copyFileSync(path.join(REPO, "package-lock.json"), path.join(ws.project, "package-lock.json"));
        const about = JSON.parse(pulumiOk(ws, ["about", "--json"]).stdout);
        const host = (about.plugins as { name: string; kind: string; version: string }[]).find((p) => p.kind === "language" && p.name === "nodejs");
        const sdk = (about.dependencies as { name: string; version: string }[] | null)?.find((d) => d.name === "@pulumi/pulumi");
        const locked: string = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")).packages["node_modules/@pulumi/pulumi"].version;
        // e2e:tools stamps the real host with the pulumi/pulumi commit it was built from
        const commit = /pulumi@([0-9a-f]{10})/.exec(fs.existsSync(path.join(TOOLS, "stamps", "langhost")) ? fs.readFileSync(path.join(TOOLS, "stamps", "langhost"), "utf8") : "")?.[1];
        assert(host && commit && host.version.endsWith(`+${commit}`), `language plugin ${JSON.stringify(host)}; built from ${commit ?? "no pulumi/pulumi tree (the stand-in?)"}`);
        assert(sdk?.version === locked, `the host reports @pulumi/pulumi ${sdk?.version}, the lock file ${locked} (errors: ${JSON.stringify(about.errors)})`);
        return `pulumi-language-nodejs ${host.version}, @pulumi/pulumi ${sdk.version}, pulumi ${about.cliAbout?.version}`;
    });
    const env = { DOCKER_HOST: engine.host, KUBECONFIG: cluster.kubeconfig };
    const stack = "volume";
    const namespace = `app-coupling-${stack}`;
    ensureStack(ws, stack);
    writeStackFile(ws, stack, { coupling: "volume", context: cluster.context, platform: "linux/amd64", storage: { size: "1Gi", accessMode: "ReadWriteOnce" } });
    const up = (extra: string[] = []) => pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview", ...extra], { env, timeoutMs: UP_TIMEOUT_MS });
    // every request the registry saw from the program's runs, and every warning they printed
    const traffic: string[] = [];
    const warned: string[] = [];
    const reg = registry;

    /** Each pushed tag is in the registry with the digest the stack recorded, and the pods run exactly that. */
    const assertPodsRunPushed = async (): Promise<Record<string, Pushed>> => {
        const images = pushed(ws, stack);
        const refs = JSON.parse(pulumiOk(ws, ["stack", "output", "images", "--stack", stack, "--json"]).stdout) as Record<string, string>;
        assert(Object.keys(images).sort().join() === "echo,generator", `RegistryImages: ${Object.keys(images).join(", ")}`);
        for (const p of Object.values(images)) {
            const held = await tagDigest(reg.port, p.repository, p.tag);
            assert(held === p.digest, `${p.name}: the registry holds ${held} for ${p.tag}; the stack recorded ${p.digest}`);
            assert(refs[p.name] === `localhost:5001/${p.repository}@${p.digest}`, `${p.name}: output ${refs[p.name]}`);
        }
        for (const [component, d] of Object.entries(deployments(cluster!, namespace))) {
            for (const image of d.images) assert(Object.values(refs).includes(image), `${component} runs ${image}, not a pushed digest`);
        }
        return images;
    };

    let first: Record<string, Pushed> = {};
    await check("volume without `images`: pulumi up builds generator and echo (docker.Image), pushes them (docker.RegistryImage), pods run the registry's digests", async () => {
        const mark = reg.mark();
        const r = up();
        traffic.push(...reg.since(mark));
        warned.push(...imageWarnings(r.output));
        record(`volume, cold builds: pulumi up ${secs(r.ms)}${stepTimes(r.output)}`);
        fs.writeFileSync(path.join(CACHE, "e2e-docker-up.txt"), r.output);
        first = await assertPodsRunPushed();
        const puts = reg.since(mark).filter((q) => /^PUT \/v2\/.*\/manifests\//.test(q));
        assert(puts.length === 2, `manifest pushes: ${puts.join(", ")}`);
        return Object.values(first).map((p) => `${p.repository}:${p.tag} ${p.digest.slice(0, 19)}…`).join(", ");
    });

    await check("a second pulumi up builds nothing, pushes nothing, asks the registry nothing, changes nothing", async () => {
        // the engine's images (ID and name), as a sorted set: a build would add or move one
        const engineImages = () => run("docker", ["-H", engine!.host, "image", "ls", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
            .stdout.split("\n").filter(Boolean).sort();
        const images = engineImages();
        const mark = reg.mark();
        const r = up();
        record(`volume, no-op with builds in the program: pulumi up ${secs(r.ms)}`);
        warned.push(...imageWarnings(r.output));
        assertNoChanges(r.output);
        const asked = reg.since(mark);
        assert(asked.length === 0, `the registry was asked: ${asked.join(", ")}`);
        const now = engineImages();
        assert(now.join("\n") === images.join("\n"), `the engine's images changed: ${now.filter((i) => !images.includes(i)).join(", ")} new, ` +
            `${images.filter((i) => !now.includes(i)).join(", ")} gone`);
    });

    const generatorSh = path.join(ws.project, "images", "generator", "generator.sh");
    const before = deployments(cluster, namespace);
    await check("generator.sh changed: pulumi preview --diff updates the generator Image, replaces its RegistryImage, updates the generator Deployment, nothing else", async () => {
        fs.appendFileSync(generatorSh, "# changed by e2e:docker\n");
        const text = pulumiOk(ws, ["preview", "--stack", stack, "--diff"], { env }).stdout;
        fs.writeFileSync(path.join(CACHE, "e2e-docker-preview-diff.txt"), text);
        const json = JSON.parse(pulumiOk(ws, ["preview", "--stack", stack, "--json"], { env }).stdout);
        // (a `read` is the stack reading its own last outputs for the claim)
        const changed = (json.steps as { op: string; urn: string }[]).filter((s) => s.op !== "same" && s.op !== "read")
            .map((s) => `${s.op} ${s.urn.split("::").slice(-2).join("::").replace(/^.*\$/, "")}`).sort();
        note(`preview --diff, its change lines (in full: ${path.join(CACHE, "e2e-docker-preview-diff.txt")}):\n` +
            text.split("\n").filter((l) => /^\s*(~|\+-|-\+|\+\+|--|\+|-) ?[a-z]+:[a-zA-Z./0-9]+:[A-Za-z]+: \(|=>/.test(l)).join("\n"));
        const want = [
            "replace docker:index/registryImage:RegistryImage::generator",
            "update docker:index/image:Image::generator",
            "update kubernetes:apps/v1:Deployment::generator",
        ];
        assert(changed.join("\n") === want.join("\n"), `changes:\n${changed.join("\n")}\nwanted:\n${want.join("\n")}`);
        return changed.join("; ");
    });

    await check("generator.sh changed: pulumi up rebuilds and pushes only the generator image and rolls only the generator Deployment", async () => {
        const mark = reg.mark();
        const r = up();
        traffic.push(...reg.since(mark));
        warned.push(...imageWarnings(r.output));
        record(`volume, one program changed (generator rebuilt warm): pulumi up ${secs(r.ms)}${stepTimes(r.output)}`);
        const puts = reg.since(mark).filter((q) => q.startsWith("PUT ") && q.includes("/manifests/"));
        assert(puts.length === 1 && puts[0].startsWith("PUT /v2/app-coupling-generator/manifests/"), `manifest pushes: ${puts.join(", ")}`);
        const now = await assertPodsRunPushed();
        assert(now.generator.tag !== first.generator.tag && now.generator.digest !== first.generator.digest, "the generator kept its tag/digest");
        assert(now.echo.tag === first.echo.tag && now.echo.digest === first.echo.digest, "echo changed");
        // rolled, not replaced: the same Deployment objects, the generator's at its next generation
        const after = deployments(cluster!, namespace);
        assert(after.generator.uid === before.generator.uid && after.generator.generation === before.generator.generation + 1,
            `generator: uid ${before.generator.uid} -> ${after.generator.uid}, generation ${before.generator.generation} -> ${after.generator.generation}`);
        assert(after.echo.uid === before.echo.uid && after.echo.generation === before.echo.generation,
            `echo: uid ${before.echo.uid} -> ${after.echo.uid}, generation ${before.echo.generation} -> ${after.echo.generation}`);
        first = now;
    });

    await check("pulumi preview with no Docker engine stops with one clear line", async () => {
        const r = pulumi(ws, ["preview", "--stack", stack], { env: { ...env, DOCKER_HOST: `unix://${path.join(ws.dir, "no-engine.sock")}` } });
        // the engine's closing "error: preview failed" aside, one distinct error, naming the daemon
        const errors = [...new Set(r.output.split("\n").filter((l) => /^\s*error:/.test(l)).map((l) => l.trim()))]
            .filter((l) => l !== "error: preview failed");
        assert(r.code !== 0 && errors.length === 1 && /docker daemon/.test(errors[0]), `exit ${r.code}, errors:\n${errors.join("\n")}\n${tail(r.output, 20)}`);
        return errors[0];
    });

    await check("the registry emptied behind the stack's back: pulumi up --refresh pushes both images again, and new pods start", async () => {
        reg.stop();
        fs.rmSync(reg.storage, { recursive: true, force: true });
        const fresh = await startRegistry(reg.storage, 5001, ws.dir);
        Object.assign(reg, fresh);
        for (const p of Object.values(first)) assert((await tagDigest(reg.port, p.repository, p.tag)) === undefined, `${p.name} still there`);
        const mark = reg.mark();
        const r = up(["--refresh"]);
        traffic.push(...reg.since(mark));
        warned.push(...imageWarnings(r.output));
        record(`volume, registry emptied: pulumi up --refresh ${secs(r.ms)}${stepTimes(r.output)}`);
        const puts = reg.since(mark).filter((q) => q.startsWith("PUT ") && q.includes("/manifests/"));
        assert(puts.length === 2, `manifest pushes: ${puts.join(", ")}`);
        const now = await assertPodsRunPushed();
        // new pods: every pod of the namespace deleted, the ReplicaSets start new ones from those digests
        kubectl(cluster!, ["delete", "pods", "-n", namespace, "--all", "--wait=true"]);
        const r2 = run(path.join(TOOLS, "bin", "kubectl"), ["--kubeconfig", cluster!.kubeconfig, "--context", cluster!.context,
            "wait", "--for=condition=Available", "deployments", "--all", "-n", namespace, "--timeout=120s"]);
        assert(r2.code === 0, `deployments not Available after new pods: ${r2.output}`);
        const was = first;
        first = now;
        return Object.values(now).map((p) => `${p.name} ${p.digest === was[p.name].digest ? "same digest" : "pushed with a new digest, its pods rolled to it"}`).join(", ");
    });

    await check("the registry emptied and the engine's images gone too (a fresh CI runner): pulumi up --refresh stops naming the image; with --replace of the Images it builds and pushes again", async () => {
        reg.stop();
        fs.rmSync(reg.storage, { recursive: true, force: true });
        Object.assign(reg, await startRegistry(reg.storage, 5001, ws.dir));
        const names = Object.values(first).map((p) => `localhost:5001/${p.repository}:${p.tag}`);
        run("docker", ["-H", engine!.host, "image", "rm", "-f", ...names]);
        const failed = pulumi(ws, ["up", "--stack", stack, "--yes", "--skip-preview", "--refresh"], { env, timeoutMs: UP_TIMEOUT_MS });
        assert(failed.code !== 0 && /does not exist locally/.test(failed.output), `up --refresh: exit ${failed.code}\n${tail(failed.output, 20)}`);
        const resources = JSON.parse(pulumiOk(ws, ["stack", "export", "--stack", stack]).stdout).deployment.resources as { type: string; urn: string }[];
        const replace = resources.filter((r) => r.type === "docker:index/image:Image").flatMap((r) => ["--replace", r.urn]);
        const mark = reg.mark();
        const r = up(["--refresh", ...replace]);
        traffic.push(...reg.since(mark));
        warned.push(...imageWarnings(r.output));
        record(`volume, registry and engine emptied: pulumi up --refresh --replace <the Images> ${secs(r.ms)}${stepTimes(r.output)}`);
        first = await assertPodsRunPushed();
        return (/(An image does not exist locally[^\n]*)/.exec(failed.output)?.[1] ?? "").slice(0, 160);
    });

    await check("registry traffic: plain HTTP on localhost:5001, look-ups by tag (never repo@sha256), and no warning about images in any pulumi up", async () => {
        // the provider's own look-ups (Go's HTTP client; the pushes are dockerd's), answered over plain HTTP
        const lookups = traffic.filter((q) => /^(HEAD|GET) \/v2\/[^ ]+\/manifests\/[^ ]+ 200 <- Go-http-client/.test(q));
        assert(lookups.length > 0, `no look-up by the provider reached the plain-HTTP registry:\n${traffic.join("\n")}`);
        assert(!traffic.some((q) => q.includes("@sha256")), `a mis-parsed digest look-up: ${traffic.filter((q) => q.includes("@sha256")).join(", ")}`);
        assert(warned.length === 0, `warnings:\n${warned.join("\n")}`);
        return `${lookups.length} manifest look-ups, e.g. ${lookups[0]}`;
    });

    await check("pulumi destroy: the pushed images stay in the registry (keepRemotely)", async () => {
        pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { env, timeoutMs: UP_TIMEOUT_MS });
        for (const p of Object.values(first)) assert((await tagDigest(reg.port, p.repository, p.tag)) === p.digest, `${p.name} gone`);
    });

    await onRealNode(ws, engine, reg);

    if (process.env.E2E_DOCKER_NUMBERS) await numbers(ws, engine, cluster);
    else skip("numbers: pulumi up per coupling with cold and warm builds", "set E2E_DOCKER_NUMBERS=1 (about 4 more minutes)");
}

const NODE_PARTS = ["kubelet", "kube-proxy", "coredns", "local-path-provisioner"];

/**
 * Where the real node (e2e/node/cluster.sh, `npm run e2e:node -- up`) can be brought up: a
 * stack without `images` on it, the pods pulling what this layer's engine built and pushed
 * to localhost:5001 (the node uses the registry that answers there), and echo serving
 * /data through its Service. The node is taken down again at the end.
 */
async function onRealNode(ws: Workspace, engine: Engine, registry: Registry): Promise<void> {
    const name = "real node: pulumi up without `images` (pod): the pods run the pushed digests and serve /data";
    const missing = missingTools(NODE_PARTS);
    if (missing.length) return skip(name, `tools missing from ${TOOLS}/bin: ${missing.join(", ")} (npm run e2e:tools)`);
    if (clusterScript("status", 20_000).code === 0) return skip(name, "a real node is up already, left as it is (npm run e2e:node -- down)");
    onCleanup("real node", () => {
        const r = clusterScript("down");
        if (r.code !== 0) console.log(`  cleanup: npm run e2e:node -- down exited ${r.code}:\n${tail(r.output, 15)}`);
    });
    await check(name, async () => {
        const up = clusterScript("up");
        assert(up.code === 0, `npm run e2e:node -- up exited ${up.code}:\n${tail(up.output, 25)}`);
        const real = readNode();
        const stack = "node";
        const namespace = `app-coupling-${stack}`;
        ensureStack(ws, stack);
        writeStackFile(ws, stack, { coupling: "pod", context: real.context, platform: "linux/amd64" });
        const env = { DOCKER_HOST: engine.host, KUBECONFIG: real.kubeconfig };
        const r = pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { env, timeoutMs: UP_TIMEOUT_MS });
        record(`real node, pod: pulumi up ${secs(r.ms)}${stepTimes(r.output)}; the images built warm, pulled by the node`);
        const refs = JSON.parse(pulumiOk(ws, ["stack", "output", "images", "--stack", stack, "--json"]).stdout) as Record<string, string>;
        for (const p of Object.values(pushed(ws, stack))) {
            assert((await tagDigest(registry.port, p.repository, p.tag)) === p.digest, `${p.name}: the registry lacks ${p.digest} for ${p.tag}`);
        }
        // what the kubelet ran: containerd's image IDs are the pulled repo digests
        const pods = kubectlJson(real, ["get", "pods", "-n", namespace]).items as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
        const ran = pods.flatMap((pod) => (pod.status?.containerStatuses ?? []).map((c: { name: string; imageID: string; ready: boolean }) => ({ pod: pod.metadata.name, ...c })));
        assert(ran.length === 2 && ran.every((c) => c.ready), `containers: ${JSON.stringify(ran)}`);
        for (const c of ran) assert(c.imageID === refs[c.name], `${c.pod}/${c.name} runs ${c.imageID}, the stack pushed ${refs[c.name]}`);
        const svc = echoService(real, namespace);
        let lines: string[] = [];
        await waitFor("numbers on /data", async () => {
            const reply = await get(svc.clusterIP, svc.port, "/data", 3000);
            lines = reply.body.split("\n").filter(Boolean);
            return reply.status === 200 && lines.length > 0;
        }, 60_000, 500);
        assert(lines.every((l) => /^\d+$/.test(l) && Number(l) <= 32767), `/data: ${lines.slice(0, 5).join(",")}`);
        pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { env, timeoutMs: UP_TIMEOUT_MS });
        return `${ran.map((c) => `${c.name} ${c.imageID.split("@")[1].slice(0, 19)}…`).join(", ")}; /data: ${lines.length} numbers`;
    });
}

/**
 * Per coupling, side by side in one run: `pulumi up` of a new stack with cold builds (the
 * engine's images and build cache removed first) and of another new stack with warm
 * builds; for volume also the no-op `pulumi up` with builds in the program and with
 * `images` set (no Docker provider at all).
 */
async function numbers(ws: Workspace, engine: Engine, a: Cluster): Promise<void> {
    const docker = (args: string[]) => run("docker", ["-H", engine.host, ...args], { timeoutMs: 300_000 });
    let b: Cluster | undefined;
    for (const coupling of COUPLINGS) {
        await check(`numbers: ${coupling}: pulumi up with cold builds, then a new stack with warm builds`, async () => {
            if (coupling === "clusters") b ??= createCluster(ws, "docker-b", 1);
            const config = {
                coupling, context: a.context, platform: "linux/amd64", storage: { size: "1Gi", accessMode: "ReadWriteOnce" },
                ...(coupling === "clusters" ? { clusters: {
                    generator: { context: b!.context, kubeconfig: b!.kubeconfig }, echo: { context: a.context, kubeconfig: a.kubeconfig },
                    generatorUrl: "http://generator.e2e.example:8080",
                } } : {}),
            };
            const env = { DOCKER_HOST: engine.host, KUBECONFIG: a.kubeconfig };
            const times: string[] = [];
            for (const kind of ["cold", "warm"]) {
                if (kind === "cold") {
                    const ours = docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split("\n").filter((i) => i.includes("/app-coupling-"));
                    if (ours.length) docker(["image", "rm", "-f", ...ours]);
                    docker(["builder", "prune", "-af"]);
                }
                const stack = `${coupling}-${kind}`;
                ensureStack(ws, stack);
                writeStackFile(ws, stack, { ...config, namespace: `e2e-docker-${stack}` });
                const r = pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { env, timeoutMs: UP_TIMEOUT_MS });
                record(`${coupling}, ${kind} builds: pulumi up ${secs(r.ms)}${stepTimes(r.output)}`);
                times.push(`${kind} ${secs(r.ms)}`);
                if (coupling === "volume" && kind === "warm") {
                    const noop = pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { env });
                    record(`volume, no-op pulumi up, images built by the program: ${secs(noop.ms)}`);
                    const refs = pulumiOk(ws, ["stack", "output", "images", "--stack", stack, "--json"]).stdout;
                    writeStackFile(ws, stack, { ...config, namespace: `e2e-docker-${stack}`, images: JSON.parse(refs) });
                    pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { env });
                    const prebuilt = pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { env });
                    record(`volume, no-op pulumi up, images config (no Docker provider): ${secs(prebuilt.ms)}`);
                    times.push(`no-op ${secs(noop.ms)} vs ${secs(prebuilt.ms)} with images`);
                }
                pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { env, timeoutMs: UP_TIMEOUT_MS });
            }
            return times.join(", ");
        });
    }
}

main().then(() => close(), abort);
