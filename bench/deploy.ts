// npm run bench:deploy — what a deploy of this program costs next to the engine's floor,
// Helm and kubectl, on the real engine against kwok clusters from the tool cache
// (`npm run e2e:tools`), side by side in one run:
//
//   floor      a minimal Pulumi TypeScript program with this project's providers and one
//              ConfigMap (bench/floor/minimal), and an empty one for reference
//              (bench/floor/empty); same CLI, language host, backend and tsconfig
//   program    `pulumi preview` and a no-op `pulumi up` per coupling; one real change
//              (the generator interval, `pod`); and, for reference, the no-op up of
//              the floor and of `pod` compiled as Pulumi does by default (ts-node with
//              TypeScript, type-checking: no tsconfig.pulumi.json, no SWC)
//   peers      a no-op `kubectl apply --server-side` of `npm run -s render`'s manifests,
//              and a no-op `helm upgrade --install` of a chart holding those manifests
//
// Every round runs every case once, in a fresh shuffled order (interleaved, so a change in
// the machine's load hits all cases alike); the table gives min/median/max over the rounds,
// and one line per coupling compares medians of this same run:
//   ratio COUPLING: no-op up X.XX× floor, preview Y.YY× floor, Z.ZZ× helm, W.WW× kubectl
//
//   npm run bench:deploy [-- --runs N] [--warmup W] [--couplings pod,volume]
//
// Measures on a shared machine: the load (uptime) is printed before, per round and after.
// Each result is checked (a no-op changed nothing, the change changed something); a bench
// never fails because the machine is slow. Runs kwok clusters on fixed names: one run of
// this or of the e2e suites at a time (the helpers' lock: flock /tmp/app-coupling-e2e.lock).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";
import { COUPLINGS, Coupling } from "../components/config";
import { onCleanup, runCleanups } from "../e2e/lib/cleanups";
import { imagesConfig, PLACEHOLDER_IMAGES } from "../e2e/lib/images";
import { kubectl, kubectlOk } from "../e2e/lib/kubectl";
import { Cluster, createCluster, createStaticVolumes, KWOK_TOOLS } from "../e2e/lib/kwok";
import { CheckError, startLayer } from "../e2e/lib/ledger";
import { run, runOk, tail } from "../e2e/lib/processes";
import { missingTools, tool, TOOLS, TOOLS_BIN } from "../e2e/lib/tools";
import { ENGINE_TOOLS, ensureStack, makeWorkspace, pulumi, pulumiOk, REPO, Workspace, writeStackFile } from "../e2e/lib/workspace";
import { formatTable } from "./table";

const TOOLS_NEEDED = [...ENGINE_TOOLS, ...KWOK_TOOLS, "helm"];

// ---- options ---------------------------------------------------------------------------

function option(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
function count(name: string, fallback: number, min: number): number {
    const raw = option(name, String(fallback));
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) usage(`--${name} ${raw}: expected an integer >= ${min}`);
    return n;
}
function usage(message: string): never {
    console.error(`bench:deploy: ${message}\nusage: npm run bench:deploy -- [--runs N] [--warmup W] [--couplings ${COUPLINGS.join(",")}]`);
    process.exit(2);
}

const RUNS = count("runs", 5, 1);
const WARMUP = count("warmup", 1, 0);
const SELECTED: Coupling[] = option("couplings", COUPLINGS.join(",")).split(",").map((c) => {
    if (!(COUPLINGS as readonly string[]).includes(c)) usage(`--couplings: unknown coupling ${c}`);
    return c as Coupling;
});

// ---- cases -----------------------------------------------------------------------------

/** One timed command: returns its milliseconds after checking its result (throws if wrong). */
interface Case {
    name: string;
    measure(): number;
    /** The same pulumi command once more with the engine's log (-v=7). */
    trace?(): Traced;
}

const cases: Case[] = [];
const samples = new Map<string, number[]>();
function addCase(name: string, measure: () => number, trace?: () => Traced): void {
    cases.push({ name, measure, trace });
    samples.set(name, []);
}

