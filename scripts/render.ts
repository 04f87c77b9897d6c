// Render the Kubernetes manifests a stack would apply, without Pulumi, Docker or a cluster:
// the real program (deployStack) is evaluated under Pulumi's mocks (test/harness.ts),
// image digests are deterministic placeholders, auto-names are filled in.
//
//   npm run render -- <coupling> [--stack dev|staging|prod|path/to/Pulumi.X.yaml]
//                     [--set key=value ...] [--secret key=value ...] [--out DIR] [--show-secrets]
//
// Prints every object as multi-document YAML (stable order, `# Source: <urn>` and
// `# Cluster: ...` comments), or with --out writes DIR/<cluster>/<kind>-<name>.yaml.
// Exit codes: 0 rendered, 2 bad arguments or invalid stack config (the ConfigError), 1 other failure.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { COUPLINGS } from "../components/config";
import { evaluate } from "../test/harness";
import { KubernetesObject, kubernetesObjectsOf } from "../test/k8s-schema";
import { readStackFile } from "../test/stacks";

const repoRoot = path.resolve(__dirname, "..");

const USAGE = `usage: npm run render -- [coupling] [--stack NAME|Pulumi.NAME.yaml] [--set key=value ...] [--secret key=value ...] [--out DIR] [--show-secrets]
  coupling        ${COUPLINGS.join(", ")} (default: the stack file's, else the project default)
  --stack         a stack name (reads Pulumi.NAME.yaml in the project) or a path to a stack file
  --set k=v       a config value, as \`pulumi config set\`; a dotted key sets one field of an
                  object value, as \`pulumi config set --path\` (e.g. --set storage.size=5Gi)
  --secret k=v    like --set, stored as a secret (e.g. --secret registryPassword=...)
  --out DIR       write DIR/<cluster>/<kind>-<name>.yaml instead of printing
  --show-secrets  print secret values instead of [secret]`;

class UsageError extends Error {}

export interface RenderArgs {
    coupling?: string;
    stack?: string;
    sets: { key: string; value: string; secret: boolean }[];
    out?: string;
    showSecrets: boolean;
}

export function parseArgs(argv: string[]): RenderArgs {
    const args: RenderArgs = { sets: [], showSecrets: false };
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
        } else if (arg === "-h" || arg === "--help") throw new UsageError("");
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
}

/** The config `evaluate` gets: stack file, then the coupling argument, then --set/--secret in order. */
export function stackConfig(args: RenderArgs): StackConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    let stack = "render";
    let stackOutputs: StackConfig["stackOutputs"];
    if (args.stack) {
        // the same reading of a stack file the tests use: `secure:` values and ESC
        // environments become secret stand-ins, since nothing can be decrypted here
        const parsed = readStackFile(stackFile(args.stack));
        stack = parsed.stack;
        Object.assign(values, parsed.values);
        parsed.secretKeys.forEach((k) => secretKeys.add(k));
        stackOutputs = parsed.stackOutputs;
    }
    if (args.coupling !== undefined) values.coupling = args.coupling;
    for (const { key, value, secret } of args.sets) {
        const [top, ...fieldPath] = key.split(".");
        if (secret) secretKeys.add(top);
        if (!fieldPath.length) { values[top] = value; continue; }
        // like `pulumi config set --path`: create or update one field of an object value
        let current = values[top];
        if (typeof current === "string") {
            try { current = JSON.parse(current); } catch { current = undefined; }
        }
        const root: Record<string, unknown> = current && typeof current === "object" ? structuredClone(current) as Record<string, unknown> : {};
        let node = root;
        for (const field of fieldPath.slice(0, -1)) {
            if (!node[field] || typeof node[field] !== "object") node[field] = {};
            node = node[field] as Record<string, unknown>;
        }
        node[fieldPath[fieldPath.length - 1]] = value === "true" ? true : value === "false" ? false : value;
        values[top] = root;
    }
    return { stack, values, secretKeys: [...secretKeys], stackOutputs };
}

/** Apply order, as Helm and kubectl would: what others refer to first. */
const KIND_ORDER = ["Namespace", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment",
    "PodDisruptionBudget", "NetworkPolicy", "Route"];
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
    `# Cluster: ${c.provider} (context ${c.context ?? "(kubeconfig's current)"}${c.kubeconfig ? `, kubeconfig ${c.kubeconfig}` : ""})`;

export function renderDocument(o: KubernetesObject): string {
    return `# Source: ${o.resource.urn}\n${clusterComment(o.cluster)}\n${YAML.stringify(o.object, { lineWidth: 0 })}`;
}

const fileName = (o: KubernetesObject) =>
    `${String(o.object.kind).toLowerCase()}-${o.object.metadata?.name ?? o.resource.name}.yaml`.replace(/[^A-Za-z0-9._-]/g, "_");

async function main(argv: string[]): Promise<number> {
    let args: RenderArgs;
    let config: StackConfig;
    try {
        args = parseArgs(argv);
        config = stackConfig(args);
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        if (err.message) process.stderr.write(`render: ${err.message}\n`);
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }

    let evaluation;
    try {
        evaluation = await evaluate(config.values, { stack: config.stack, secretKeys: config.secretKeys, stackOutputs: config.stackOutputs });
    } catch (err) {
        if ((err as Error)?.name === "ConfigError") {
            process.stderr.write(`render: ${(err as Error).message}\n`);
            return 2;
        }
        throw err;
    }

    const objects = sortObjects(kubernetesObjectsOf(evaluation, args.showSecrets ? "reveal" : "redact"));
    if (args.out) {
        const written: string[] = [];
        for (const o of objects) {
            const file = path.join(args.out, o.cluster.provider, fileName(o));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, renderDocument(o));
            written.push(file);
        }
        process.stdout.write(written.map((f) => `${f}\n`).join(""));
    } else {
        process.stdout.write(objects.map((o) => `---\n${renderDocument(o)}`).join(""));
    }
    const summary = [`render: ${objects.length} objects, coupling ${evaluation.config.coupling}, stack ${config.stack}`,
        ...Object.entries(evaluation.outputs).filter(([, v]) => typeof v === "string").map(([k, v]) => `  ${k}: ${v}`)];
    process.stderr.write(`${summary.join("\n")}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err) => {
            process.stderr.write(`render: ${(err as Error)?.stack ?? err}\n`);
            process.exit(1);
        });
}
