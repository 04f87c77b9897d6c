// Helpers for running the images' scripts as real local processes, shared by the
// images.*.spec.ts files so that each exists exactly once (the tools use lib/).
// Nothing here spawns anything on import: the interpreter look-ups run on first use.
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { freePort, sleep } from "../lib/net";

// shared with the tools (lib/net.ts); re-exported for the specs that import them from here
export { freePort, sleep };

// ---- per-test cleanup ---------------------------------------------------------------------

/** What a spec file starts during a test and must not leave behind after it. */
export interface Cleanup {
    /** A fresh temp dir (mode 0700), removed by cleanup(). */
    tempDir(): string;
    /** Kill this child (SIGKILL) in cleanup() if it is still running; returns it. */
    trackChild<T extends ChildProcess>(child: T): T;
    /** Kill these pids (SIGKILL) in cleanup() if alive: grandchildren we did not spawn. */
    trackPids(...pids: number[]): void;
    /** Close this server in cleanup(). */
    trackServer(server: http.Server): void;
    /**
     * Undo all of the above, in order: processes first (they may hold files and ports),
     * then servers, then temp dirs. Call it from an afterEach inside the spec's describe:
     * a top-level hook would run after every spec of the whole mocha run.
     */
    cleanup(): Promise<void>;
}

/** One registry per spec file; `prefix` names its temp dirs (e.g. "echo-test-"). */
export function cleanupRegistry(prefix: string): Cleanup {
    const children: ChildProcess[] = [];
    const pids: number[] = [];
    const servers: http.Server[] = [];
    const dirs: string[] = [];
    return {
        tempDir() {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
            dirs.push(dir);
            return dir;
        },
        trackChild(child) {
            children.push(child);
            return child;
        },
        trackPids(...more) {
            pids.push(...more);
        },
        trackServer(server) {
            servers.push(server);
        },
        async cleanup() {
            for (const c of children.splice(0)) {
                if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
            }
            for (const pid of pids.splice(0)) {
                if (alive(pid)) process.kill(pid, "SIGKILL");
            }
            await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
            for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
        },
    };
}

// ---- processes ----------------------------------------------------------------------------


/**
 * Poll cond (sync or async) until it returns true; a throw counts as "not yet" (a server
 * that is not listening yet refuses the connection). Rejects after timeoutMs.
 */
/** Thrown by a waitUntil condition to stop waiting at once (e.g. the server died). */
export class GiveUp extends Error {}

export async function waitUntil(
    what: string,
    cond: () => Promise<boolean> | boolean,
    timeoutMs = 120_000, // a hang catcher: the condition ends the wait as soon as it holds
    pollMs = 50,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await cond()) return;
        } catch (err) {
            if (err instanceof GiveUp) throw err;
            // anything else (connection refused, ...) means: not yet
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(pollMs);
    }
}

/** Is there a process with this pid (signal 0 checks without sending anything)? */
export function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

export interface Exit {
    code: number | null;
    signal: NodeJS.Signals | null;
}

/** Wait for child's "exit" (it ended) or "close" (its stdio is drained too), at most timeoutMs. */
function onceEnded(child: ChildProcess, event: "exit" | "close", timeoutMs: number): Promise<Exit> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
        const done = (code: number | null, signal: NodeJS.Signals | null) => {
            clearTimeout(timer);
            resolve({ code, signal });
        };
        if (event === "exit") child.once("exit", done);
        else child.once("close", done);
    });
}

/** How child ended (at once if it already has); rejects if it still runs after timeoutMs. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<Exit> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
    return onceEnded(child, "exit", timeoutMs);
}

export interface Finished extends Exit {
    stdout: string;
    stderr: string;
}

/**
 * Like exited(), but also collect the child's output: call it right after spawn (or at
 * least before the output you need), as it only sees data from then on; it waits for
 * "close", so all of that output is in.
 */
export function finished(child: ChildProcess, timeoutMs: number): Promise<Finished> {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    return onceEnded(child, "close", timeoutMs).then((e) => ({ ...e, stdout, stderr }));
}

// ---- HTTP on 127.0.0.1 --------------------------------------------------------------------


export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** One HTTP request to 127.0.0.1:port, with a 3 s timeout. */
export function request(port: number, urlPath: string, method = "GET"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        // agent: false -> a fresh connection each time; the raw path is sent as given
        // (so "/../etc/passwd" really reaches the server).
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on("error", reject);
        req.setTimeout(3000, () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
        req.end();
    });
}

// ---- python3, and running as OpenShift does -------------------------------------------------

let realPython: string | undefined;

/**
 * The real interpreter behind `python3` (a pyenv-style shim costs ~0.2 s per start).
 * Looked up once, on first use.
 */
export function python(): string {
    realPython ??=
        spawnSync("python3", ["-c", "import sys; print(sys.executable)"]).stdout.toString().trim() || "python3";
    return realPython;
}

// OpenShift runs images as an arbitrary UID with no passwd entry, in group 0, HOME unset.
// Only root can take such a UID; and the interpreter must be usable by it (a pyenv under
// /root, mode 0700, is not), so find one or fall back to the current user with a note.
export const OC_UID = 1000620000;
export const OC_GID = 0;
/** "Another user" owning the data (say, a previous pod's UID, or the image build's). */
export const OTHER_UID = 1000610000;
export const AS_ROOT = process.getuid?.() === 0;

/** A python3 that uid:gid can run (with http.server and urllib), if any. */
function pythonUsableBy(uid: number, gid: number): string | undefined {
    const candidates = [...new Set([python(), "/usr/bin/python3", "/usr/local/bin/python3"])];
    return candidates.find(
        (py) =>
            spawnSync(py, ["-c", "import http.server, urllib.request"], {
                env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
                cwd: "/",
                stdio: "ignore",
                uid,
                gid,
            }).status === 0,
    );
}

export interface OpenShiftRun {
    /** Run as OC_UID:OC_GID with this interpreter; undefined: as the current user. */
    as: { uid: number; gid: number; python: string } | undefined;
    /** For test titles: how the OpenShift-style tests run here (and, if not as OC_UID, why). */
    note: string;
}

let openShift: OpenShiftRun | undefined;

/** How the OpenShift-style tests run on this machine. Worked out once, on first use. */
export function openShiftRun(): OpenShiftRun {
    if (!openShift) {
        const py = AS_ROOT ? pythonUsableBy(OC_UID, OC_GID) : undefined;
        const as = py ? { uid: OC_UID, gid: OC_GID, python: py } : undefined;
        const note = as
            ? `as uid ${OC_UID} gid ${OC_GID} (no passwd entry) with ${as.python}`
            : AS_ROOT
              ? `NOTE: as the current user (uid ${process.getuid?.()}): no python3 here is usable by uid ${OC_UID}`
              : `NOTE: as the current user (uid ${process.getuid?.()}): not root, so no arbitrary UID`;
        openShift = { as, note };
    }
    return openShift;
}
