// Render the Kubernetes manifests a stack would apply, without Pulumi, Docker or a cluster:
// the real program (deployStack) is evaluated by the offline evaluator (lib/evaluate.ts,
// Pulumi's mocks); auto-names are filled in; what only a real run knows (image digests,
// load-balancer addresses, secrets from ESC or encrypted config) is a placeholder, marked
// `# PLACEHOLDER: ...` on the line that holds it.
//
//   npm run -s render -- <coupling> [--stack dev|staging|prod|path/to/Pulumi.X.yaml]
//                        [--set key=value ...] [--secret key=value ...] [--out DIR] [--show-secrets]
//
// (-s: without it npm prints a banner into the redirected YAML.)
// Without --stack it evaluates the project's defaults as a stack named `render` (namespace
// app-coupling-render), and says so. Prints every object as multi-document YAML in apply
// order (`# Source: <urn>` and `# Cluster: ...` comments), or with --out writes
// DIR/<cluster>/NN-<kind>-<name>.yaml (each file one document, starting `---`), numbered in
// apply order (Namespace first), plus DIR/.render-manifest listing them: a later --out into
// the same DIR removes exactly those files first, and refuses a DIR holding anything else.
// A pull Secret is written only with --show-secrets (in clear text, with a warning on
// stderr) and only when its credentials are real; otherwise it is left out, with a comment.
// The summary on stderr lists the stack outputs, stood-in ones marked as placeholders.
// Exit codes: 0 rendered (or --help), 2 bad arguments or invalid stack config (the
// ConfigError), 1 other failure.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { COUPLINGS } from "../components/config";
import { ConfigPathError, ConfigPathSet, setConfigPath } from "../lib/config-path";
import { evaluate, Placeholder, PROJECT } from "../lib/evaluate";
import { KubernetesObject, kubernetesObjectsOf } from "../lib/objects";
import { readStackFile, standInStackOutputs } from "../lib/stacks";

const repoRoot = path.resolve(__dirname, "..");

const USAGE = `usage: npm run -s render -- [coupling] [--stack NAME|Pulumi.NAME.yaml] [--set key=value ...] [--secret key=value ...] [--out DIR] [--show-secrets]
  coupling        ${COUPLINGS.join(", ")} (default: the stack file's, else the project default)
  --stack         a stack name (reads Pulumi.NAME.yaml in the project) or a path to a stack file
  --set k=v       a config value, as \`pulumi config set --path k v\` stores it: a path reaches
                  into objects and lists (--set storage.size=5Gi, --set 'clusters.allowFrom[0]=10.0.0.0/8',
                  --set '["a.b"].c=v'); below the top level true/false are booleans and whole
                  numbers are numbers, as the CLI types them; a top-level value is a string
  --secret k=v    like --set, stored as a secret (e.g. --secret registryPassword=...)
  --out DIR       write DIR/<cluster>/NN-<kind>-<name>.yaml (apply order) instead of printing;
                  DIR must be empty or hold only an earlier render (which is replaced)
  --show-secrets  include the pull Secret, in clear text (left out otherwise)`;

class UsageError extends Error {}

export interface RenderArgs {
    coupling?: string;
    stack?: string;
    sets: { key: string; value: string; secret: boolean }[];
    out?: string;
    showSecrets: boolean;
    help: boolean;
}

export function parseArgs(argv: string[]): RenderArgs {
    const args: RenderArgs = { sets: [], showSecrets: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new UsageError(`${arg} needs a value`);
            return v;
        };
        if (arg === "--stack") args.stack = value();
        else if (arg === "--out") args.out = value();
        else if (arg === "--show-secrets") args.showSecrets = true;
        else if (arg === "--set" || arg === "--secret") {
            const kv = value();
            const eq = kv.indexOf("=");
            if (eq <= 0) throw new UsageError(`${arg} ${kv}: expected key=value`);
            args.sets.push({ key: kv.slice(0, eq), value: kv.slice(eq + 1), secret: arg === "--secret" });
        } else if (arg === "-h" || arg === "--help") args.help = true;
        else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else if (args.coupling === undefined) args.coupling = arg;
        else throw new UsageError(`unexpected argument ${arg}`);
    }
    return args;
}

