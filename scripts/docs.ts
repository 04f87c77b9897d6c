// Generates what the docs say that the program itself knows, so it cannot drift:
//   README.md   the coupling comparison (object counts from evaluating the program) and
//               the configuration table (from CONFIG, components/config.ts);
//   Pulumi.yaml the `config:` block (from CONFIG).
//
//   npm run docs            rewrite the generated blocks (between their markers)
//   npm run docs -- --check exit 1 when a file is out of date (the tests do this too)
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG, CONFIG_KEYS, Coupling, COUPLINGS, IMAGES_FOR } from "../components/config";
import { declaredDefault, fieldsOf, isObject, KeySpec, Shape, warnsWhenEmpty } from "../components/validator";
import { evaluate, minimalConfig } from "../lib/evaluate";

const ROOT = path.join(__dirname, "..");
export const README = path.join(ROOT, "README.md");
export const PULUMI_YAML = path.join(ROOT, "Pulumi.yaml");

/** A block of a file that `npm run docs` writes: everything between `begin` and `end`. */
export interface Generated {
    file: string;
    begin: string;
    end: string;
    content: () => Promise<string> | string;
}

/** The trade-offs, in words; the counts come from evaluating the program. */
const TRADE_OFFS: Record<Coupling, { colocated: string; sharedFate: string; rollout: string; data: string; scaling: string; hops: string }> = {
    container: { colocated: "always (one container)", sharedFate: "total: one process tree", rollout: "one image: any change rebuilds and restarts both", data: "lost on restart (emptyDir)", scaling: "none (1 replica)", hops: "0" },
    pod: { colocated: "always (one pod)", sharedFate: "the pod: a crashed container restarts alone, but any change replaces the pod", rollout: "per image, but the pod restarts on any change", data: "lost when the pod goes (emptyDir)", scaling: "none (1 replica)", hops: "0" },
    volume: { colocated: "with ReadWriteOnce, same node (required affinity); with ReadWriteMany, no", sharedFate: "the volume", rollout: "independent Deployments", data: "survives pods; retainOnDelete keeps it past the stack", scaling: "echo scales (echoReplicas)", hops: "0 (file)" },
    service: { colocated: "no", sharedFate: "none; echo serves its last good copy if generator is down", rollout: "independent Deployments", data: "lost when the generator pod goes (emptyDir)", scaling: "echo scales (echoReplicas)", hops: "1 (in-cluster Service)" },
    clusters: { colocated: "no: two clusters", sharedFate: "none; separate failure domains", rollout: "independent, per cluster", data: "lost when the generator pod goes (emptyDir)", scaling: "echo scales (echoReplicas)", hops: "1 (across clusters, via a load balancer)" },
};

async function comparisonTable(): Promise<string> {
    const rows: string[] = [
        "| coupling | co-located | shared fate | rollout | data durability | scaling | network hops to the data | images built | Kubernetes objects created (echoReplicas 1) |",
        "|---|---|---|---|---|---|---|---|---|",
    ];
    for (const coupling of COUPLINGS) {
        const e = await evaluate(minimalConfig(coupling));
        const kinds = new Map<string, number>();
        for (const r of e.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
            const kind = r.type.split(":").pop()!;
            kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        const objects = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`).join(", ");
        const total = [...kinds.values()].reduce((a, b) => a + b, 0);
        const t = TRADE_OFFS[coupling];
        rows.push(`| \`${coupling}\` | ${t.colocated} | ${t.sharedFate} | ${t.rollout} | ${t.data} | ${t.scaling} | ${t.hops} | ` +
            `${IMAGES_FOR[coupling].join(", ")} | ${total}: ${objects} |`);
    }
    return rows.join("\n");
}

// ---- the configuration contract ----

const code = (s: string) => `\`${s}\``;
const list = (items: readonly string[]) => items.map(code).join(", ");

/** `{a, b: {c, d}}`; sibling fields of the same shape are joined: `{generator|echo: {...}}`. */
function shapeText(fields: Shape): string {
    const parts: { names: string[]; inner: string }[] = [];
    for (const [name, f] of Object.entries(fields)) {
        const inner = fieldsOf(f) ? `: ${shapeText(fieldsOf(f)!)}` : "";
        const last = parts[parts.length - 1];
        if (last && inner && last.inner === inner) last.names.push(name);
        else parts.push({ names: [name], inner });
    }
    return `{${parts.map((p) => `${p.names.join("|")}${p.inner}`).join(", ")}}`;
}

/** Which couplings use a key (or each of its fields), and what becomes of a value elsewhere. */
function usage(spec: KeySpec): string {
    const elsewhere = "elsewhere kept, with a warning";
    if (spec.usedBy) return `${list(spec.usedBy)}; ${elsewhere}`;
    const perField = Object.entries(fieldsOf(spec) ?? {}).filter(([, f]) => f.usedBy);
    if (!perField.length) return "all";
    const groups = new Map<string, string[]>();
    for (const [name, f] of perField) groups.set(list(f.usedBy!), [...(groups.get(list(f.usedBy!)) ?? []), name]);
    return `${[...groups].map(([couplings, names]) => `${list(names)} by ${couplings}`).join("; ")}; ${elsewhere}`;
}

