/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs from the evaluated program are untyped property bags */
// The container e2e suite (npm run e2e:containers, through run.sh): the three images built
// from their unchanged Dockerfiles exactly as components/images.ts builds them, run as the
// program's own Deployment specs say, every coupling end to end, faults, a registry round
// trip and the numbers. Prints one line per check and closes with
// "N passed, N failed, N skipped", naming every skipped check and why.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { BUILD_SPECS, DEFAULT_IMAGES_DIR, imageRepository, imageTag } from "../../components/images";
import { COUPLINGS, Coupling, IMAGE_NAMES } from "../../components/config";
import { evaluate, Evaluation, minimalConfig, TWO_CLUSTERS } from "../../lib/evaluate";
import { freePort } from "../../lib/net";
import { Base, ensureBase, fromImages } from "./bases";
import { docker, dockerOk, get, GiveUp, run, sleep, waitFor } from "./docker";
import { Cluster, PodPlan, removeLeftovers, StartedPod, Variant } from "./pods";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const IMAGE = "docker:index/image:Image";

// ---- checks and the closing line ------------------------------------------------------

type Outcome = "pass" | "fail" | "skip";
const results: { name: string; outcome: Outcome; detail: string }[] = [];
class Skip extends Error {}

function record(name: string, outcome: Outcome, detail: string): void {
    results.push({ name, outcome, detail });
    const mark = { pass: "ok  ", fail: "FAIL", skip: "skip" }[outcome];
    console.log(`${mark} ${name}${detail ? (outcome === "pass" ? ` (${detail})` : `: ${detail}`) : ""}`);
}

async function check(name: string, fn: () => Promise<string | void> | string | void): Promise<boolean> {
    try {
        record(name, "pass", (await fn()) || "");
        return true;
    } catch (e) {
        if (e instanceof Skip) record(name, "skip", e.message);
        else record(name, "fail", String((e as Error).message ?? e).split("\n").slice(0, 12).join("\n     "));
        return false;
    }
}

function skip(name: string, reason: string): void {
    record(name, "skip", reason);
}

function assert(cond: unknown, message: string): asserts cond {
    if (!cond) throw new Error(message);
}

function close(): never {
    const n = (o: Outcome) => results.filter((r) => r.outcome === o).length;
    const skipped = results.filter((r) => r.outcome === "skip");
    if (skipped.length) {
        console.log("\nskipped:");
        for (const r of skipped) console.log(`  - ${r.name}: ${r.detail}`);
    }
    const failed = results.filter((r) => r.outcome === "fail");
    if (failed.length) {
        console.log("\nfailed:");
        for (const r of failed) console.log(`  - ${r.name}`);
    }
    console.log(`\n${n("pass")} passed, ${n("fail")} failed, ${n("skip")} skipped`);
    process.exit(n("fail") ? 1 : 0);
}

// ---- what the program says ------------------------------------------------------------

const HOST_ARCH = process.arch;
/** The generator side's external address in `clusters` (the config key the program offers). */
const GENERATOR_URL = "http://generator.cluster-a.example:8080";
/** OpenShift-style: an arbitrary UID from the namespace's range, group 0; the SCC's fsGroup. */
const OC_UID = 1000620000;

function configFor(coupling: Coupling, openshift: boolean): Record<string, unknown> {
    const base = minimalConfig(coupling);
    if (coupling === "clusters") base.clusters = { ...TWO_CLUSTERS, generatorUrl: GENERATOR_URL };
    return openshift ? { ...base, openshift: true } : base;
}

// ---- numbers --------------------------------------------------------------------------

const numbers: {
    builder?: string;
    bases?: Base[];
    basesMs?: number;
    builds: Record<string, { coldMs?: number; warmMs?: number; sizeBytes?: number; warmReused?: boolean }>;
    startToReadyMs: Record<string, number>;
    reproducible?: { first: string; second: string; same: boolean };
    registry?: Record<string, string>;
} = { builds: {}, startToReadyMs: {} };

// ---- building ---------------------------------------------------------------------------

interface Builder {
    name: string;
    build(ref: string, context: string, dockerfile: string, platform: string): ReturnType<typeof run>;
}

