// A round trip through a real registry (Debian's docker-registry on localhost:5001, or the
// one already there): push, pull by digest, run by digest; and what the registry answers
// for a content tag when two cold builds of the same content differ.
import * as fs from "fs";
import * as path from "path";
import { BUILD_SPECS, DEFAULT_IMAGES_DIR } from "../../components/images";
import { freePort } from "../../lib/net";
import { get } from "../lib/http";
import { assert, check, skip, Skip } from "../lib/ledger";
import { run, waitFor } from "../lib/processes";
import { startRegistry, tagDigest } from "../lib/registry";
import { Builder } from "./builds";
import { docker, dockerOk } from "./docker";
import { numbers } from "./numbers";
import { Cluster } from "./pods";

function pushDigest(ref: string): string {
    const r = docker(["push", ref], 300_000);
    if (r.code !== 0) throw new Error(`docker push ${ref}: ${r.stderr || r.stdout}`);
    const m = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout);
    if (!m) throw new Error(`no digest in the push output: ${r.stdout}`);
    return m[1];
}

export async function registry(cluster: Cluster, refs: Record<string, string>, cacheDir: string, work: string, builder: Builder,
    platform: string): Promise<void> {
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
        await startRegistry(path.join(cacheDir, "registry"), PORT, work, cacheDir);
        available = true;
        ours = true;
        return `started, storage ${path.join(cacheDir, "registry")} (kept; serve it again with ` +
            `docker-registry serve ${path.join(cacheDir, `registry-${PORT}.yml`)})`;
    });
    if (!available) {
        skip("registry round trip", "no registry on localhost:5001");
        skip("same content, same tag", "no registry on localhost:5001");
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
            const answered = await tagDigest(PORT, repo.replace(/^localhost:5001\//, ""), tag);
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

    await check("same content, same tag: two cold builds on clean engine states, and what a registry answers for the tag", async () => {
        // Two cold builds of the unchanged echo image (build cache pruned, image removed in between).
        const spec = BUILD_SPECS.echo;
        const ctx = path.join(DEFAULT_IMAGES_DIR, spec.context);
        const df = path.join(DEFAULT_IMAGES_DIR, spec.dockerfile);
        const tag = refs.echo.split(":").pop()!;
        const digests: string[] = [];
        const ports: number[] = [];
        for (let i = 0; i < 2; i++) {
            const port = await freePort();
            await startRegistry(path.join(work, `registry-clean-${i}`), port, work); // a clean registry each time
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
        // What the program deploys for the content tag: the digest the registry holds for the
        // tag it pushed (docker.RegistryImage asks for it after the push, components/images.ts).
        const first = await tagDigest(ports[0], "app-coupling-echo", tag);
        assert(first === digests[0], `registry 1 answers ${first} for ${tag}, pushed ${digests[0]}`);
        const clean = await tagDigest(await freePort().then(async (p) => {
            await startRegistry(path.join(work, "registry-empty"), p, work);
            return p;
        }), "app-coupling-echo", tag);
        assert(clean === undefined, `an empty registry answered ${clean}`);
        return digests[0] === digests[1]
            ? `two cold builds gave the same digest ${digests[0]} (reproducible here) and the registry answers it for the tag`
            : `two cold builds differ (${digests[0].slice(7, 19)}… vs ${digests[1].slice(7, 19)}…, not reproducible on this engine); ` +
              "each registry answers the digest pushed to it for the one content tag; an empty registry answers nothing (a refresh then pushes again)";
    });
}