const floorUp = "floor: minimal program, no-op pulumi up";
const floorPreview = "floor: minimal program, pulumi preview";
const upCase = (c: Coupling) => `${c}: no-op pulumi up`;
const previewCase = (c: Coupling) => `${c}: pulumi preview`;
const helmCase = (c: Coupling) => `${c}: no-op helm upgrade --install`;
const kubectlCase = (c: Coupling) => `${c}: no-op kubectl apply --server-side`;

// ---- pulumi ----------------------------------------------------------------------------

const UP_TIMEOUT_MS = 10 * 60_000;

interface Project {
    /** Directory holding Pulumi.yaml; the program's own is ws.project. */
    dir: string;
    name: string;
}

/** `pulumi` in a project; env adds KUBECONFIG (the provider's kubeconfig) and the like. */
function pulumiIn(ws: Workspace, p: Project, args: string[], env: NodeJS.ProcessEnv = {}) {
    return pulumiOk(ws, ["--cwd", p.dir, ...args], { env, timeoutMs: UP_TIMEOUT_MS });
}

/** A stack file with the given project config, keeping the salt `pulumi stack init` wrote. */
function writeConfig(p: Project, stack: string, config: Record<string, unknown>): void {
    const file = path.join(p.dir, `Pulumi.${stack}.yaml`);
    const old = fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) ?? {} : {};
    const entries = Object.entries(config).map(([k, v]) => [`${p.name}:${k}`, v]);
    fs.writeFileSync(file, YAML.stringify({ ...(old.encryptionsalt ? { encryptionsalt: old.encryptionsalt } : {}), config: Object.fromEntries(entries) }));
}