/** BuildKit as @pulumi/docker's Image uses it; the CLI's buildx, or the engine's own. */
function pickBuilder(work: string, probeImage: string): Builder {
    const dir = path.join(work, "builder-probe");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM ${probeImage}\nRUN true\n`);
    const candidates: Builder[] = [];
    if (run("docker", ["buildx", "version"]).code === 0) {
        candidates.push({ name: "BuildKit (docker buildx build --load)", build: (ref, ctx, df, platform) =>
            run("docker", ["buildx", "build", "--load", "--progress=plain", "--platform", platform, "-t", ref, "-f", df, ctx], { timeoutMs: 600_000 }) });
    }
    for (const cli of ["docker", "/usr/bin/docker"]) {
        candidates.push({ name: `BuildKit (${cli} build, DOCKER_BUILDKIT=1)`, build: (ref, ctx, df, platform) =>
            run(cli, ["build", "--progress=plain", "--platform", platform, "-t", ref, "-f", df, ctx],
                { timeoutMs: 600_000, env: { ...process.env, DOCKER_BUILDKIT: "1" } }) });
    }
    candidates.push({ name: "legacy builder (DOCKER_BUILDKIT=0)", build: (ref, ctx, df, platform) =>
        run("docker", ["build", "--platform", platform, "-t", ref, "-f", df, ctx], { timeoutMs: 600_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } }) });
    for (const b of candidates) {
        const r = b.build("app-coupling-e2e-builder-probe:1", dir, path.join(dir, "Dockerfile"), `linux/${HOST_ARCH === "arm64" ? "arm64" : "amd64"}`);
        if (r.code === 0) {
            docker(["rmi", "app-coupling-e2e-builder-probe:1"]);
            return b;
        }
    }
    throw new Error("no builder works with this engine");
}

function imageId(ref: string): string {
    return docker(["image", "inspect", "--format", "{{.Id}}", ref]).stdout.trim();
}

// ---- main -------------------------------------------------------------------------------

async function main(): Promise<void> {
    const work = process.env.E2E_WORK ?? fs.mkdtempSync(path.join(os.tmpdir(), "e2e-containers-"));
    const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "app-coupling");
    fs.mkdirSync(cacheDir, { recursive: true });
    const t0 = Date.now();

    if (process.env.E2E_NO_ENGINE) {
        for (const name of ["bases", "builds", ...COUPLINGS.map((c) => `coupling ${c}`), "faults", "registry round trip", "same content, same digest"]) {
            skip(name, `no Docker engine: ${process.env.E2E_NO_ENGINE}`);
        }
        close();
    }

    removeLeftovers();

    // What the program emits, per coupling, as the pod spec says and OpenShift-style.
    const evals: Record<string, Evaluation> = {};
    for (const coupling of COUPLINGS) {
        for (const openshift of [false, true]) {
            evals[`${coupling}/${openshift ? "openshift" : "spec"}`] = await evaluate(configFor(coupling, openshift), { hostArch: HOST_ARCH });
        }
    }
    const config = evals["pod/spec"].config;
    const platform = config.platform;

    // ---- 2. bases
    const bases: Base[] = [];
    const baseOk = await check("bases: every FROM image available (real, else a local stand-in)", () => {
        const names = [...new Set(IMAGE_NAMES.flatMap((n) => fromImages(path.join(DEFAULT_IMAGES_DIR, BUILD_SPECS[n].dockerfile))))];
        const tryPull = process.env.E2E_PULL !== "0";
        const t = Date.now();
        for (const name of names) bases.push(ensureBase(name, work, tryPull));
        numbers.bases = bases;
        numbers.basesMs = Date.now() - t;
        return bases.map((b) => `${b.name}: ${b.source === "real" ? "real" : `STAND-IN, ${b.detail}`}`).join("; ") +
            ` (${(numbers.basesMs / 1000).toFixed(1)} s)`;
    });
    const standIns = bases.filter((b) => b.source === "stand-in");
    if (standIns.length) console.log(`     stand-in bases: ${standIns.map((b) => b.name).join(", ")} (see README, "Real containers": what a stand-in does not prove)`);
    if (!baseOk) {
        skip("builds", "no base images");
        close();
    }

    // ---- 3. builds, exactly as components/images.ts: same context, Dockerfile, platform, tag
    let builder: Builder | undefined;
    await check("builder: BuildKit as @pulumi/docker uses it, else the legacy builder", () => {
        builder = pickBuilder(work, bases[0].name);
        numbers.builder = builder.name;
        return builder.name;
    });
    if (!builder) close();
    const refs: Record<string, string> = {}; // image name -> repo:tag built
    const localByRepo: Record<string, string> = {}; // repository -> local ref
    for (const name of IMAGE_NAMES) {
        const spec = BUILD_SPECS[name];
        const repo = imageRepository(config, name);
        const tag = imageTag(DEFAULT_IMAGES_DIR, name, platform);
        const ref = `${repo}:${tag}`;
        const ok = await check(`build ${name}: from ${path.join("images", spec.dockerfile)}, context images/${spec.context === "." ? "" : spec.context}, --platform ${platform} (cold, then warm)`, () => {
            docker(["rmi", "-f", ref]);
            docker(["builder", "prune", "-af"], 120_000);
            const cold = builder!.build(ref, path.join(DEFAULT_IMAGES_DIR, spec.context), path.join(DEFAULT_IMAGES_DIR, spec.dockerfile), platform);
            assert(cold.code === 0, `cold build failed: ${(cold.stderr + cold.stdout).slice(-1500)}`);
            const id = imageId(ref);
            const warm = builder!.build(ref, path.join(DEFAULT_IMAGES_DIR, spec.context), path.join(DEFAULT_IMAGES_DIR, spec.dockerfile), platform);
            assert(warm.code === 0, `warm build failed: ${(warm.stderr + warm.stdout).slice(-1500)}`);
            const size = Number(docker(["image", "inspect", "--format", "{{.Size}}", ref]).stdout.trim());
            numbers.builds[name] = { coldMs: cold.ms, warmMs: warm.ms, sizeBytes: size, warmReused: imageId(ref) === id };
            assert(imageId(ref) === id, `the warm rebuild changed the image (${id} -> ${imageId(ref)}): a layer was not reused`);
            return `cold ${(cold.ms / 1000).toFixed(1)} s, warm ${(warm.ms / 1000).toFixed(1)} s, every layer reused, ${(size / 1e6).toFixed(1)} MB`;
        });
        if (!ok) continue;
        refs[name] = ref;
        localByRepo[repo] = ref;
        await check(`build ${name}: tag is the program's content-hash tag`, () => {
            const programs = Object.values(evals).flatMap((e) => e.resources.filter((r) => r.type === IMAGE && r.name === name));
            assert(programs.length > 0, `no coupling builds ${name}`);
            for (const r of programs) assert(r.inputs.imageName === ref, `program builds ${r.inputs.imageName}, we built ${ref}`);
            return tag;
        });
    }
    if (Object.keys(refs).length < IMAGE_NAMES.length) {
        skip("couplings, faults, registry", "not every image built");
        close();
    }

    // ---- 4./5. every coupling, as the pod specs say and OpenShift-style
    const cluster = new Cluster(`e2e-ac-${Date.now().toString(36)}`, localByRepo);
    const registryProcs: ChildProcess[] = [];
    try {
        for (const coupling of COUPLINGS) {
            for (const variant of [
                { name: "spec", key: "spec" },
                // no runAsUser in the spec (OpenShift config): the image's own USER 10001:0
                { name: "image user 10001:0", key: "openshift", fsGroup: OC_UID },
                { name: `arbitrary UID ${OC_UID}:0`, key: "openshift", user: `${OC_UID}:0`, fsGroup: OC_UID },
            ]) {
                await runCoupling(cluster, coupling, evals[`${coupling}/${variant.key}`], variant);
            }
        }
        await faults(cluster, evals, refs);
        await registry(cluster, refs, cacheDir, work, builder!, platform, registryProcs);
    } finally {
        cluster.teardown();
        for (const p of registryProcs) if (p.exitCode === null) p.kill("SIGTERM");
    }
    numbers.startToReadyMs = Object.fromEntries(Object.entries(numbers.startToReadyMs));
    fs.writeFileSync(path.join(cacheDir, "e2e-containers-numbers.json"), JSON.stringify(numbers, null, 2) + "\n");
    console.log(`\nnumbers (also in ${path.join(cacheDir, "e2e-containers-numbers.json")}):`);
    console.log(`  builder: ${numbers.builder}; bases: ${(numbers.bases ?? []).map((b) => `${b.name} ${b.source}`).join(", ")}`);
    for (const [name, b] of Object.entries(numbers.builds)) {
        console.log(`  ${name}: cold ${((b.coldMs ?? 0) / 1000).toFixed(1)} s, warm ${((b.warmMs ?? 0) / 1000).toFixed(1)} s, ${((b.sizeBytes ?? 0) / 1e6).toFixed(1)} MB`);
    }
    for (const [k, ms] of Object.entries(numbers.startToReadyMs)) console.log(`  start-to-ready ${k}: ${(ms / 1000).toFixed(1)} s`);
    console.log(`  whole run: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    close();
}

// ---- one coupling -----------------------------------------------------------------------

interface Deployed {
    pods: StartedPod[];
    echo: StartedPod;
}

function plansOf(cluster: Cluster, e: Evaluation, coupling: Coupling): { plans: PodPlan[]; networkOf: (providerUrn?: string) => string } {
    const networkOf = (providerUrn?: string) => cluster.network(`${coupling}-${providerUrn ? providerUrn.split("::").pop() : "default"}`);
    const plans = e.resources.filter((r) => r.type === DEPLOYMENT).map((d) => ({
        name: `${coupling}-${d.name}${d.providerUrn ? `-${d.providerUrn.split("::").pop()}` : ""}`,
        network: networkOf(d.providerUrn),
        labels: d.inputs.spec.template.metadata.labels,
        spec: d.inputs.spec.template.spec,
        providerUrn: d.providerUrn,
    }));
    return { plans, networkOf };
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

let deploys = 0;

async function deploy(cluster: Cluster, e: Evaluation, coupling: Coupling, variant: Variant, volumeOpts: string[] = []): Promise<Deployed> {
    const { plans, networkOf } = plansOf(cluster, e, coupling);
    const services = e.resources.filter((r) => r.type === SERVICE);
    const claims = new Map(e.resources.filter((r) => r.type === PVC).map((r) => [r.inputs.metadata?.name ?? r.state.metadata.name, r]));
    const helper = Object.values(cluster.images)[0];
    const seq = ++deploys; // fresh volumes per deployment, as a new pod gets a new emptyDir
    const pods: StartedPod[] = [];
    for (const plan of plans as (PodPlan & { providerUrn?: string })[]) {
        // Service DNS names for the pods a Service selects (same cluster), ports as declared.
        const aliases: string[] = [];
        const extra: { network: string; aliases: string[] }[] = [];
        for (const s of services) {
            if (s.providerUrn !== plan.providerUrn || !selects(s.inputs.spec.selector ?? {}, plan.labels)) continue;
            const name = s.state.metadata.name;
            const ns = s.inputs.metadata.namespace;
            aliases.push(name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`);
            for (const p of s.inputs.spec.ports ?? []) {
                const target = typeof p.targetPort === "number" ? p.targetPort
                    : plan.spec.containers.flatMap((c: any) => c.ports ?? []).find((cp: any) => cp.name === (p.targetPort ?? p.port))?.containerPort ?? p.port;
                if (target !== p.port) throw new Error(`Service ${name} maps port ${p.port} to ${target}: not emulated (containers are reached on their own port)`);
            }
            // clusters: the generator side's Service is reachable from the echo side at generatorUrl
            if (coupling === "clusters" && s.inputs.spec.type === "LoadBalancer") {
                const echoSide = e.resources.find((r) => r.type === DEPLOYMENT && r.providerUrn !== plan.providerUrn)?.providerUrn;
                extra.push({ network: networkOf(echoSide), aliases: [new URL(GENERATOR_URL).hostname] });
            }
        }
        const fsGroup = variant.fsGroup ?? plan.spec.securityContext?.fsGroup;
        const volumeFor = (v: any): string => {
            if (v.emptyDir) return cluster.volume(`${seq}-${plan.name}-${v.name}`, "emptyDir", fsGroup, helper, volumeOpts);
            if (v.persistentVolumeClaim) {
                const claim = claims.get(v.persistentVolumeClaim.claimName);
                return cluster.volume(`${seq}-${coupling}-claim-${claim?.name ?? v.persistentVolumeClaim.claimName}`, "claim", fsGroup, helper, volumeOpts);
            }
            throw new Error(`volume ${v.name}: kind not emulated`);
        };
        pods.push(await cluster.startPod(plan, variant, aliases, extra, volumeFor));
    }
    const echoService = services.find((s) => (s.inputs.spec.ports ?? []).some((p: any) => p.port === 8000));
    const echo = pods.find((p) => echoService && selects(echoService.inputs.spec.selector, p.plan.labels));
    if (!echo) throw new Error("no pod serves echo (no Service on port 8000 selects one)");
    return { pods, echo };
}

