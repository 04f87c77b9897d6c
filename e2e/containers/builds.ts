// The base images, the builder, and the three images built exactly as components/images.ts
// builds them: same context, Dockerfile, platform and content-hash tag; cold, then warm.
import * as fs from "fs";
import * as path from "path";
import { IMAGE_NAMES } from "../../components/config";
import { BUILD_SPECS, DEFAULT_IMAGES_DIR, imageRepository, imageTag } from "../../components/images";
import { Evaluation } from "../../lib/evaluate";
import { assert, check, note, skip } from "../lib/ledger";
import { run } from "../lib/processes";
import { Base, ensureBase, fromImages } from "./bases";
import { docker } from "./docker";
import { numbers } from "./numbers";
import { HOST_ARCH, IMAGE } from "./program";

export interface Builder {
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

/** Every FROM image, real or a stand-in; undefined when one cannot be had. */
export async function ensureBases(work: string): Promise<Base[] | undefined> {
    const bases: Base[] = [];
    const ok = await check("bases: every FROM image available (real, else a local stand-in)", () => {
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
    if (standIns.length) note(`stand-in bases: ${standIns.map((b) => b.name).join(", ")} (docs/evidence.md, "Stand-in bases": what a stand-in does not prove)`);
    if (!ok) {
        skip("builds", "no base images");
        return undefined;
    }
    return bases;
}

export interface Built {
    builder: Builder;
    /** image name -> repo:tag built */
    refs: Record<string, string>;
    /** repository -> local ref */
    localByRepo: Record<string, string>;
}

/** The builder, then each image cold and warm, its tag checked against the program's. */
export async function buildImages(work: string, bases: Base[], evals: Record<string, Evaluation>): Promise<Built | undefined> {
    const config = evals["pod/spec"].config;
    const platform = config.platform;
    let builder: Builder | undefined;
    await check("builder: BuildKit as @pulumi/docker uses it, else the legacy builder", () => {
        builder = pickBuilder(work, bases[0].name);
        numbers.builder = builder.name;
        return builder.name;
    });
    if (!builder) return undefined;
    const refs: Record<string, string> = {};
    const localByRepo: Record<string, string> = {};
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
        return undefined;
    }
    return { builder, refs, localByRepo };
}