function initStack(ws: Workspace, p: Project, stack: string): void {
    if (pulumi(ws, ["--cwd", p.dir, "stack", "select", stack]).code !== 0) {
        pulumiIn(ws, p, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
    }
}

const noopUpArgs = (stack: string) => ["up", "--stack", stack, "--yes", "--skip-preview", "--expect-no-changes"];
const noopUp = (ws: Workspace, p: Project, stack: string, env: NodeJS.ProcessEnv) => pulumiIn(ws, p, noopUpArgs(stack), env).ms;
/** A run with the engine's log: its stderr, and when the command started and ended (epoch ms). */
interface Traced { stderr: string; start: number; end: number }
function traced(ws: Workspace, p: Project, args: string[], env: NodeJS.ProcessEnv): Traced {
    const start = Date.now();
    const { stderr } = pulumiIn(ws, p, [...args, "-v=7", "--logtostderr"], env);
    return { stderr, start, end: Date.now() };
}
const traceNoopUp = (ws: Workspace, p: Project, stack: string, env: NodeJS.ProcessEnv) => () => traced(ws, p, noopUpArgs(stack), env);
const previewArgs = (stack: string) => ["preview", "--stack", stack, "--expect-no-changes"];
const noChangePreview = (ws: Workspace, p: Project, stack: string, env: NodeJS.ProcessEnv) => pulumiIn(ws, p, previewArgs(stack), env).ms;
const tracePreview = (ws: Workspace, p: Project, stack: string, env: NodeJS.ProcessEnv) => () => traced(ws, p, previewArgs(stack), env);

/** A floor program (bench/floor/NAME) as its own project in the workspace, compiled like the program. */
function floorProject(ws: Workspace, name: "empty" | "minimal"): Project {
    const dir = path.join(ws.dir, `floor-${name}`);
    fs.cpSync(path.join(REPO, "bench", "floor", name), dir, { recursive: true });
    for (const f of ["tsconfig.json", "tsconfig.pulumi.json", "package.json"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    return { dir, name: YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).name };
}

/**
 * A copy of a project compiled as Pulumi does without this project's deploy settings:
 * Pulumi.yaml names no tsconfig and tsconfig.json has no "ts-node" block, so ts-node
 * type-checks with TypeScript. Same project name, so it runs the same stacks; returns a
 * function that brings a stack's current config over and gives the copy.
 */
function defaultCompile(p: Project): (stack: string) => Project {
    const dir = `${p.dir}-default-compile`;
    fs.cpSync(p.dir, dir, { recursive: true, verbatimSymlinks: true, filter: (f) => !/Pulumi\.[^/]+\.yaml$/.test(f) });
    const project = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    delete project.runtime.options.tsconfig;
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify(project));
    const tsconfig = ts.readConfigFile(path.join(dir, "tsconfig.json"), ts.sys.readFile).config;
    delete tsconfig["ts-node"];
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    fs.rmSync(path.join(dir, "tsconfig.pulumi.json"));
    return (stack) => {
        fs.copyFileSync(path.join(p.dir, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
        return { dir, name: p.name };
    };
}

// ---- the peers: the same objects through kubectl and Helm ------------------------------

/**
 * The manifests `npm run -s render` writes for a stack's config in another namespace,
 * one directory per cluster, each with the cluster it belongs to (its `# Cluster:` line).
 */
function renderFor(ws: Workspace, stackFile: string, namespace: string, out: string, clusters: Cluster[]): { dir: string; cluster: Cluster }[] {
    runOk("npm", ["run", "-s", "render", "--", "--stack", stackFile, "--set", `namespace=${namespace}`, "--out", out],
        { cwd: REPO, env: ws.env });
    return fs.readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => {
        const dir = path.join(out, e.name);
        const first = fs.readdirSync(dir).sort()[0];
        const context = /^# Cluster: \S+ \(context ([^,)\s]+)/m.exec(fs.readFileSync(path.join(dir, first), "utf8"))?.[1];
        const cluster = clusters.find((c) => c.context === context);
        if (!cluster) throw new CheckError(`render ${out}/${e.name}: no cluster for context ${context}`);
        return { dir, cluster };
    });
}

function kubectlApply(parts: { dir: string; cluster: Cluster }[], first: boolean): number {
    let ms = 0;
    for (const { dir, cluster } of parts) {
        const args = ["apply", "--server-side", "--field-manager", "bench-kubectl"];
        if (first) {
            // the Namespace first: one apply of everything races its creation
            for (const f of fs.readdirSync(dir).filter((f) => /^\d+-namespace-/.test(f))) kubectlOk(cluster, [...args, "-f", path.join(dir, f)]);
        }
        const r = kubectlOk(cluster, [...args, "-f", dir]);
        if (!first && /\b(configured|created)\b/.test(r.stdout)) throw new CheckError(`kubectl apply changed something:\n${r.stdout}`);
        ms += r.ms;
    }
    return ms;
}

/** A chart per cluster whose templates are the rendered manifests, its release stored in `default`. */
function helmCharts(parts: { dir: string; cluster: Cluster }[], release: string, chartsDir: string) {
    return parts.map(({ dir, cluster }, i) => {
        const name = parts.length > 1 ? `${release}-${path.basename(dir)}` : release;
        const chart = path.join(chartsDir, name);
        fs.mkdirSync(path.join(chart, "templates"), { recursive: true });
        fs.writeFileSync(path.join(chart, "Chart.yaml"), YAML.stringify({ apiVersion: "v2", name, version: "0.1.0", description: `bench:deploy: ${release} part ${i + 1}` }));
        for (const f of fs.readdirSync(dir)) {
            const text = fs.readFileSync(path.join(dir, f), "utf8");
            if (text.includes("{{")) throw new CheckError(`${f} holds "{{": Helm would read it as a template`);
            fs.writeFileSync(path.join(chart, "templates", f), text);
        }
        return { name, chart, cluster };
    });
}

function helmUpgrade(ws: Workspace, charts: { name: string; chart: string; cluster: Cluster }[]): number {
    let ms = 0;
    for (const { name, chart, cluster } of charts) {
        const r = runOk(tool("helm"), ["upgrade", "--install", name, chart, "--namespace", "default",
            "--kubeconfig", cluster.kubeconfig, "--kube-context", cluster.context, "--history-max", "3"],
        { env: ws.env, timeoutMs: UP_TIMEOUT_MS });
        if (!/STATUS: deployed/.test(r.stdout)) throw new CheckError(`helm upgrade ${name}: not deployed:\n${tail(r.output, 20)}`);
        ms += r.ms;
    }
    return ms;
}

// ---- setup -----------------------------------------------------------------------------

/** Where the cases run: one cluster (two for the `clusters` coupling), the images pods get. */
interface Target {
    label: string;
    a: Cluster;
    /** The `clusters` coupling's generator side; none: that coupling is not run here. */
    b?: Cluster;
    images: Record<string, string>;
    /** Deleted at the end (kwok); otherwise what the bench deployed is removed from it. */
    disposable: boolean;
}

/** A stack's config, as the real-engine suite deploys it: prebuilt images, the target's clusters. */
function programConfig(t: Target, coupling: Coupling): Record<string, unknown> {
    return {
        coupling, images: t.images, context: t.a.context,
        ...(coupling === "clusters" ? {
            clusters: {
                generator: { context: t.b!.context, kubeconfig: t.b!.kubeconfig },
                echo: { context: t.a.context, kubeconfig: t.a.kubeconfig },
                // kwok gives LoadBalancer Services no address: the generator's URL is given
                generatorUrl: "http://generator.bench.example:8080",
            },
        } : {}),
    };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}`;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
const step = (what: string) => console.log(`==> ${what}`);

function kwokTarget(ws: Workspace): Target {
    step("kwok clusters (2 + 1 nodes)");
    const a = createCluster(ws, "ac-bench-a", 2);
    const b = createCluster(ws, "ac-bench-b", 1);
    createStaticVolumes(a, 8, "5Gi");
    const { images, source } = imagesConfig();
    console.log(`    images: ${source}`);
    return { label: "kwok", a, b, images, disposable: true };
}

/**
 * The real node `npm run e2e:node -- up` leaves running, when it is there and Ready
 * (`e2e:node -- env` names its kubeconfig and context); this never starts one. Its pods
 * run for real, so it needs the digests `npm run e2e:containers` pushed.
 */
function nodeTarget(ws: Workspace): Target | undefined {
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts ?? {};
    const why = (reason: string) => {
        console.log(`    real node: not measured (${reason})`);
        return undefined;
    };
    if (!scripts["e2e:node"]) return why("this checkout has no npm run e2e:node");
    if (run("npm", ["run", "-s", "e2e:node", "--", "status"], { cwd: REPO, env: ws.env }).code !== 0) return why("not up: npm run e2e:node -- up");
    const env = run("npm", ["run", "-s", "e2e:node", "--", "env"], { cwd: REPO, env: ws.env }).stdout;
    const value = (k: string) => new RegExp(`^(?:export )?${k}=['"]?([^'"\n]+)`, "m").exec(env)?.[1];
    const [kubeconfig, context] = [value("KUBECONFIG"), value("KUBE_CONTEXT")];
    if (!kubeconfig || !context) return why("npm run e2e:node -- env names no KUBECONFIG and KUBE_CONTEXT");
    const { images, source } = imagesConfig();
    if (images === PLACEHOLDER_IMAGES) return why("no pushed images: npm run e2e:containers");
    console.log(`    real node: ${context} (images: ${source})`);
    return { label: "node", a: { name: "node", context, kubeconfig }, images, disposable: false };
}

/** Every case on one target: the floors, the program per coupling, the peers, one change. */
function setupTarget(ws: Workspace, t: Target, floors: { empty: Project; minimal: Project }, prefix: string): void {
    const program: Project = { dir: ws.project, name: "app-coupling" };
    const env = { KUBECONFIG: t.a.kubeconfig };
    const stackName = (s: string) => `${t.label}-${s}`;
    const { empty, minimal } = floors;
    /** The first `pulumi up` of a stack; on a target that stays, its destroy at the end. */
    const firstUp = (p: Project, stack: string) => {
        if (!t.disposable) onCleanup(`${t.label}: pulumi destroy ${stack}`, () => pulumiIn(ws, p, ["destroy", "--stack", stack, "--yes", "--skip-preview"], env));
        pulumiIn(ws, p, ["up", "--stack", stack, "--yes", "--skip-preview"], env);
    };

    step(`${t.label}: floor programs, first pulumi up`);
    for (const p of [empty, minimal]) {
        initStack(ws, p, stackName("floor"));
        writeConfig(p, stackName("floor"), p === minimal ? { context: t.a.context } : {});
        firstUp(p, stackName("floor"));
    }
    addCase(`${prefix}floor: empty program, no-op pulumi up`, () => noopUp(ws, empty, stackName("floor"), env));
    addCase(`${prefix}floor: empty program, pulumi preview`, () => noChangePreview(ws, empty, stackName("floor"), env));
    addCase(prefix + floorUp, () => noopUp(ws, minimal, stackName("floor"), env), traceNoopUp(ws, minimal, stackName("floor"), env));
    addCase(prefix + floorPreview, () => noChangePreview(ws, minimal, stackName("floor"), env), tracePreview(ws, minimal, stackName("floor"), env));
    const minimalDefault = defaultCompile(minimal);
    addCase(`${prefix}floor: minimal program, no-op pulumi up, Pulumi's default compile`,
        () => noopUp(ws, minimalDefault(stackName("floor")), stackName("floor"), env));

    const couplings = SELECTED.filter((c) => c !== "clusters" || t.b);
    for (const coupling of couplings) {
        const stack = stackName(coupling);
        step(`${t.label} ${coupling}: first pulumi up, the peers' first apply`);
        ensureStack(ws, stack);
        const stackFile = writeStackFile(ws, stack, programConfig(t, coupling));
        firstUp(program, stack);
        addCase(prefix + upCase(coupling), () => noopUp(ws, program, stack, env), traceNoopUp(ws, program, stack, env));
        addCase(prefix + previewCase(coupling), () => noChangePreview(ws, program, stack, env), tracePreview(ws, program, stack, env));
        if (coupling === "pod") {
            const programDefault = defaultCompile(program);
            addCase(`${prefix}pod: no-op pulumi up, Pulumi's default compile`, () => noopUp(ws, programDefault(stack), stack, env));
        }
        const clusters = t.b ? [t.a, t.b] : [t.a];
        const kubectlParts = renderFor(ws, stackFile, `bench-kubectl-${coupling}`, path.join(ws.dir, "render", t.label, `kubectl-${coupling}`), clusters);
        if (!t.disposable) {
            onCleanup(`${t.label}: kubectl delete ${coupling}`, () => kubectlParts.forEach(({ dir, cluster }) => kubectl(cluster, ["delete", "-f", dir, "--wait=false"])));
        }
        kubectlApply(kubectlParts, true);
        addCase(prefix + kubectlCase(coupling), () => kubectlApply(kubectlParts, false));
        const helmParts = renderFor(ws, stackFile, `bench-helm-${coupling}`, path.join(ws.dir, "render", t.label, `helm-${coupling}`), clusters);
        const releases = helmCharts(helmParts, `bench-${coupling}`, path.join(ws.dir, "charts", t.label));
        if (!t.disposable) {
            onCleanup(`${t.label}: helm uninstall ${coupling}`, () => releases.forEach(({ name, cluster }) => run(tool("helm"), ["uninstall", name,
                "--namespace", "default", "--kubeconfig", cluster.kubeconfig, "--kube-context", cluster.context], { env: ws.env })));
        }
        helmUpgrade(ws, releases);
        addCase(prefix + helmCase(coupling), () => helmUpgrade(ws, releases));
    }

    if (couplings.includes("pod")) {
        // one real change: the generator interval, toggled each time (rolls the generator)
        const stack = stackName("pod-change");
        ensureStack(ws, stack);
        let interval = 2;
        const configure = () => writeStackFile(ws, stack, { ...programConfig(t, "pod"), generatorIntervalSeconds: interval });
        configure();
        firstUp(program, stack);
        addCase(`${prefix}pod: pulumi up of a generator interval change`, () => {
            interval = interval === 2 ? 3 : 2;
            configure();
            const r = pulumiIn(ws, program, ["up", "--stack", stack, "--yes", "--skip-preview"], env);
            if (!/\d+ updated/.test(r.output)) throw new CheckError(`the interval change updated nothing:\n${tail(r.output, 20)}`);
            return r.ms;
        });
    }
}

// ---- rounds and report -----------------------------------------------------------------

/** A deterministic shuffle (mulberry32 seeded by the round): reproducible, different per round. */
function shuffled<T>(items: T[], seed: number): T[] {
    let s = seed + 0x6d2b79f5;
    const rand = () => {
        s = (s + 0x6d2b79f5) | 0;
        let t = Math.imul(s ^ (s >>> 15), 1 | s);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function versions(ws: Workspace): string {
    const first = (cmd: string, args: string[]) => run(tool(cmd), args, { env: ws.env }).stdout.trim().split("\n")[0];
    // what e2e:tools built them from (neither plugin reports its version on the command line)
    const stamp = (t: string) => {
        try {
            return fs.readFileSync(path.join(TOOLS, "stamps", t), "utf8").trim();
        } catch {
            return `${t} (no stamp)`;
        }
    };
    return `pulumi ${first("pulumi", ["version"])}; ${stamp("langhost")}; ${stamp("k8s-provider")}; helm ${first("helm", ["version", "--short"])}; ` +
        `kubectl ${JSON.parse(run(tool("kubectl"), ["version", "--client", "-o", "json"]).stdout).clientVersion.gitVersion}; node ${process.version}`;
}

/**
 * Where one no-op `pulumi up` or `preview` spends its time, from the engine's own log
 * (-v=7 timestamps): the CLI's start up to its first log line; the CLI (backend, plugins,
 * secrets) up to the language host's Run; node, the SDK and ts-node up to the Stack
 * resource; the program's loading and evaluation (its resources' steps included) up to its
 * last resource; the remaining steps and outputs up to Run's end; saving and exiting.
 */
const PHASES = ["total", "CLI start", "CLI to Run", "node+SDK to Stack", "program", "steps+outputs", "save+exit"];
function phases(run: Traced): string[] {
    const events = run.stderr.split("\n").flatMap((line) => {
        try {
            const e = JSON.parse(line);
            return typeof e.time === "string" && typeof e.msg === "string" ? [{ t: Date.parse(e.time), msg: e.msg as string }] : [];
        } catch {
            return [];
        }
    });
    const at = (re: RegExp, last = false) => {
        const hits = events.filter((e) => re.test(e.msg));
        return (last ? hits[hits.length - 1] : hits[0])?.t ?? NaN;
    };
    const marks = [
        run.start,
        events[0]?.t ?? NaN,
        at(/^langhost\[nodejs\]\.Run\(.*\) executing/),
        at(/^ResourceMonitor\.RegisterResource received: t=pulumi:pulumi:Stack/),
        at(/^ResourceMonitor\.RegisterResource received/, true),
        at(/^langhost\[nodejs\]\.Run\(.*\) success/),
        run.end,
    ];
    return [secs(run.end - run.start), ...marks.slice(1).map((m, i) => secs(m - marks[i]))];
}

function report(targets: { t: Target; prefix: string }[]): void {
    const rows = cases.map((c) => {
        const xs = samples.get(c.name)!;
        return [c.name, String(xs.length), secs(Math.min(...xs)), secs(median(xs)), secs(Math.max(...xs))];
    });
    console.log("");
    formatTable(["case", "runs", "min s", "median s", "max s"], rows).forEach((l) => console.log(l));
    const med = (name: string) => median(samples.get(name)!);
    const times = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const verdict = (ratio: number, limit: number) => `${(ratio).toFixed(2)}× ${ratio <= limit ? "met" : "MISSED"}`;
    for (const { t, prefix } of targets) {
        const ratios: string[] = [];
        const goals: string[] = [];
        for (const c of SELECTED.filter((c) => samples.has(prefix + upCase(c)))) {
            const up = med(prefix + upCase(c));
            const preview = med(prefix + previewCase(c));
            const [floor, floorP, helm, kubectl] = [floorUp, floorPreview, helmCase(c), kubectlCase(c)].map((n) => med(prefix + n));
            ratios.push(`ratio ${prefix}${c}: no-op up ${times(up, floor)} floor, preview ${times(preview, floorP)} floor, ` +
                `${times(up, helm)} helm, ${times(up, kubectl)} kubectl`);
            goals.push(`target ${prefix}${c}: no-op up <= 1.25× floor ${verdict(up / floor, 1.25)}; preview <= 1.25× floor ` +
                `${verdict(preview / floorP, 1.25)}; stretch: no-op up <= 3× helm ${verdict(up / helm, 3)}`);
        }
        console.log(`\n${t.label} (medians of this run):`);
        [...ratios, ...goals].forEach((l) => console.log(l));
    }
}

function main(): void {
    const missing = missingTools(TOOLS_NEEDED);
    if (missing.length) {
        console.error(`bench:deploy: tools missing from ${TOOLS_BIN}: ${missing.join(", ")} (npm run e2e:tools builds them; tens of minutes cold)`);
        process.exit(1);
    }
    startLayer("bench:deploy"); // stops what was started on SIGINT/SIGTERM/SIGHUP
    const ws = makeWorkspace();
    let failed = false;
    try {
        console.log(`bench:deploy: ${os.cpus().length} cores, load ${load()} (1/5/15 min) at the start; workspace ${ws.dir}`);
        console.log(`bench:deploy: ${versions(ws)}`);
        pulumiOk(ws, ["login", ws.env.PULUMI_BACKEND_URL!]);
        const floors = { empty: floorProject(ws, "empty"), minimal: floorProject(ws, "minimal") };
        const found = [kwokTarget(ws), nodeTarget(ws)].filter((t): t is Target => !!t);
        const targets = found.map((t) => ({ t, prefix: found.length > 1 ? `${t.label} ` : "" }));
        for (const { t, prefix } of targets) setupTarget(ws, t, floors, prefix);
        console.log(`bench:deploy: ${cases.length} cases, ${WARMUP} warm-up round(s) and ${RUNS} measured round(s), each in its own shuffled order`);
        for (let round = -WARMUP; round < RUNS; round++) {
            const start = Date.now();
            for (const c of shuffled(cases, round + WARMUP)) {
                const ms = c.measure();
                if (round >= 0) samples.get(c.name)!.push(ms);
            }
            console.log(`    ${round < 0 ? "warm-up" : `round ${round + 1}/${RUNS}`}: ${secs(Date.now() - start)} s, load ${load()}`);
        }
        report(targets);
        console.log("\nwhere a no-op pulumi up or preview spends its time (one more run each, with the engine's log -v=7; seconds):");
        const breakdown = cases.filter((c) => c.trace).map((c) => [c.name, ...phases(c.trace!())]);
        formatTable(["case", ...PHASES], breakdown).forEach((l) => console.log(l));
        console.log(`\nbench:deploy: load ${load()} (1/5/15 min) at the end`);
    } catch (err) {
        failed = true;
        console.error(`bench:deploy: ${err instanceof Error ? err.message : err}`);
    } finally {
        runCleanups();
    }
    process.exit(failed ? 1 : 0);
}

main();
