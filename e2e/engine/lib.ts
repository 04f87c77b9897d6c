// Shared by the real-engine suite's stages: the tool cache, commands with time limits,
// the check/skip ledger, and the temporary project copy the stages deploy from.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { COUPLINGS as ALL_COUPLINGS, Coupling } from "../../components/config";

export const REPO = path.resolve(__dirname, "..", "..");
export const PROJECT = "app-coupling";

export const TOOLS = process.env.APP_COUPLING_TOOLS ?? path.join(os.homedir(), ".cache", "app-coupling", "tools");
export const TOOLS_BIN = path.join(TOOLS, "bin");
export const STAGE_A_TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"];
export const STAGE_B_TOOLS = [...STAGE_A_TOOLS, "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl",
    "etcd", "kwok", "kwokctl"];

/** Tools missing from the cache (an empty list: all there). */
export function missingTools(names: string[]): string[] {
    return names.filter((n) => {
        try {
            fs.accessSync(path.join(TOOLS_BIN, n), fs.constants.X_OK);
            return false;
        } catch {
            return true;
        }
    });
}

// ---- the ledger ------------------------------------------------------------------------

export const results = { passed: 0, failed: 0, skipped: 0, failures: [] as string[], skips: [] as string[] };
export const numbers: string[] = [];

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Runs one check; a thrown error fails it (and is returned), anything else passes it. */
export async function check(name: string, fn: () => unknown | Promise<unknown>): Promise<boolean> {
    // let the event loop run between checks, so a SIGINT/SIGTERM handler gets its turn
    await new Promise((resolve) => setImmediate(resolve));
    if (pastDeadline()) {
        skip(name, "the suite's time budget (E2E_ENGINE_BUDGET_MINUTES) is used up");
        return false;
    }
    const start = Date.now();
    try {
        await fn();
        results.passed++;
        console.log(`  ok    ${name} (${secs(Date.now() - start)})`);
        return true;
    } catch (err) {
        results.failed++;
        const message = err instanceof Error ? err.message : String(err);
        results.failures.push(`${name}: ${message}`);
        console.log(`  FAIL  ${name} (${secs(Date.now() - start)})\n${indent(message, "        ")}`);
        return false;
    }
}

export function skip(name: string, reason: string): void {
    results.skipped++;
    results.skips.push(`${name}: ${reason}`);
    console.log(`  skip  ${name}: ${reason}`);
}

export function record(line: string): void {
    numbers.push(line);
    console.log(`  time  ${line}`);
}

export function indent(text: string, prefix: string): string {
    return text.split("\n").map((l) => prefix + l).join("\n");
}

export class CheckError extends Error {}

export function assert(cond: unknown, message: string): asserts cond {
    if (!cond) throw new CheckError(message);
}

// ---- time budget -----------------------------------------------------------------------

const BUDGET_MS = Number(process.env.E2E_ENGINE_BUDGET_MINUTES ?? 75) * 60_000;
const startedAt = Date.now();
export function pastDeadline(): boolean {
    return Date.now() - startedAt > BUDGET_MS;
}
function remainingMs(): number {
    return Math.max(10_000, BUDGET_MS - (Date.now() - startedAt));
}

// ---- commands --------------------------------------------------------------------------

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
    timeoutMs?: number;
    input?: string;
}

/**
 * Runs a command to completion, capturing its output. At its time limit the command's
 * whole process group (pulumi and the plugins and node it started) gets SIGINT, and
 * SIGKILL 30 s later: GNU timeout runs it in a group of its own.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    const start = Date.now();
    const timeout = Math.min(opts.timeoutMs ?? 10 * 60_000, remainingMs());
    const r = spawnSync("timeout", ["--signal=INT", "--kill-after=30", `${Math.ceil(timeout / 1000)}`, cmd, ...args], {
        cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input,
        encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    });
    const stdout = r.stdout ?? "";
    const stderr = r.stderr ?? "";
    let code = r.status ?? 1;
    let extra = "";
    if (r.error) extra = `\n(${cmd}: ${r.error.message})`;
    if (code === 124 || code === 137) {
        code = 124;
        extra += `\n(${path.basename(cmd)} ${args.slice(0, 3).join(" ")} ...: stopped at its time limit of ${secs(timeout)})`;
    }
    return { code, stdout, stderr: stderr + extra, output: stdout + stderr + extra, ms: Date.now() - start };
}

/** Like run, but a non-zero exit throws with the command and the end of its output. */
export function runOk(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    const r = run(cmd, args, opts);
    if (r.code !== 0) throw new CheckError(`\`${[path.basename(cmd), ...args].join(" ")}\` exited ${r.code}:\n${tail(r.output, 40)}`);
    return r;
}

export function tail(text: string, lines: number): string {
    const all = text.trimEnd().split("\n");
    return (all.length > lines ? ["...", ...all.slice(-lines)] : all).join("\n");
}

// ---- cleanup ---------------------------------------------------------------------------

const cleanups: { name: string; fn: () => void }[] = [];
/** Registers something to undo; run in reverse order at the end, on failure and on signals. */
export function onCleanup(name: string, fn: () => void): void {
    cleanups.push({ name, fn });
}
export function runCleanups(): void {
    while (cleanups.length) {
        const c = cleanups.pop()!;
        try {
            c.fn();
        } catch (err) {
            console.log(`  cleanup ${c.name} failed: ${(err as Error).message}`);
        }
    }
}

// ---- the project copy ------------------------------------------------------------------

export interface Workspace {
    dir: string;
    project: string;
    env: NodeJS.ProcessEnv;
}