/** The stack file for --stack NAME or --stack path/to/Pulumi.NAME.yaml. */
function stackFile(stack: string): string {
    const isPath = stack.includes("/") || stack.includes(path.sep) || /\.ya?ml$/.test(stack);
    const file = isPath ? path.resolve(stack) : path.join(repoRoot, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new UsageError(`--stack ${stack}: no stack file ${file}`);
    return file;
}

export interface StackConfig {
    stack: string;
    values: Record<string, unknown>;
    secretKeys: string[];
    stackOutputs?: Record<string, Record<string, unknown>>;
    placeholders: Placeholder[];
}

/** The config `evaluate` gets: stack file, then the coupling argument, then --set/--secret in order. */
export function stackConfig(args: RenderArgs): StackConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    let stack = "render";
    let stackOutputs: StackConfig["stackOutputs"];
    const placeholders: Placeholder[] = [];
    if (args.stack) {
        // the same reading of a stack file the tests use: `secure:` values and ESC
        // environments become secret stand-ins, since nothing can be decrypted here
        const parsed = readStackFile(stackFile(args.stack));
        stack = parsed.stack;
        Object.assign(values, parsed.values);
        parsed.secretKeys.forEach((k) => secretKeys.add(k));
        stackOutputs = parsed.stackOutputs;
        placeholders.push(...parsed.placeholders);
    }
    if (args.coupling !== undefined) values.coupling = args.coupling;
    for (const { key, value, secret } of args.sets) {
        // exactly `pulumi config set --path KEY VALUE`: paths, typing and refusals (lib/config-path.ts)
        let set: ConfigPathSet;
        try {
            set = setConfigPath(values, key, value, PROJECT);
        } catch (err) {
            if (!(err instanceof ConfigPathError)) throw err;
            throw new UsageError(`--${secret ? "secret" : "set"} ${key}=...: ${err.message}`);
        }
        values[set.key] = set.value;
        if (secret) secretKeys.add(set.key);
    }
    // imagesFromStack given with --set: its stack's outputs stand in like a stack file's
    const source = values.imagesFromStack;
    if (typeof source === "string" && source !== "" && !stackOutputs?.[source]) {
        const standIn = standInStackOutputs(source);
        stackOutputs = { ...stackOutputs, ...standIn.stackOutputs };
        placeholders.push(...standIn.placeholders);
    }
    return { stack, values, secretKeys: [...secretKeys], stackOutputs, placeholders };
}

/** Apply order, as Helm and kubectl would: cluster-scoped objects and what others refer to first. */
const KIND_ORDER = ["Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Secret", "ConfigMap",
    "PersistentVolumeClaim", "Service", "Deployment", "PodDisruptionBudget", "NetworkPolicy", "Route"];
const kindRank = (kind: string) => (KIND_ORDER.indexOf(kind) + KIND_ORDER.length + 1) % (KIND_ORDER.length + 1);

export function sortObjects(objects: KubernetesObject[]): KubernetesObject[] {
    const key = (o: KubernetesObject) => [o.cluster.provider, String(kindRank(o.object.kind)).padStart(3, "0"), o.object.kind,
        o.object.metadata?.name ?? "", o.resource.urn];
    return [...objects].sort((a, b) => {
        const ka = key(a), kb = key(b);
        for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
        return 0;
    });
}

const clusterComment = (c: KubernetesObject["cluster"]) =>
    `# Cluster: ${c.provider} (${c.context ? `context ${c.context}` : "the kubeconfig's current context"}${c.kubeconfig ? `, kubeconfig ${c.kubeconfig}` : ""})`;

/** The placeholders whose value occurs in a string. */
const placeholdersIn = (text: string, placeholders: Placeholder[]) => placeholders.filter((p) => text.includes(p.value));
/** What the placeholders stand for, each once, without their explanations ("image digest"). */
const shortWhats = (placeholders: Placeholder[]) => [...new Set(placeholders.map((p) => p.what.split(" (")[0]))];

/** One object as YAML, every line holding a placeholder marked `# PLACEHOLDER: what`. */
export function renderDocument(o: KubernetesObject, placeholders: Placeholder[] = []): string {
    const doc = new YAML.Document(o.object);
    const found = new Map<string, Placeholder>();
    YAML.visit(doc, {
        Scalar(_key, node) {
            if (typeof node.value !== "string") return;
            const hits = placeholdersIn(node.value, placeholders);
            if (!hits.length) return;
            hits.forEach((h) => found.set(h.value, h));
            node.comment = ` PLACEHOLDER: ${[...new Set(hits.map((h) => h.what))].join("; ")}`;
        },
    });
    const header = [`# Source: ${o.resource.urn}`, clusterComment(o.cluster)];
    if (found.size) header.push(`# Placeholders (marked below; replace or create before applying): ${shortWhats([...found.values()]).join(", ")}`);
    return `${header.join("\n")}\n${doc.toString({ lineWidth: 0 })}`;
}

