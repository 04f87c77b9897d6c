// Debian's docker-registry (the distribution registry) on 127.0.0.1:PORT, plain HTTP, for
// the layers that push: started in the background, stopped at cleanup (or earlier, by
// stop()), its access log kept so a layer can see what was asked of it.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { get } from "./http";
import { background, GiveUp, stopProcess, waitFor } from "./processes";

export interface Registry {
    port: number;
    storage: string;
    stop(): void;
    /** A position in the access log; `since(mark)` gives the requests after it. */
    mark(): number;
    /** `METHOD /path STATUS <- USER-AGENT` of every request logged after `mark` (the `/v2/` probes left out). */
    since(mark: number): string[];
}

/** Starts the registry (its config in `confDir`, its log in `logDir`) and waits until it answers. */
export async function startRegistry(storage: string, port: number, logDir: string, confDir = logDir): Promise<Registry> {
    fs.mkdirSync(storage, { recursive: true });
    const conf = path.join(confDir, `registry-${port}.yml`);
    const log = path.join(logDir, `registry-${port}.log`);
    fs.writeFileSync(conf, [
        "version: 0.1",
        "log: { level: warn, accesslog: { disabled: false } }",
        "storage:",
        `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
        "  delete: { enabled: true }",
        `http: { addr: "127.0.0.1:${port}" }`,
        "",
    ].join("\n"));
    const p = background(`docker-registry on 127.0.0.1:${port}`, "docker-registry", ["serve", conf], { log });
    await waitFor(`registry on 127.0.0.1:${port}`, async () => {
        if (p.exitCode !== null) throw new GiveUp(`docker-registry exited ${p.exitCode}: ${fs.readFileSync(log, "utf8").slice(-500)}`);
        return (await get("127.0.0.1", port, "/v2/", 2000)).status === 200;
    }, 15_000);
    return {
        port, storage,
        stop: () => stopProcess(p.pid!, 10_000),
        mark: () => fs.statSync(log).size,
        since: (from) => fs.readFileSync(log).subarray(from).toString("utf8").split("\n").flatMap((l) => {
            // combined log format: "METHOD PATH HTTP/x" STATUS SIZE "REFERER" "USER-AGENT"
            const m = /"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/[0-9.]+" (\d+) \S+ "[^"]*" "([^"]*)"/.exec(l);
            return m && m[2] !== "/v2/" ? [`${m[1]} ${m[2]} ${m[3]} <- ${m[4]}`] : [];
        }),
    };
}

const MANIFEST_TYPES = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"].join(", ");

/** The digest a registry holds for repo:tag (HEAD, as docker_registry_image and docker pull ask), or undefined. */
export function tagDigest(port: number, repository: string, tag: string): Promise<string | undefined> {
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