/** Node for the program: the project's pinned Node when the machine has it, else PATH's. */
function nodeBinDir(): string | undefined {
    const pinned = path.join(os.homedir(), ".cache", "app-coupling", "node", "bin");
    return fs.existsSync(path.join(pinned, "node")) ? pinned : undefined;
}

/**
 * A temporary copy of the program (Pulumi.yaml, index.ts, components/, the policy pack)
 * sharing the repository's node_modules, a local file backend, a passphrase, and PATH
 * with the tool cache first: Pulumi uses the language host and the Kubernetes provider
 * found there (ambient plugins) and never downloads a plugin.
 */
export function makeWorkspace(): Workspace {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "app-coupling-e2e-"));
    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    // tsconfig.pulumi.json: the deploy compile Pulumi.yaml names (runtime.options.tsconfig)
    for (const f of ["Pulumi.yaml", "index.ts", "tsconfig.json", "tsconfig.pulumi.json", "package.json"]) {
        fs.copyFileSync(path.join(REPO, f), path.join(project, f));
    }
    fs.cpSync(path.join(REPO, "components"), path.join(project, "components"), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
    fs.mkdirSync(path.join(project, "policy"));
    for (const f of fs.readdirSync(path.join(REPO, "policy"))) {
        const src = path.join(REPO, "policy", f);
        if (f === "node_modules") fs.symlinkSync(src, path.join(project, "policy", f));
        else fs.cpSync(src, path.join(project, "policy", f), { recursive: true });
    }
    fs.mkdirSync(path.join(dir, "state"));
    fs.mkdirSync(path.join(dir, "home"));
    const node = nodeBinDir();
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [TOOLS_BIN, ...(node ? [node] : []), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: path.join(dir, "home"),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "app-coupling-e2e",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        NO_COLOR: "1",
    };
    // Stage A must touch no cluster, and the provider takes KUBECONFIG from the
    // environment as its `kubeconfig` (stage B sets it per command).
    delete env.KUBECONFIG;
    if (!process.env.E2E_ENGINE_KEEP) onCleanup("workspace", () => fs.rmSync(dir, { recursive: true, force: true }));
    return { dir, project, env };
}

/** A stack file in the workspace: Pulumi.<stack>.yaml with the given config (project keys). */
export function writeStackFile(ws: Workspace, stack: string, config: Record<string, unknown>): string {
    const doc = { config: Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
    const file = path.join(ws.project, `Pulumi.${stack}.yaml`);
    // keep the encryption salt `pulumi stack init` wrote
    const old = fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) ?? {} : {};
    fs.writeFileSync(file, YAML.stringify({ ...(old.encryptionsalt ? { encryptionsalt: old.encryptionsalt } : {}), ...doc }));
    return file;
}

/** The repository's stack file's project config, without its ESC `environment:` import. */
export function repoStackConfig(stack: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries<unknown>(doc.config ?? {})) {
        if (k.startsWith(`${PROJECT}:`)) out[k.slice(PROJECT.length + 1)] = v;
    }
    return out;
}

export function pulumi(ws: Workspace, args: string[], opts: RunOptions = {}): RunResult {
    return run(path.join(TOOLS_BIN, "pulumi"), [...args, "--non-interactive", "--color", "never"],
        { cwd: ws.project, env: { ...ws.env, ...(opts.env ?? {}) }, timeoutMs: opts.timeoutMs });
}

export function pulumiOk(ws: Workspace, args: string[], opts: RunOptions = {}): RunResult {
    const r = pulumi(ws, args, opts);
    if (r.code !== 0) throw new CheckError(`\`pulumi ${args.join(" ")}\` exited ${r.code}:\n${tail(r.output, 40)}`);
    return r;
}

/** Creates the stack (passphrase secrets) if it is not there yet. */
export function ensureStack(ws: Workspace, stack: string): void {
    const sel = pulumi(ws, ["stack", "select", stack]);
    if (sel.code === 0) return;
    pulumiOk(ws, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
}

// ---- images ----------------------------------------------------------------------------

/** Where `npm run e2e:containers` leaves the digests it pushed: {generator, echo, app}. */
export const IMAGES_FILE = process.env.APP_COUPLING_E2E_IMAGES ?? path.join(os.homedir(), ".cache", "app-coupling", "e2e-images.json");

const placeholder = (name: string, n: number) => `localhost:5001/app-coupling-${name}@sha256:${String(n).repeat(64)}`;
export const PLACEHOLDER_IMAGES = { generator: placeholder("generator", 1), echo: placeholder("echo", 2), app: placeholder("app", 3) };

export function imagesConfig(): { images: Record<string, string>; source: string } {
    try {
        const parsed = JSON.parse(fs.readFileSync(IMAGES_FILE, "utf8"));
        if (["generator", "echo", "app"].every((k) => typeof parsed[k] === "string" && parsed[k].includes("@sha256:"))) {
            return { images: { generator: parsed.generator, echo: parsed.echo, app: parsed.app }, source: IMAGES_FILE };
        }
    } catch {
        // no file: placeholders
    }
    return { images: PLACEHOLDER_IMAGES, source: "placeholder digests (no e2e:containers digests file)" };
}

export type { Coupling };
/** E2E_ENGINE_COUPLINGS=pod,volume narrows the per-coupling checks (for iterating). */
export const COUPLINGS: readonly Coupling[] = process.env.E2E_ENGINE_COUPLINGS
    ? ALL_COUPLINGS.filter((c) => process.env.E2E_ENGINE_COUPLINGS!.split(",").includes(c))
    : ALL_COUPLINGS;