/** Why an object is left out of the render (undefined: it is rendered). */
function leftOut(o: KubernetesObject, showSecrets: boolean, placeholders: Placeholder[], auth?: { server: string; username: string }): string | undefined {
    if (o.object.kind !== "Secret") return undefined;
    const name = `Secret ${o.object.metadata?.namespace}/${o.object.metadata?.name}`;
    // the server and user as configured (not secret); a stood-in user is no user to offer
    const username = auth?.username && !placeholders.some((p) => p.value === auth.username) ? auth.username : "USER";
    const create = `kubectl -n ${o.object.metadata?.namespace} create secret docker-registry ${o.object.metadata?.name} ` +
        `--docker-server=${auth?.server ?? "REGISTRY"} --docker-username=${username} --docker-password=PASSWORD`;
    if (!showSecrets) return `${name} left out: it holds registry credentials. Render with --show-secrets to include it (in clear text), or create it: ${create}`;
    const standIns = placeholdersIn(JSON.stringify(o.object), placeholders);
    if (standIns.length) {
        return `${name} left out: its credentials are stand-ins (${standIns.map((p) => p.what).join("; ")}), which render cannot read. Create it: ${create}`;
    }
    return undefined;
}

const fileName = (o: KubernetesObject, index: number) =>
    `${String(index).padStart(2, "0")}-${String(o.object.kind).toLowerCase()}-${o.object.metadata?.name ?? o.resource.name}.yaml`.replace(/[^A-Za-z0-9._-]/g, "_");

export const MANIFEST = ".render-manifest";

/**
 * Make `dir` ready for a new render: create it, or remove the files an earlier render
 * wrote there (listed in its manifest). Refuses a directory holding anything else.
 */
