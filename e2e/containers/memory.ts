/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs from the evaluated program are untyped property bags */
// The largest accepted maxLines (MAX_LINES_LIMIT, a 57 MB data file) in real containers under
// the memory limits the program emits (every pod here gets `docker run --memory` from its
// spec): the data volume filled to maxLines, then ten concurrent readers fetching echo's
// /data for a while. No container may be OOM-killed or stop, every response must be whole,
// and the generator must go on trimming: file mode (pod), upstream mode with its cache
// volume and the adapter (service), and both programs in one container (container).
import * as fs from "fs";
import * as http from "http";
import { Coupling, MAX_LINES_LIMIT } from "../../components/config";
import { evaluate, minimalConfig } from "../../lib/evaluate";
import { assert, check } from "../lib/ledger";
import { sleep, waitFor } from "../lib/processes";
import { deploy, Deployed, readyAll } from "./deploy";
import { docker, dockerOk } from "./docker";
import { numbers } from "./numbers";
import { Cluster, StartedPod } from "./pods";
import { HOST_ARCH } from "./program";

const READERS = 10;
const LOAD_SECONDS = 20;

/** maxLines lines 0, 1, 2, ... (mod 32768): after the first trim the file no longer starts with "0". */
function fullDataFile(): Buffer {
    const period = Buffer.from(Array.from({ length: 32768 }, (_, i) => `${i}\n`).join(""));
    const whole = Math.floor(MAX_LINES_LIMIT / 32768);
    const rest = Buffer.from(Array.from({ length: MAX_LINES_LIMIT - whole * 32768 }, (_, i) => `${i}\n`).join(""));
    return Buffer.concat([...Array.from({ length: whole }, () => period), rest]);
}

/** The container (and its pod) writing the data volume: the one mounting /data read-write. */
function writer(d: Deployed): { pod: StartedPod; spec: any; container: string } {
    for (const pod of d.pods) {
        for (const c of pod.plan.spec.containers) {
            if ((c.volumeMounts ?? []).some((m: any) => m.mountPath === "/data" && !m.readOnly)) return { pod, spec: c, container: pod.containers[c.name] };
        }
    }
    throw new Error("no container writes /data");
}

/** Stops the writer, fills its data volume to maxLines as its own user, starts it again: it counts the lines and trims from then on. */
function fill(d: Deployed, data: Buffer): void {
    const w = writer(d);
    const mounts: { Name: string; Destination: string }[] = JSON.parse(dockerOk(["inspect", "--format", "{{json .Mounts}}", w.container]));
    const volume = mounts.find((m) => m.Destination === "/data")!.Name;
    const pod = w.pod.plan.spec.securityContext ?? {};
    const user = `${w.spec.securityContext?.runAsUser ?? pod.runAsUser ?? 10001}:${w.spec.securityContext?.runAsGroup ?? pod.runAsGroup ?? 0}`;
    dockerOk(["stop", "-t", "10", w.container], 30_000);
    dockerOk(["run", "--rm", "-i", "--user", user, ...(pod.fsGroup !== undefined ? ["--group-add", String(pod.fsGroup)] : []),
        "-v", `${volume}:/data`, "--entrypoint", "/bin/sh", dockerOk(["inspect", "--format", "{{.Config.Image}}", w.container]),
        "-c", "cat > /data/.seed && mv -f /data/.seed /data/data"], 300_000, data);
    dockerOk(["start", w.container]);
}