async function readyAll(cluster: Cluster, d: Deployed): Promise<number> {
    const start = Math.min(...d.pods.map((p) => p.startedAt));
    for (const p of d.pods) await cluster.ready(p, 90_000);
    return Date.now() - start;
}

function lines(body: string): number[] {
    return body.split("\n").filter(Boolean).map((l) => {
        assert(/^\d+$/.test(l), `not an integer line: ${JSON.stringify(l)}`);
        const n = Number(l);
        assert(n >= 0 && n <= 32767, `out of range: ${n}`);
        return n;
    });
}

async function runCoupling(cluster: Cluster, coupling: Coupling, e: Evaluation, variant: Variant): Promise<void> {
    const label = `${coupling} [${variant.name}]`;
    let d: Deployed | undefined;
    const ok = await check(`${label}: pods start and every readiness probe passes`, async () => {
        d = await deploy(cluster, e, coupling, variant);
        const ms = await readyAll(cluster, d);
        numbers.startToReadyMs[label] = ms;
        return `${d.pods.length} pod(s), ${d.pods.reduce((n, p) => n + Object.keys(p.containers).length, 0)} container(s), start-to-ready ${(ms / 1000).toFixed(1)} s`;
    });
    if (!ok || !d) {
        if (d) for (const p of d.pods) for (const c of Object.values(p.containers)) console.log(`     logs ${c}: ${docker(["logs", "--tail", "15", c]).stderr.trim().replace(/\n/g, "\n       ")}`);
        return;
    }
    const { echo } = d;
    await check(`${label}: /data grows with integers 0..32767; /healthz and /ready 200; other paths 404`, async () => {
        const interval = Number(e.config.generatorIntervalSeconds);
        const first = await get(echo.ip, 8000, "/data");
        assert(first.status === 200, `/data: ${first.status} ${first.body}`);
        const before = lines(first.body).length;
        await waitFor("/data to grow", async () => lines((await get(echo.ip, 8000, "/data")).body).length > before, interval * 3000 + 3000, 200);
        for (const p of ["/healthz", "/ready"]) {
            const r = await get(echo.ip, 8000, p);
            assert(r.status === 200, `${p}: ${r.status}`);
        }
        for (const p of ["/", "/data/", "/../etc/passwd", "/nope", "/data.bak"]) {
            const r = await get(echo.ip, 8000, p);
            assert(r.status === 404, `${p}: ${r.status}, want 404`);
        }
        return `${before} -> ${lines((await get(echo.ip, 8000, "/data")).body).length} lines`;
    });
    await check(`${label}: every exec and HTTP probe the spec declares passes inside its container`, async () => {
        const done: string[] = [];
        for (const pod of d!.pods) {
            for (const c of pod.plan.spec.containers) {
                for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
                    if (!c[kind]) continue;
                    const failure = await cluster.probe(pod, c.name, c[kind]);
                    assert(failure === "", `${c.name} ${kind}: ${failure}`);
                    done.push(`${c.name} ${kind.replace("Probe", "")}`);
                }
            }
        }
        assert(done.length > 0, "no probes declared");
        return done.join(", ");
    });
    await check(`${label}: non-root as intended, read-only root filesystem, no capabilities, no privilege escalation`, () => {
        const seen: string[] = [];
        for (const pod of d!.pods) {
            for (const c of pod.plan.spec.containers) {
                const name = pod.containers[c.name];
                const id = dockerOk(["exec", name, "id", "-u"]);
                const want = variant.user ? variant.user.split(":")[0] : String(c.securityContext?.runAsUser ?? pod.plan.spec.securityContext?.runAsUser ?? "10001");
                assert(id === want && id !== "0", `${c.name} runs as uid ${id}, want ${want}`);
                const gid = dockerOk(["exec", name, "id", "-g"]);
                const wantGid = variant.user ? variant.user.split(":")[1] : String(c.securityContext?.runAsGroup ?? pod.plan.spec.securityContext?.runAsGroup ?? "0");
                assert(gid === wantGid, `${c.name} runs as gid ${gid}, want ${wantGid}`);
                const status = dockerOk(["exec", name, "cat", "/proc/self/status"]);
                assert(/^CapEff:\s+0+$/m.test(status), `${c.name} has capabilities: ${/^CapEff.*$/m.exec(status)?.[0]}`);
                assert(/^NoNewPrivs:\s+1$/m.test(status), `${c.name}: privilege escalation not disabled`);
                const w = docker(["exec", name, "sh", "-c", "touch /app/x || touch /x"]);
                assert(w.code !== 0, `${c.name} could write its root filesystem`);
                seen.push(`${c.name} ${id}:${gid}`);
            }
        }
        return seen.join(", ");
    });
    if (coupling === "service" && variant.name === "spec") {
        await check(`${label}: generator side stopped -> echo serves its last copy with a Warning; recovers when it returns`, async () => {
            const gen = d!.pods.find((p) => p !== echo)!;
            const before = await get(echo.ip, 8000, "/data");
            assert(before.status === 200 && !before.headers.warning, `before: ${before.status} ${before.headers.warning ?? ""}`);
            cluster.stopPod(gen);
            await waitFor("a Warning header", async () => {
                const r = await get(echo.ip, 8000, "/data");
                return r.status === 200 && /stale/.test(String(r.headers.warning)) && r.body.length > 0;
            }, 15_000, 300);
            const ready = await get(echo.ip, 8000, "/ready");
            assert(ready.status === 200, `/ready while the generator is away: ${ready.status}`);
            cluster.startStoppedPod(gen);
            const ms = await waitFor("recovery (no Warning)", async () => {
                const r = await get(echo.ip, 8000, "/data");
                return r.status === 200 && !r.headers.warning;
            }, 30_000, 300);
            return `stale copy served with Warning; fresh again ${(ms / 1000).toFixed(1)} s after the generator side started`;
        });
    }
    for (const pod of d.pods) cluster.stopPod(pod);
}

