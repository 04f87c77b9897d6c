// Small helpers for driving the docker CLI and HTTP from the container e2e suite.
import { spawn, spawnSync } from "child_process";
import * as http from "http";
import { sleep } from "../../lib/net";

export interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** Run a command to completion (never throws); a timeout kills it (code null). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Run {
    const t0 = Date.now();
    const r = spawnSync(cmd, args, {
        input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"],
    });
    return { code: r.status, stdout: r.stdout?.toString() ?? "", stderr: (r.stderr?.toString() ?? "") + (r.error ? String(r.error) : ""), ms: Date.now() - t0 };
}

/** The same, asynchronously (for things that run while we poll). */
export function runAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<Run> {
    return new Promise((resolve) => {
        const t0 = Date.now();
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: Date.now() - t0 });
        });
    });
}

export function docker(args: string[], timeoutMs = 120_000, input?: string | Buffer): Run {
    return run("docker", args, { timeoutMs, input });
}

/** docker ARGS, throwing with its stderr when it fails; returns trimmed stdout. */
export function dockerOk(args: string[], timeoutMs = 120_000, input?: string | Buffer): string {
    const r = docker(args, timeoutMs, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-800)}`);
    return r.stdout.trim();
}

export { sleep };

export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    ms: number;
}

export function get(host: string, port: number, path: string, timeoutMs = 5000): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const req = http.request({ host, port, path, method: "GET", agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - t0 }));
        });
        req.on("error", reject);
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${host}:${port}${path}: no answer in ${timeoutMs} ms`)));
        req.end();
    });
}

/** Thrown by a waitFor condition to stop waiting at once (e.g. the container died). */
export class GiveUp extends Error {}

/** Poll until cond() is true (a throw counts as not yet, except GiveUp); returns the ms it took. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, pollMs = 100): Promise<number> {
    const t0 = Date.now();
    let last = "";
    for (;;) {
        try {
            if (await cond()) return Date.now() - t0;
        } catch (e) {
            if (e instanceof GiveUp) throw e;
            last = String((e as Error).message ?? e);
        }
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${last})` : ""}`);
        await sleep(pollMs);
    }
}
