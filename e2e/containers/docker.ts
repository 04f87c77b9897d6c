// The docker CLI, through the shared runner (a time limit, its process group stopped at it).
import { run, RunResult } from "../lib/processes";

export function docker(args: string[], timeoutMs = 120_000, input?: string | Buffer): RunResult {
    return run("docker", args, { timeoutMs, input });
}

/** docker ARGS, throwing with its stderr when it fails; returns trimmed stdout. */
export function dockerOk(args: string[], timeoutMs = 120_000, input?: string | Buffer): string {
    const r = docker(args, timeoutMs, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-800)}`);
    return r.stdout.trim();
}