/** One GET of /data, the body counted and dropped: resolves with its length, checked against Content-Length. */
function fetchWhole(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host, port: 8000, path: "/data", agent: false }, (res) => {
            let n = 0;
            res.on("data", (c: Buffer) => (n += c.length));
            res.on("end", () => (res.statusCode === 200 && n === Number(res.headers["content-length"])
                ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}: ${n} bytes for Content-Length ${res.headers["content-length"]}`))));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.setTimeout(60_000, () => req.destroy(new Error("GET /data: no progress for 60 s")));
    });
}

/** The container's memory cgroup (v1 or v2), when this host shows it. */
function memoryCgroup(container: string): { peak: number; rss: number; limit: number } | undefined {
    const id = dockerOk(["inspect", "--format", "{{.Id}}", container]);
    const read = (f: string) => fs.readFileSync(f, "utf8");
    const stat = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
    for (const dir of [`/sys/fs/cgroup/memory/docker/${id}`, `/sys/fs/cgroup/memory/system.slice/docker-${id}.scope`]) {
        if (fs.existsSync(`${dir}/memory.max_usage_in_bytes`)) {
            return { peak: Number(read(`${dir}/memory.max_usage_in_bytes`)), rss: stat(read(`${dir}/memory.stat`), "total_rss"), limit: Number(read(`${dir}/memory.limit_in_bytes`)) };
        }
    }
    for (const dir of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
        if (fs.existsSync(`${dir}/memory.max`)) {
            const peak = fs.existsSync(`${dir}/memory.peak`) ? Number(read(`${dir}/memory.peak`)) : NaN;
            return { peak, rss: stat(read(`${dir}/memory.stat`), "anon"), limit: Number(read(`${dir}/memory.max`)) };
        }
    }
    return undefined;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export async function memoryAtLargestMaxLines(cluster: Cluster): Promise<void> {
    const data = fullDataFile();
    for (const coupling of ["pod", "service", "container"] as Coupling[]) {
        const e = await evaluate({ ...minimalConfig(coupling), maxLines: MAX_LINES_LIMIT }, { hostArch: HOST_ARCH });
        await check(`${coupling}, maxLines ${MAX_LINES_LIMIT} (a ${mib(data.length)} file): ${READERS} concurrent readers of /data for ${LOAD_SECONDS} s ` +
            "under the emitted memory limits; nothing OOM-killed, every response whole, the generator still trimming", async () => {
            const d = await deploy(cluster, e, coupling, { name: "spec" });
            await readyAll(cluster, d);
            fill(d, data);
            await readyAll(cluster, d);
            // upstream mode: echo's copy catches up with the filled file within its cache period
            await waitFor("echo to serve the full file", async () => (await fetchWhole(d.echo.ip)) > data.length * 0.9, 60_000, 500);
            const until = Date.now() + LOAD_SECONDS * 1000;
            let whole = 0;
            await Promise.all(Array.from({ length: READERS }, async () => {
                while (Date.now() < until) {
                    const n = await fetchWhole(d.echo.ip);
                    assert(n > data.length * 0.9, `/data sent ${n} bytes: not the full file`);
                    whole++;
                }
            }));
            await sleep(1000);
            const seen: string[] = [];
            for (const pod of d.pods) {
                for (const c of pod.plan.spec.containers) {
                    const name = pod.containers[c.name];
                    const state = JSON.parse(dockerOk(["inspect", "--format", "{{json .State}}", name]));
                    assert(state.Running && !state.OOMKilled, `${c.name} (limit ${c.resources.limits.memory}): ` +
                        `running ${state.Running}, OOM-killed ${state.OOMKilled}, exit ${state.ExitCode}`);
                    const m = memoryCgroup(name);
                    const key = `${coupling}/${c.name}`;
                    numbers.memory[key] = { limit: c.resources.limits.memory, peakBytes: m?.peak, rssBytes: m?.rss };
                    seen.push(`${c.name} ${c.resources.limits.memory}${m ? ` (peak ${mib(m.peak)} incl. page cache, rss now ${mib(m.rss)})` : ""}`);
                }
            }
            const w = writer(d);
            const logs = docker(["logs", w.container]);
            assert(!/Killed|out of memory|cannot rewrite/.test(logs.stdout + logs.stderr), `${w.spec.name}: ${(logs.stdout + logs.stderr).trim().slice(-400)}`);
            const head = dockerOk(["exec", w.container, "sh", "-c", "head -n 1 /data/data; wc -l < /data/data"]).split("\n").map((s) => s.trim());
            assert(head[0] !== "0", `${w.spec.name} never trimmed the full file (it still starts with the first seeded line)`);
            assert(Number(head[1]) === MAX_LINES_LIMIT, `the data file has ${head[1]} lines, maxLines is ${MAX_LINES_LIMIT}`);
            for (const pod of d.pods) cluster.stopPod(pod);
            return `${whole} whole responses; ${seen.join(", ")}`;
        });
    }
}