function typeText(spec: KeySpec): string {
    if (spec.type === "object") return `object ${code(shapeText(fieldsOf(spec)!))}`;
    return spec.secret ? `${spec.type}, secret` : spec.type;
}

function defaultText(spec: KeySpec): string {
    if (spec.defaultText) return spec.defaultText;
    if (spec.required) return `unset; required by ${list(spec.usedBy ?? COUPLINGS)}`;
    const d = declaredDefault(spec);
    if (isObject(d)) return Object.keys(d).length ? code(`{${Object.entries(d).map(([k, v]) => `${k}: ${v}`).join(", ")}}`) : "unset";
    return d === "" ? "unset" : code(String(d));
}

/** A table cell: GitHub splits cells at every `|`, even inside code. */
const cell = (s: string) => s.replace(/\|/g, "\\|");

function configTable(): string {
    const warned = CONFIG_KEYS.filter((k) => warnsWhenEmpty(CONFIG[k]));
    return [
        "| key | type | default | used by | meaning |",
        "|---|---|---|---|---|",
        ...CONFIG_KEYS.map((key) => {
            const spec: KeySpec = CONFIG[key];
            return `| ${[code(key), typeText(spec), defaultText(spec), usage(spec), spec.description].map(cell).join(" | ")} |`;
        }),
        "",
        "An empty value (`pulumi config set KEY \"\"`, render's `--set KEY=`) means unset: the key's default applies. " +
        "Pulumi hands the program `\"\"` for an unset key declared with an empty default, so for those keys it is silent; " +
        `for the keys with a default of their own (${list(warned)}) a warning says that the default applies.`,
    ].join("\n");
}

/** Pulumi.yaml's `config:` block: per key its type, the default Pulumi hands over, the description. */
function pulumiYamlConfig(): string {
    const objects = CONFIG_KEYS.filter((k) => CONFIG[k].type === "object");
    const config = Object.fromEntries(CONFIG_KEYS.map((key) => {
        const spec: KeySpec = CONFIG[key];
        const used = usage(spec);
        return [key, {
            ...(spec.type === "object" ? {} : { type: spec.type }),
            default: declaredDefault(spec),
            description: `${spec.description}${used === "all" ? "" : ` [used by ${used.replace(/`/g, "")}]`}`,
        }];
    }));
    const why = "Optional keys default to \"\" or {} (= unset; an empty value always means unset): Pulumi makes a declared key without a default " +
        `required on every stack. Object-valued keys (${objects.join(", ")}) declare no \`type:\`, because Pulumi CLIs ` +
        "before `type: object` existed reject the whole file; components/config.ts validates every key, objects " +
        "included, before any resource is created.";
    return [...wrap(why, 88).map((l) => `# ${l}`), YAML.stringify({ config }, { lineWidth: 0 }).trimEnd()].join("\n");
}

function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    for (const word of text.split(" ")) {
        if (lines.length && lines[lines.length - 1].length + word.length < width) lines[lines.length - 1] += ` ${word}`;
        else lines.push(word);
    }
    return lines;
}

const BLOCKS: Generated[] = [
    {
        file: README, content: comparisonTable,
        begin: "<!-- coupling-comparison:begin (generated by `npm run docs`) -->", end: "<!-- coupling-comparison:end -->",
    },
    {
        file: README, content: configTable,
        begin: "<!-- config-table:begin (generated by `npm run docs` from CONFIG in components/config.ts) -->", end: "<!-- config-table:end -->",
    },
    {
        file: PULUMI_YAML, content: pulumiYamlConfig,
        begin: "# config:begin (generated by `npm run docs` from CONFIG in components/config.ts: edit it there)", end: "# config:end",
    },
];

function replaceBlock(text: string, block: Generated, content: string): string {
    const start = text.indexOf(block.begin);
    const end = text.indexOf(block.end);
    if (start < 0 || end < start) throw new Error(`${path.basename(block.file)} lacks the ${block.begin} ... ${block.end} markers`);
    return `${text.slice(0, start + block.begin.length)}\n${content}\n${text.slice(end)}`;
}

/** Each file as `npm run docs` would write it: file -> [current, generated]. */
export async function generated(): Promise<Map<string, [string, string]>> {
    const files = new Map<string, [string, string]>();
    for (const block of BLOCKS) {
        const [current, next] = files.get(block.file) ?? Array(2).fill(fs.readFileSync(block.file, "utf8"));
        files.set(block.file, [current, replaceBlock(next, block, await block.content())]);
    }
    return files;
}

async function main() {
    const stale = [...(await generated())].filter(([, [current, next]]) => current !== next);
    const names = stale.map(([file]) => path.basename(file)).join(" and ");
    if (process.argv.includes("--check")) {
        if (stale.length) {
            console.error(`${names}: generated blocks out of date: run \`npm run docs\``);
            process.exit(1);
        }
        console.log("README.md and Pulumi.yaml are up to date");
    } else if (!stale.length) {
        console.log("README.md and Pulumi.yaml unchanged (the generated blocks are up to date)");
    } else {
        for (const [file, [, next]] of stale) fs.writeFileSync(file, next);
        console.log(`${names} updated`);
    }
}

if (require.main === module) {
    main().catch((err) => { console.error(err); process.exit(1); });
}