// ---- 6. faults (and the item-9 defects, as containers) ----------------------------------

async function faults(cluster: Cluster, evals: Record<string, Evaluation>, refs: Record<string, string>): Promise<void> {
    const podSpec = evals["pod/spec"];
    const appSpec = evals["container/spec"];
    const spec: Variant = { name: "spec" };

    // docker stop: PID 1 handles SIGTERM; within 2 s, status 0. Once settled, once right after start.
    for (const [coupling, e] of [["pod", podSpec], ["container", appSpec]] as const) {
        await check(`docker stop of every ${coupling} container: exits 0 within 2 s (PID 1 handles SIGTERM)`, async () => {
            const d = await deploy(cluster, e, coupling, spec);
            await readyAll(cluster, d);
            const out: string[] = [];
            for (const pod of d.pods) {
                for (const [name, c] of Object.entries(pod.containers)) {
                    const r = docker(["stop", "-t", "10", c], 30_000);
                    const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", c]);
                    assert(r.code === 0, `docker stop ${name}: ${r.stderr}`);
                    assert(r.ms < 2000 && code === "0", `${name}: stopped in ${r.ms} ms with status ${code}`);
                    out.push(`${name} ${r.ms} ms`);
                }
                docker(["stop", "-t", "1", pod.pause]);
            }
            return out.join(", ");
        });
    }
    await check("docker stop right after start (SIGTERM during start-up): every image exits 0 within 2 s", async () => {
        const out: string[] = [];
        const plan = podSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec;
        const app = appSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec.containers[0];
        for (const c of [...plan.containers, app]) {
            const name = `${cluster.run}-early-${c.name}`;
            const vol = cluster.volume(`early-${c.name}`, "emptyDir", 10001, refs.generator);
            const args = cluster.containerArgs(c, plan.securityContext ?? {}, spec, { data: vol });
            dockerOk(["run", "-d", ...args, "--name", name, cluster.image(c.image)]);
            cluster.containers.push(name);
            await sleep(150); // inside the interpreter's start-up, before the program is serving
            const r = docker(["stop", "-t", "5", name], 30_000);
            const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", name]);
            assert(r.ms < 2000 && code === "0", `${c.name}: stopped in ${r.ms} ms with status ${code} (SIGTERM lost, then SIGKILL?)`);
            out.push(`${c.name} ${r.ms} ms`);
        }
        return out.join(", ");
    });

    await check("container coupling: app.sh --check uses no Python (PYTHON=/bin/false still passes) and stays fast", async () => {
        const d = await deploy(cluster, appSpec, "container", spec);
        await readyAll(cluster, d);
        const c = d.pods[0].containers.app;
        const probe = appSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec.containers[0].livenessProbe.exec.command;
        const r = docker(["exec", "-e", "PYTHON=/bin/false", c, ...probe]);
        assert(r.code === 0, `--check with PYTHON=/bin/false: exit ${r.code} ${r.stdout}${r.stderr}: it still starts Python`);
        const times: number[] = [];
        for (let i = 0; i < 5; i++) times.push(docker(["exec", c, ...probe]).ms);
        cluster.stopPod(d.pods[0]);
        return `median ${times.sort((a, b) => a - b)[2]} ms (docker exec included; timeout 3 s)`;
    });

    await check("container coupling: killing one child inside app -> the container exits non-zero", async () => {
        const d = await deploy(cluster, appSpec, "container", spec);
        await readyAll(cluster, d);
        const c = d.pods[0].containers.app;
        const pid = dockerOk(["exec", c, "sh", "-c",
            // echo.py's interpreter: comm python*, cmdline naming echo.py (not this shell, whose text names it too)
            "for p in /proc/[0-9]*; do case \"$(cat $p/comm 2>/dev/null)\" in python*) " +
            "case \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" in *echo.py*) echo ${p#/proc/}; break;; esac;; esac; done"]);
        assert(/^\d+$/.test(pid), `echo.py not found in the container: ${pid}`);
        dockerOk(["exec", c, "kill", "-KILL", pid]);
        await waitFor("the container to exit", () => dockerOk(["inspect", "--format", "{{.State.Status}}", c]) === "exited", 5000, 100);
        const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", c]);
        assert(code !== "0", "exited 0");
        docker(["stop", "-t", "1", d.pods[0].pause]);
        return `echo.py (pid ${pid}) killed; container exited with status ${code}`;
    });

    await check("pod coupling: data volume full -> generator reports it and keeps running; echo keeps serving; recovers", async () => {
        // The emptyDir as a 256 KiB tmpfs, so that filling it is quick and harms nothing; few
        // lines kept, so that every beat rewrites the file (appends may still fit in the last
        // page of a full tmpfs, a rewrite never does).
        const small = await evaluate({ ...minimalConfig("pod"), maxLines: 5, generatorIntervalSeconds: 0.5 }, { hostArch: HOST_ARCH });
        const d = await deploy(cluster, small, "pod", spec, ["--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=256k"]);
        await readyAll(cluster, d);
        const pod = d.pods[0];
        const gen = pod.containers.generator;
        docker(["exec", gen, "sh", "-c", "cat /dev/zero > /data/fill"], 30_000); // fails with ENOSPC: full
        await waitFor("the generator to report the failed write", () => /cannot (append|rewrite)/.test(docker(["logs", gen]).stderr), 10_000, 200);
        const served = await get(pod.ip, 8000, "/data");
        assert(served.status === 200 && lines(served.body).length > 0, `echo: ${served.status}`);
        await sleep(3000);
        assert(dockerOk(["inspect", "--format", "{{.State.Status}}", gen]) === "running", "the generator exited");
        dockerOk(["exec", gen, "rm", "-f", "/data/fill"]);
        await waitFor("the generator to write again", () => /again/.test(docker(["logs", gen]).stderr), 10_000, 200);
        cluster.stopPod(pod);
        return docker(["logs", gen]).stderr.split("\n").filter((l) => /cannot|again/.test(l)).join(" | ");
    });

    await check("generator with nowhere to write (read-only root, no volume): says so and exits 1, not the bad-config 2", async () => {
        const name = `${cluster.run}-nowrite`;
        dockerOk(["run", "-d", "--read-only", "--label", `app-coupling.e2e=${cluster.run}`, "--name", name, refs.generator]);
        cluster.containers.push(name);
        await waitFor("exit", () => dockerOk(["inspect", "--format", "{{.State.Status}}", name]) === "exited", 5000, 100);
        const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", name]);
        const logs = docker(["logs", name]).stderr.trim();
        assert(code === "1" && /cannot create \/data\/data/.test(logs), `status ${code}, logs: ${logs}`);
        return logs;
    });

    await check("echo with a resolver that never answers: /ready at once, /data within the upstream timeout", async () => {
        const name = `${cluster.run}-nodns`;
        // 192.0.2.1 (TEST-NET-1) never answers; the default bridge hands it to the container as its resolver
        dockerOk(["run", "-d", "--dns", "192.0.2.1", "--label", `app-coupling.e2e=${cluster.run}`, "--name", name,
            "-e", "UPSTREAM_URL=http://generator.example.invalid:8080", "-e", "UPSTREAM_TIMEOUT_SECONDS=2", refs.echo]);
        cluster.containers.push(name);
        const ip = dockerOk(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]);
        await waitFor("echo", async () => (await get(ip, 8000, "/healthz")).status === 200, 10_000);
        const ready = await get(ip, 8000, "/ready", 10_000);
        const data = await get(ip, 8000, "/data", 15_000);
        assert(ready.ms < 500, `/ready took ${ready.ms} ms`);
        assert(data.status === 502 && data.ms < 3000, `/data: ${data.status} after ${data.ms} ms (timeout 2 s)`);
        return `/ready ${ready.status} in ${ready.ms} ms, /data ${data.status} in ${data.ms} ms`;
    });

    await check("echo and the adapter listen on IPv6 and IPv4 (one dual-stack socket) where the pod network has IPv6", async () => {
        // Docker turns IPv6 off in containers on IPv4-only networks (echo then says "IPv4 only"
        // and serves all the same, as every coupling above shows); here it is on, as in a
        // dual-stack cluster.
        const name = `${cluster.run}-dualstack`;
        const dir = cluster.volume("dualstack", "emptyDir", 10001, refs.generator);
        dockerOk(["run", "-d", "--sysctl", "net.ipv6.conf.all.disable_ipv6=0", "--sysctl", "net.ipv6.conf.lo.disable_ipv6=0",
            "--read-only", "--cap-drop", "ALL", "-v", `${dir}:/data`, "--label", `app-coupling.e2e=${cluster.run}`, "--name", name, refs.echo]);
        cluster.containers.push(name);
        await waitFor("echo", () => docker(["exec", name, "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/healthz"]).code === 0, 10_000);
        const tcp6 = dockerOk(["exec", name, "cat", "/proc/net/tcp6"]);
        // local address :: (all zeros) port 8000 (1F40), state 0A (LISTEN)
        assert(/^\s*\d+: 0{32}:1F40 0{32}:0000 0A/m.test(tcp6), `no [::]:8000 listener in /proc/net/tcp6:\n${tcp6}\n${docker(["logs", name]).stderr}`);
        const v6 = docker(["exec", name, "busybox", "wget", "-q", "-O", "/dev/null", "http://[::1]:8000/healthz"]);
        assert(v6.code === 0, `over IPv6: ${v6.stderr}`);
        const logs = docker(["logs", name]).stderr;
        assert(/IPv6 and IPv4/.test(logs), `echo says: ${logs}`);
        return "[::]:8000 answers 127.0.0.1 and ::1";
    });

    await check("echo against an upstream that accepts and never answers: /ready at once", async () => {
        const name = `${cluster.run}-silent`;
        const echo = `${cluster.run}-silent-echo`;
        const netName = cluster.network("silent");
        // busybox nc -l -p: accepts one connection and never writes
        dockerOk(["run", "-d", "--network", netName, "--network-alias", "silent-upstream", "--label", `app-coupling.e2e=${cluster.run}`,
            "--name", name, "--entrypoint", "sh", refs.generator, "-c", "while :; do nc -l -p 8080 >/dev/null; done"]);
        cluster.containers.push(name);
        dockerOk(["run", "-d", "--network", netName, "--label", `app-coupling.e2e=${cluster.run}`, "--name", echo,
            "-e", "UPSTREAM_URL=http://silent-upstream:8080", refs.echo]);
        cluster.containers.push(echo);
        const ip = dockerOk(["inspect", "--format", `{{ (index .NetworkSettings.Networks "${netName}").IPAddress }}`, echo]);
        await waitFor("echo", async () => (await get(ip, 8000, "/healthz")).status === 200, 10_000);
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
            const r = await get(ip, 8000, "/ready", 5000);
            assert(r.status === 503, `/ready: ${r.status}`);
            times.push(r.ms);
        }
        assert(Math.max(...times) < 500, `/ready took ${times.join(", ")} ms`);
        return `/ready 503 in ${times.join(", ")} ms`;
    });
}

