// components/images.ts and the registry: same content, same digest wherever `pulumi up`
// runs, and a push again when the registry lost what an unchanged Image pushed earlier.
// Under this file's own Pulumi mocks, a fake registry answers docker.getRegistryImage the
// way the provider does (a digest, or a not-found error) and "pushes" when an Image is
// created. (The real registry's answer is checked by npm run e2e:containers.)
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../components/config";
import { AppImages, registryDigest } from "../components/images";
import { collectingWarnings } from "../lib/evaluate";

const PROJECT = "app-coupling";
const IMAGE = "docker:index/image:Image";
/** An invoke failure as the engine reports it: gRPC status details, which the SDK turns into the message. */
const rpcError = (message: string) => Object.assign(new Error(message), { details: message });
const digestOf = (s: string) => `sha256:${crypto.createHash("sha256").update(s).digest("hex")}`;

interface World {
    /** repo:tag and repo@digest the fake registry holds. */
    registry: Map<string, string>;
    /** When false, a created Image does not push (as an unchanged Image in state: no push at all). */
    pushes: (name: string) => boolean;
    /** What getRegistryImage throws for an unknown reference. */
    notFound?: string;
}

async function evaluateImages(world: World, config: Record<string, string> = {}, previousOutputs: Record<string, unknown> = {}) {
    const warnings: string[] = [];
    return { ...await collectingWarnings(warnings, () => evaluateImagesQuietly(world, config, previousOutputs)), warnings };
}

async function evaluateImagesQuietly(world: World, config: Record<string, string>, previousOutputs: Record<string, unknown>) {
    const created: { type: string; name: string; inputs: any }[] = [];
    const lookups: string[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            created.push({ type: args.type, name: args.name, inputs: args.inputs });
            const state: Record<string, unknown> = { ...args.inputs };
            if (args.type === IMAGE) {
                const tagged = String(args.inputs.imageName);
                const repo = tagged.replace(/:[^:/]+$/, "");
                const digest = digestOf(`${args.name} build ${created.length}`); // every build differs
                state.repoDigest = `${repo}@${digest}`;
                if (world.pushes(args.name)) {
                    world.registry.set(tagged, digest);
                    world.registry.set(`${repo}@${digest}`, digest);
                }
            }
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            if (args.token !== "docker:index/getRegistryImage:getRegistryImage") return args.inputs;
            lookups.push(args.inputs.name);
            const held = world.registry.get(args.inputs.name);
            if (!held) throw rpcError(world.notFound ?? "Got error when attempting to fetch image version from registry: 404 Not Found: manifest unknown");
            return { name: args.inputs.name, sha256Digest: held };
        },
    }, PROJECT, "test", false);
    pulumi.runtime.setAllConfig({ [`${PROJECT}:coupling`]: "pod", ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])) },
        Object.keys(config).includes("registryPassword") ? [`${PROJECT}:registryPassword`] : []);
    // the stack's own last outputs, as program.ts reads them back
    const images = new AppImages("images", { config: loadConfig({ hostArch: "x64" }), builtBefore: previousOutputs.builtImages as string[] | undefined });
    const refs: Record<string, string> = {};
    for (const [name, output] of Object.entries(images.refs)) {
        refs[name] = await new Promise<string>((resolve) => output!.apply((v) => { resolve(v); return v; }));
    }
    const builtImages = await new Promise<string[]>((resolve) => images.builtImages.apply((v) => { resolve(v); return v; }));
    await pulumi.runtime.disconnect();
    return { refs, builtImages, images: created.filter((r) => r.type === IMAGE).map((r) => r.name).sort(), created, lookups };
}

