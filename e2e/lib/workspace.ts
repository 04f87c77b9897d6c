// The real engine's workspace: a temporary copy of the program sharing the repository's
// node_modules, a local file backend, a passphrase, its own PULUMI_HOME, and the tool
// cache first on PATH; and the `pulumi` runner over it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { onCleanup } from "./cleanups";
import { CheckError } from "./ledger";
import { run, RunOptions, RunResult, tail } from "./processes";
import { CACHE, tool, TOOLS_BIN } from "./tools";

export const REPO = path.resolve(__dirname, "..", "..");
export const PROJECT = "app-coupling";

/** What the engine needs from the tool cache: the CLI, the language host, the Kubernetes provider. */
export const ENGINE_TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"];

export interface Workspace {
    dir: string;
    project: string;
    env: NodeJS.ProcessEnv;
}

/**
 * The local file backend at `dir`, with `metadata=skip`: gocloud.dev's fileblob (which the
 * backend stores through) replaces a state file atomically but rewrites its `.attrs` sidecar
 * in place, so the program's StackReference to its own stack, read while the same update
 * saves a checkpoint, can find the sidecar empty: "failed to load checkpoint: EOF" (README,
 * "The local backend"; docs/evidence.md). Without the sidecar nothing is read half-written.
 */
export function fileBackendUrl(dir: string): string {
    return `file://${dir}?metadata=skip`;
}

/** Node for the program: the project's pinned Node when the machine has it, else PATH's. */
function nodeBinDir(): string | undefined {
    // where scripts/with-node.sh installs it
    const pinned = path.join(process.env.APP_COUPLING_NODE_PREFIX ?? path.join(CACHE, "node"), "node_modules", "node", "bin");
    return fs.existsSync(path.join(pinned, "node")) ? pinned : undefined;
}

/**
 * A temporary copy of the program (Pulumi.yaml, index.ts, components/, the policy pack)
 * sharing the repository's node_modules, a local file backend, a passphrase, and PATH
 * with the tool cache first: Pulumi uses the language host and the Kubernetes provider
 * found there (ambient plugins) and never downloads a plugin. Removed at cleanup unless
 * E2E_ENGINE_KEEP is set.
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
        PULUMI_BACKEND_URL: fileBackendUrl(path.join(dir, "state")),
        PULUMI_CONFIG_PASSPHRASE: "app-coupling-e2e",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        NO_COLOR: "1",
    };
    // Render mode must touch no cluster, and the provider takes KUBECONFIG from the
    // environment as its `kubeconfig` (a layer with a cluster sets it per command).
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
    return run(tool("pulumi"), [...args, "--non-interactive", "--color", "never"],
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

/** Throws unless `pulumi up`'s summary says it changed nothing: only "N unchanged" under "Resources:". */
export function assertNoChanges(output: string): void {
    const summary = output.slice(output.lastIndexOf("Resources:"));
    const changes = summary.split("\n").filter((l) => /^\s+[~+-]*\s*\d+ (to )?(create|created|update|updated|delete|deleted|replace|replaced)/.test(l));
    if (!(output.includes("Resources:") && changes.length === 0 && /\d+ unchanged/.test(summary))) {
        throw new CheckError(`the second pulumi up changed something:\n${tail(output, 30)}`);
    }
}
