// The layer's own Docker engine and registry: a dockerd with its own data root, exec root
// and socket (its default bridge network kept, no iptables rules), and Debian's
// docker-registry on localhost:5001 with its own storage and an access log the checks read.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { onCleanup } from "../lib/cleanups";
import { get } from "../lib/http";
import { CheckError } from "../lib/ledger";
import { background, run, sleepSync, stopProcess, waitFor } from "../lib/processes";

export interface Engine {
    /** DOCKER_HOST for the CLI and the provider. */
    host: string;
    log: string;
}

function answers(host: string): boolean {
    return run("docker", ["-H", host, "version", "--format", "{{.Server.Version}}"], { timeoutMs: 10_000 }).code === 0;
}

/**
 * dockerd under `dir`, overlay2 else vfs. The default bridge stays: every RUN step needs
 * it (`--bridge=none` fails them with "network bridge not found"); `--iptables=false`
 * keeps the machine's firewall as it is. Stopped (and waited for) at cleanup.
 */
export function startDockerd(dir: string): Engine {
    fs.mkdirSync(dir, { recursive: true });
    const host = `unix://${path.join(dir, "docker.sock")}`;
    const tried: string[] = [];
    for (const driver of ["overlay2", "vfs"]) {
        const log = path.join(dir, `dockerd-${driver}.log`);
        const p = background(`dockerd (${driver})`, "dockerd", [
            "--iptables=false", "--ip6tables=false", `--storage-driver=${driver}`,
            `--data-root=${path.join(dir, "data")}`, `--exec-root=${path.join(dir, "exec")}`,
            `--pidfile=${path.join(dir, "dockerd.pid")}`, `--host=${host}`,
        ], { log });
        // dockerd takes a few seconds to stop its containerd: wait, so the next layer's engine starts clean
        const stop = () => stopProcess(p.pid!, 30_000);
        onCleanup(`dockerd (${driver}), waited for`, stop);
        for (let i = 0; i < 120 && p.exitCode === null && !answers(host); i++) sleepSync(500);
        if (answers(host)) return { host, log };
        tried.push(`${driver}: ${fs.readFileSync(log, "utf8").trim().split("\n").slice(-2).join(" ")}`);
        stop();
    }
    throw new CheckError(`dockerd would not start: ${tried.join("; ")}`);
}

export interface Registry {
    port: number;
    storage: string;
    /** A position in the access log; `since(mark)` gives the requests after it. */
    mark(): number;
    /** `METHOD /path STATUS <- USER-AGENT` of every request logged after `mark`. */
    since(mark: number): string[];
    /** The digest the registry holds for repo:tag (asked as docker_registry_image asks), or undefined. */
    digestOf(repository: string, tag: string): Promise<string | undefined>;
    stop(): void;
}

const MANIFEST_TYPES = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"].join(", ");

function headDigest(port: number, repository: string, tag: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "HEAD", path: `/v2/${repository}/manifests/${tag}`, agent: false,
            headers: { Accept: MANIFEST_TYPES } }, (res) => {
            res.resume();
            resolve(res.statusCode === 200 ? String(res.headers["docker-content-digest"]) : undefined);
        });
        req.on("error", reject);
        req.setTimeout(5000, () => req.destroy(new Error(`HEAD /v2/${repository}/manifests/${tag}: no answer in 5 s`)));
        req.end();
    });
}

/** docker-registry on 127.0.0.1:PORT, plain HTTP, storage at `storage`, its access log kept. */
export async function startRegistry(dir: string, storage: string, port = 5001): Promise<Registry> {
    fs.mkdirSync(storage, { recursive: true });
    const conf = path.join(dir, `registry-${port}.yml`);
    const log = path.join(dir, `registry-${port}.log`);
    fs.writeFileSync(conf, [
        "version: 0.1",
        "log: { level: warn, accesslog: { disabled: false } }",
        "storage:",
        `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
        "  delete: { enabled: true }",
        `http: { addr: "127.0.0.1:${port}" }`,
        "",
    ].join("\n"));
    const p = background(`registry on ${port}`, "docker-registry", ["serve", conf], { log });
    await waitFor(`docker-registry on 127.0.0.1:${port}`, async () => {
        if (p.exitCode !== null) throw new CheckError(`docker-registry exited ${p.exitCode}: ${fs.readFileSync(log, "utf8").slice(-500)}`);
        return (await get("127.0.0.1", port, "/v2/", 2000)).status === 200;
    }, 15_000);
    const mark = () => fs.statSync(log).size;
    const since = (from: number) => fs.readFileSync(log).subarray(from).toString("utf8").split("\n")
        .flatMap((l) => {
            // combined log format: "METHOD PATH HTTP/x" STATUS SIZE "REFERER" "USER-AGENT"
            const m = /"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/[0-9.]+" (\d+) \S+ "[^"]*" "([^"]*)"/.exec(l);
            return m && m[2] !== "/v2/" ? [`${m[1]} ${m[2]} ${m[3]} <- ${m[4]}`] : [];
        });
    return { port, storage, mark, since, digestOf: (repo, tag) => headDigest(port, repo, tag), stop: () => stopProcess(p.pid!, 10_000) };
}