describe("components/images.ts and the registry", function () {
    it("builds and pushes when the registry lacks the content tag, and deploys the pushed digest", async () => {
        const world: World = { registry: new Map(), pushes: () => true };
        const run = await evaluateImages(world);
        assert.deepEqual(run.images, ["echo", "generator"]);
        for (const name of ["echo", "generator"]) {
            const ref = run.refs[name];
            assert.match(ref, new RegExp(`^localhost:5001/app-coupling-${name}@sha256:[0-9a-f]{64}$`));
            assert.ok(world.registry.has(ref), `${ref} was pushed`);
        }
    });

    it("same content, same digest: a second machine deploys what the registry holds for the content tag, building nothing", async () => {
        const world: World = { registry: new Map(), pushes: () => true };
        const first = await evaluateImages(world);
        // another machine, another state: nothing in common but the registry
        const second = await evaluateImages(world);
        assert.deepEqual(second.images, [], "nothing is built");
        assert.deepEqual(second.refs, first.refs, "the first machine's digests");
    });

    it("the run after a build keeps the stack's Image resources (nothing to delete) and deploys the same digests", async () => {
        const world: World = { registry: new Map(), pushes: () => true };
        const first = await evaluateImages(world);
        assert.equal(first.builtImages.length, 2, "the first run records the content tags it built");
        for (const name of first.builtImages) assert.match(name, /^localhost:5001\/app-coupling-(echo|generator):amd64-/);
        // same machine, same state: the Image resources are unchanged in the state, so the
        // provider neither builds nor pushes; the program must register them again
        world.pushes = () => false;
        const rerun = await evaluateImages(world, {}, { builtImages: first.builtImages });
        assert.deepEqual(rerun.images, ["echo", "generator"], "the Images stay registered: no delete on a re-run");
        assert.deepEqual(rerun.refs, first.refs);
        assert.deepEqual(rerun.builtImages, first.builtImages);
        // a changed program gives a new content tag: that one is built, the old tag forgotten
        const other = await evaluateImages(world, {}, { builtImages: ["localhost:5001/app-coupling-echo:amd64-0000"] });
        assert.deepEqual(other.images, [], "a stale record builds nothing the registry already holds");
    });

    it("pushes again when an unchanged Image's digest is gone from the registry (recreated empty)", async () => {
        // the Image resource is unchanged from an earlier run: the provider does nothing, the
        // state's digest comes back, but the registry no longer has it
        const world: World = { registry: new Map(), pushes: (name) => name.endsWith("-repush") };
        const run = await evaluateImages(world);
        assert.deepEqual(run.images, ["echo", "echo-repush", "generator", "generator-repush"]);
        for (const name of ["echo", "generator"]) {
            assert.ok(world.registry.has(run.refs[name]), `${name} deploys a digest the registry has: ${run.refs[name]}`);
        }
        // and the next run finds the content tag again: no Image at all, same digests
        const next = await evaluateImages(world);
        assert.deepEqual(next.images, []);
        assert.deepEqual(next.refs, run.refs);
    });

    it("builds as before when the registry cannot be asked (no answer, denied): it never assumes a loss", async () => {
        const world: World = { registry: new Map(), pushes: () => false, notFound: "connection refused" };
        const run = await evaluateImages(world);
        assert.deepEqual(run.images, ["echo", "generator"], "no re-push on an unknown answer");
        // and says so, naming the image and the cause
        assert.equal(run.warnings.length, 2, run.warnings.join("\n"));
        for (const [i, n] of ["generator", "echo"].entries()) {
            assert.match(run.warnings[i], new RegExp(`^images: could not ask the registry about localhost:5001/app-coupling-${n}:amd64-[0-9a-f]+ \\(connection refused\\); building it$`));
        }
    });

    it("asks with the push credentials (a lookup provider), the password a secret", async () => {
        const world: World = { registry: new Map(), pushes: () => true };
        const run = await evaluateImages(world, { imageRegistry: "ghcr.io/acme", registryUsername: "ci", registryPassword: "hunter2" });
        const provider = run.created.find((r) => r.type === "pulumi:providers:docker");
        assert.ok(provider, "a docker provider with registryAuth for the lookups");
        assert.ok(!JSON.stringify(provider.inputs).includes("\"hunter2\""), "the password is not stored in plain text");
        assert.ok(run.lookups.some((l) => l.startsWith("ghcr.io/acme/app-coupling-echo:amd64-")));
    });

    it("registryDigest: held, missing, unknown", async () => {
        const world: World = { registry: new Map([["r/x:1", digestOf("x")]]), pushes: () => true };
        await pulumi.runtime.setMocks({
            newResource: (a) => ({ id: "id", state: a.inputs }),
            call(args) {
                const held = world.registry.get(args.inputs.name);
                if (args.inputs.name === "r/down:1") throw rpcError("dial tcp: connection refused");
                if (!held) throw rpcError("Got bad response from registry: 404 Not Found");
                return { sha256Digest: held };
            },
        }, PROJECT, "test", false);
        assert.deepEqual(await registryDigest("r/x:1"), { state: "held", digest: digestOf("x") });
        assert.deepEqual(await registryDigest("r/y:1"), { state: "missing" });
        const warnings: string[] = [];
        assert.equal((await collectingWarnings(warnings, () => registryDigest("r/down:1"))).state, "unknown");
        assert.deepEqual(warnings, ["images: could not ask the registry about r/down:1 (dial tcp: connection refused); building it"]);
        await pulumi.runtime.disconnect();
    });
});