export function prepareOutDir(dir: string): void {
    if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        return;
    }
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${dir}: not a directory`);
    const manifestFile = path.join(dir, MANIFEST);
    const listed: string[] = fs.existsSync(manifestFile)
        ? fs.readFileSync(manifestFile, "utf8").split("\n").filter((l) => l && !l.startsWith("#"))
        : [];
    const present: string[] = [];
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const r = path.join(rel, entry.name);
            if (entry.isDirectory()) walk(r);
            else present.push(r);
        }
    };
    walk("");
    const foreign = present.filter((f) => f !== MANIFEST && !listed.includes(f));
    if (foreign.length) {
        throw new UsageError(`--out ${dir}: the directory holds files an earlier render did not write (${foreign.slice(0, 5).join(", ")}` +
            `${foreign.length > 5 ? ", ..." : ""}); give an empty or new directory`);
    }
    for (const f of listed) fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(manifestFile, { force: true });
    // remove the cluster subdirectories the earlier render made, when now empty
    for (const sub of new Set(listed.map((f) => f.split(path.sep)[0]).filter((d) => d && !d.endsWith(".yaml")))) {
        const p = path.join(dir, sub);
        if (fs.existsSync(p) && fs.statSync(p).isDirectory() && fs.readdirSync(p).length === 0) fs.rmdirSync(p);
    }
}

/** Where render writes: the process's streams for the CLI, buffers for the in-process tests. */
export interface RenderIO {
    stdout(text: string): void;
    stderr(text: string): void;
}

const processIO: RenderIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** The whole CLI, in-process: its exit code (an unexpected failure is 1, with its stack on stderr). */
export async function main(argv: string[], io: RenderIO = processIO): Promise<number> {
    try {
        return await renderCommand(argv, io);
    } catch (err) {
        io.stderr(`render: ${(err as Error)?.stack ?? err}\n`);
        return 1;
    }
}

async function renderCommand(argv: string[], io: RenderIO): Promise<number> {
    let args: RenderArgs;
    let config: StackConfig;
    try {
        args = parseArgs(argv);
        if (args.help) {
            io.stdout(`${USAGE}\n`);
            return 0;
        }
        config = stackConfig(args);
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.stderr(`render: ${err.message}\n${USAGE}\n`);
        return 2;
    }

    let evaluation;
    try {
        evaluation = await evaluate(config.values, {
            stack: config.stack, secretKeys: config.secretKeys, stackOutputs: config.stackOutputs, placeholders: config.placeholders,
        });
    } catch (err) {
        if ((err as Error)?.name === "ConfigError") {
            io.stderr(`render: ${(err as Error).message}\n`);
            return 2;
        }
        throw err;
    }
    if (!args.stack) {
        io.stderr(`render: no --stack: the project's defaults, as a stack named "${config.stack}" (namespace ${evaluation.config.namespace}); ` +
            "--stack NAME renders Pulumi.NAME.yaml\n");
    }
    for (const w of evaluation.warnings) io.stderr(`warning: ${w}\n`);

    const placeholders = [...evaluation.placeholders];
    const all = sortObjects(kubernetesObjectsOf(evaluation, args.showSecrets ? "reveal" : "redact"));
    const notes: string[] = [];
    const objects = all.filter((o) => {
        const why = leftOut(o, args.showSecrets, evaluation.placeholders, evaluation.config.registryAuth);
        if (why) {
            notes.push(why);
            // references to it (imagePullSecrets) are marked too
            placeholders.push({ value: String(o.object.metadata?.name), what: "pull Secret (left out of this render: create it, see the NOTE at the top)" });
        }
        return !why;
    });
    const clusters = [...new Set(objects.map((o) => o.cluster.provider))];
    const revealed = objects.filter((o) => o.object.kind === "Secret").map((o) => `Secret ${o.object.metadata?.namespace}/${o.object.metadata?.name}`);
    if (revealed.length) {
        io.stderr(`render: warning: --show-secrets: ${args.out ? `the files in ${args.out} hold` : "stdout holds"} registry credentials in clear text ` +
            `(${revealed.join(", ")}); keep it out of version control and logs\n`);
    }
    const noteLines = (lines: string[]) => lines.map((n) => `# NOTE: ${n}\n`).join("");
    if (args.out) {
        try {
            prepareOutDir(args.out);
        } catch (err) {
            if (!(err instanceof UsageError)) throw err;
            io.stderr(`render: ${err.message}\n`);
            return 2;
        }
        const written: string[] = [];
        for (const cluster of clusters) {
            const mine = objects.filter((o) => o.cluster.provider === cluster);
            mine.forEach((o, i) => {
                const rel = path.join(cluster, fileName(o, i + 1));
                const file = path.join(args.out!, rel);
                fs.mkdirSync(path.dirname(file), { recursive: true });
                // what was left out for this cluster is said at the top of its first file
                const clusterNotes = i > 0 ? [] : notes.filter((n) => mine.some((m) => n.includes(` ${m.object.metadata?.namespace}/`)));
                // each file one whole document, so `cat DIR/CLUSTER/*.yaml | kubectl apply -f -` keeps them apart
                fs.writeFileSync(file, `---\n${noteLines(clusterNotes)}${renderDocument(o, placeholders)}`);
                written.push(rel);
            });
        }
        fs.writeFileSync(path.join(args.out, MANIFEST),
            `# files written by scripts/render.ts; the next render into this directory removes them first\n${written.map((f) => `${f}\n`).join("")}`);
        io.stdout(written.map((f) => `${path.join(args.out!, f)}\n`).join(""));
    } else {
        const extra = clusters.length > 1
            ? [`objects for ${clusters.length} clusters (${clusters.join(", ")}): apply each cluster's part to its own cluster; --out DIR writes one directory per cluster`]
            : [];
        io.stdout(noteLines([...notes, ...extra]) + objects.map((o) => `---\n${renderDocument(o, placeholders)}`).join(""));
    }
    const marked = shortWhats(placeholders.filter((p) => objects.some((o) => JSON.stringify(o.object).includes(p.value))));
    const summary = [`render: ${objects.length} objects, coupling ${evaluation.config.coupling}, stack ${config.stack}`,
        ...(marked.length ? [`  placeholders, marked "# PLACEHOLDER" (replace before applying): ${marked.join(", ")}`] : []),
        ...notes.map((n) => `  ${n}`),
        ...(clusters.length > 1 && !args.out ? ["  two clusters: use --out DIR for one directory per cluster"] : []),
        ...Object.entries(evaluation.outputs).filter(([, v]) => typeof v === "string").map(([k, v]) => {
            const hits = placeholdersIn(String(v), placeholders);
            return `  ${k}: ${v}${hits.length ? ` # PLACEHOLDER: ${shortWhats(hits).join("; ")}` : ""}`;
        })];
    io.stderr(`${summary.join("\n")}\n`);
    return 0;
}

if (require.main === module) {
    void main(process.argv.slice(2)).then((code) => process.exit(code));
}
