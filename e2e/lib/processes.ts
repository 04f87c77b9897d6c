// Commands with a time limit, their whole process group stopped at it, output captured;
// long-running commands stopped at cleanup; polling with a deadline.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { sleep } from "../../lib/net";
import { onCleanup } from "./cleanups";
import { CheckError, remainingMs, secs } from "./ledger";

export { sleep };

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    output: string;
    ms: number;
}

export interface RunOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Default 10 min; never more than what is left of the layer's time budget. */
    timeoutMs?: number;
    input?: string | Buffer;
}

/**
 * Runs a command to completion, capturing its output; never throws. At its time limit the
 * command's whole process group (e.g. pulumi and the plugins and node it started) gets
 * SIGINT, and SIGKILL 30 s later: GNU timeout runs it in a group of its own. A command
 * stopped at its limit exits 124, with a line saying so in its stderr.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    const start = Date.now();
    const timeout = Math.min(opts.timeoutMs ?? 10 * 60_000, remainingMs());
    const r = spawnSync("timeout", ["--signal=INT", "--kill-after=30", `${Math.ceil(timeout / 1000)}`, cmd, ...args], {
        cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input,
        encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Date.now() - start;
    const stdout = r.stdout ?? "";
    const stderr = r.stderr ?? "";
    let code = r.status ?? 1;
    let extra = "";
    if (r.error) extra = `\n(${cmd}: ${r.error.message})`;
    // 124: timeout's own status at the limit; 137: it needed SIGKILL (or the command was killed)
    if (code === 124 || (code === 137 && ms >= timeout)) {
        code = 124;
        extra += `\n(${path.basename(cmd)} ${args.slice(0, 3).join(" ")} ...: stopped at its time limit of ${secs(timeout)})`;
    }
    return { code, stdout, stderr: stderr + extra, output: stdout + stderr + extra, ms };
}

/** Like run, but a non-zero exit throws with the command and the end of its output. */
export function runOk(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    const r = run(cmd, args, opts);
    if (r.code !== 0) throw new CheckError(`\`${[path.basename(cmd), ...args].join(" ")}\` exited ${r.code}:\n${tail(r.output, 40)}`);
    return r;
}

/**
 * A long-running command (a server, a controller loop) in a process group of its own, its
 * output appended to `log` (else dropped); the whole group gets SIGTERM at cleanup.
 */
export function background(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; log?: string } = {}): ChildProcess {
    const out = opts.log ? fs.openSync(opts.log, "a") : "ignore";
    const child = spawn(cmd, args, { detached: true, stdio: ["ignore", out, out], env: opts.env ?? process.env });
    if (typeof out === "number") fs.closeSync(out);
    child.unref();
    onCleanup(name, () => stopGroup(child));
    return child;
}

/** SIGTERM to a `background` command's whole process group (nothing when it is gone already). */
export function stopGroup(child: ChildProcess): void {
    try {
        process.kill(-child.pid!, "SIGTERM");
    } catch {
        // already gone
    }
}

/** Whether a process is gone (or a zombie its parent has not reaped yet). */
function gone(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
    } catch {
        return true;
    }
}

/** SIGTERM to one process, SIGKILL if it is still there after `graceMs`. */
export function stopProcess(pid: number, graceMs = 10_000): void {
    try {
        process.kill(pid, "SIGTERM");
    } catch {
        return; // already gone
    }
    const end = Date.now() + graceMs;
    while (!gone(pid) && Date.now() < end) sleepSync(200);
    if (!gone(pid)) process.kill(pid, "SIGKILL");
}

export function tail(text: string, lines: number): string {
    const all = text.trimEnd().split("\n");
    return (all.length > lines ? ["...", ...all.slice(-lines)] : all).join("\n");
}

// ---- waiting ---------------------------------------------------------------------------

/** Blocks the process (for the synchronous stages that poll a cluster). */
export function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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

/** The same, synchronously, polling once a second. */
export function waitForSync(what: string, ok: () => boolean, timeoutMs: number): void {
    const end = Date.now() + timeoutMs;
    for (;;) {
        if (ok()) return;
        if (Date.now() > end) throw new CheckError(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
        sleepSync(1000);
    }
}