// ---- 7. registry round trip, 10. same content -> same digest ---------------------------

function startRegistry(storage: string, port: number, work: string, procs: ChildProcess[], confDir = work): Promise<void> {
    fs.mkdirSync(storage, { recursive: true });
    const conf = path.join(confDir, `registry-${port}.yml`);
    fs.writeFileSync(conf, [
        "version: 0.1",
        "log: { level: error }",
        "storage:",
        `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
        "  delete: { enabled: true }",
        `http: { addr: "127.0.0.1:${port}" }`,
        "",
    ].join("\n"));
    const p = spawn("docker-registry", ["serve", conf], { stdio: ["ignore", "ignore", fs.openSync(path.join(work, `registry-${port}.log`), "a")] });
    procs.push(p);
    return waitFor(`registry on 127.0.0.1:${port}`, async () => {
        if (p.exitCode !== null) throw new GiveUp(`docker-registry exited ${p.exitCode}: ${fs.readFileSync(path.join(work, `registry-${port}.log`), "utf8").slice(-500)}`);
        return (await get("127.0.0.1", port, "/v2/")).status === 200;
    }, 15_000).then(() => undefined);
}

/** What a registry answers for repo:tag (HEAD manifest; what getRegistryImage reads): the digest, or undefined. */
function registryDigest(port: number, repo: string, tag: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: "127.0.0.1", port, method: "HEAD", path: `/v2/${repo}/manifests/${tag}`, agent: false,
            headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json" },
        }, (res) => {
            res.resume();
            resolve(res.statusCode === 200 ? String(res.headers["docker-content-digest"]) : undefined);
        });
        req.on("error", reject);
        req.end();
    });
}

function pushDigest(ref: string): string {
    const r = docker(["push", ref], 300_000);
    if (r.code !== 0) throw new Error(`docker push ${ref}: ${r.stderr || r.stdout}`);
    const m = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout);
    if (!m) throw new Error(`no digest in the push output: ${r.stdout}`);
    return m[1];
}

async function registry(cluster: Cluster, refs: Record<string, string>, cacheDir: string, work: string, builder: Builder,
    platform: string, procs: ChildProcess[]): Promise<void> {
    const PORT = 5001;
    let available = false;
    let ours = false;
    await check("registry: Debian's docker-registry on localhost:5001 (or the one already there)", async () => {
        try {
            if ((await get("127.0.0.1", PORT, "/v2/", 2000)).status === 200) {
                available = true;
                return "a registry already answers on localhost:5001: using it";
            }
        } catch {
            // nothing there: start ours
        }
        if (run("sh", ["-c", "command -v docker-registry"]).code !== 0) throw new Skip("docker-registry is not installed (apt-get install docker-registry)");
        await startRegistry(path.join(cacheDir, "registry"), PORT, work, procs, cacheDir);
        available = true;
        ours = true;
        return `started, storage ${path.join(cacheDir, "registry")} (kept; serve it again with ` +
            `docker-registry serve ${path.join(cacheDir, `registry-${PORT}.yml`)})`;
    });
    if (!available) {
        skip("registry round trip", "no registry on localhost:5001");
        skip("same content, same digest", "no registry on localhost:5001");
        return;
    }
    const pinned: Record<string, string> = {};
    await check("registry round trip: push all three, pull by digest, run by digest; the digest is the repo digest pods get", async () => {
        for (const [name, ref] of Object.entries(refs)) {
            const digest = pushDigest(ref);
            const repo = ref.replace(/:[^:/]+$/, "");
            pinned[name] = `${repo}@${digest}`;
            // forget the local copy, then pull it back by digest
            docker(["rmi", "-f", ref, pinned[name]]);
            dockerOk(["pull", pinned[name]], 300_000);
            const repoDigests: string[] = JSON.parse(dockerOk(["image", "inspect", "--format", "{{json .RepoDigests}}", pinned[name]]));
            assert(repoDigests.includes(pinned[name]), `${name}: RepoDigests ${repoDigests.join(", ")} lack ${pinned[name]}`);
            const tag = ref.split(":").pop()!;
            const answered = await registryDigest(PORT, repo.replace(/^localhost:5001\//, ""), tag);
            assert(answered === digest, `${name}: the registry answers ${answered} for ${tag}, pushed ${digest}`);
            dockerOk(["tag", pinned[name], ref]);
        }
        const name = `${cluster.run}-bydigest`;
        dockerOk(["run", "-d", "--read-only", "--cap-drop", "ALL", "--label", `app-coupling.e2e=${cluster.run}`, "--name", name, pinned.echo]);
        cluster.containers.push(name);
        const ip = dockerOk(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]);
        await waitFor("echo by digest", async () => (await get(ip, 8000, "/healthz")).status === 200, 10_000);
        numbers.registry = pinned;
        const file = path.join(cacheDir, "e2e-images.json");
        fs.writeFileSync(file, JSON.stringify({ ...pinned, registry: "localhost:5001",
            ...(ours ? { registryStorage: path.join(cacheDir, "registry"), registryConfig: path.join(cacheDir, `registry-${PORT}.yml`) } : {}),
            platform, bases: (numbers.bases ?? []).map((b) => `${b.name} (${b.source})`), writtenAt: new Date().toISOString() }, null, 2) + "\n");
        return `${Object.values(pinned).join(", ")}; written to ${file}`;
    });

    await check("same content, same digest: a second cold build on a clean engine state deploys the registry's digest, not its own", async () => {
        // Two cold builds of the unchanged echo image (build cache pruned, image removed in between).
        const spec = BUILD_SPECS.echo;
        const ctx = path.join(DEFAULT_IMAGES_DIR, spec.context);
        const df = path.join(DEFAULT_IMAGES_DIR, spec.dockerfile);
        const tag = refs.echo.split(":").pop()!;
        const digests: string[] = [];
        const ports: number[] = [];
        for (let i = 0; i < 2; i++) {
            const port = await freePort();
            await startRegistry(path.join(work, `registry-clean-${i}`), port, work, procs); // a clean registry each time
            const ref = `localhost:${port}/app-coupling-echo:${tag}`;
            docker(["rmi", "-f", ref]);
            docker(["builder", "prune", "-af"], 120_000);
            docker(["rmi", "-f", refs.echo]);
            const b = builder.build(ref, ctx, df, platform);
            assert(b.code === 0, `cold build ${i + 1}: ${b.stderr.slice(-800)}`);
            digests.push(pushDigest(ref));
            ports.push(port);
            docker(["rmi", "-f", ref]);
        }
        // restore the local tag the rest of the suite used
        builder.build(refs.echo, ctx, df, platform);
        numbers.reproducible = { first: digests[0], second: digests[1], same: digests[0] === digests[1] };
        // What the program deploys for this content tag: the digest the registry already holds
        // (components/images.ts looks the tag up before building). Same registry -> same digest.
        const first = await registryDigest(ports[0], "app-coupling-echo", tag);
        assert(first === digests[0], `registry 1 answers ${first} for ${tag}, pushed ${digests[0]}`);
        const clean = await registryDigest(await freePort().then(async (p) => {
            await startRegistry(path.join(work, "registry-empty"), p, work, procs);
            return p;
        }), "app-coupling-echo", tag);
        assert(clean === undefined, `an empty registry answered ${clean}`);
        return digests[0] === digests[1]
            ? `two cold builds gave the same digest ${digests[0]} (reproducible here) and the registry answers it for the tag`
            : `two cold builds differ (${digests[0].slice(7, 19)}… vs ${digests[1].slice(7, 19)}…, not reproducible on this engine); ` +
              "the registry answers the first for the content tag, so every later deploy reuses it; an empty registry answers nothing (build and push)";
    });
}

main().catch((e) => {
    record("e2e:containers", "fail", String(e?.stack ?? e));
    close();
});
