// Reading Kubernetes objects from YAML and comparing two sets of them with the random
// parts (auto-name suffixes) and provider-added bookkeeping set aside.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export type KObject = Record<string, unknown> & { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

export function parseYamlStream(text: string): KObject[] {
    return YAML.parseAllDocuments(text).map((d) => d.toJS()).filter((o): o is KObject => !!o && typeof o === "object" && "kind" in o);
}

export function readYamlTree(dir: string): KObject[] {
    const out: KObject[] = [];
    if (!fs.existsSync(dir)) return out;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...readYamlTree(p));
        else if (/\.ya?ml$/.test(entry.name)) out.push(...parseYamlStream(fs.readFileSync(p, "utf8")));
    }
    return out;
}

/** Auto-named objects end in -<8 lowercase hex/alphanumerics>; the suffix is random per engine. */
const AUTO_NAME = /^(.+)-[0-9a-z]{8}$/;

/**
 * The objects with every auto-name suffix (and every reference to it) replaced by
 * `-<auto>`, and what the provider adds for its own bookkeeping removed (the
 * `pulumi.com/autonamed` annotation, an `app.kubernetes.io/managed-by: pulumi` label),
 * and empty lists dropped (`volumeMounts: []` is written by render, omitted by the provider).
 * Keyed `Kind namespace/name`.
 */
export function normalize(objects: KObject[]): Map<string, KObject> {
    const renames = new Map<string, string>();
    for (const o of objects) {
        const name = o.metadata?.name;
        const m = name ? AUTO_NAME.exec(name) : null;
        if (name && m) renames.set(name, `${m[1]}-<auto>`);
    }
    const names = [...renames.keys()].sort((a, b) => b.length - a.length);
    const out = new Map<string, KObject>();
    for (const o of objects) {
        let text = JSON.stringify(o);
        for (const n of names) text = text.split(n).join(renames.get(n)!);
        const copy = JSON.parse(text) as KObject;
        // the provider marks the names it generated
        const annotations = (copy.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
        if (annotations?.["pulumi.com/autonamed"] === "true") {
            delete annotations["pulumi.com/autonamed"];
            if (!Object.keys(annotations).length) delete (copy.metadata as { annotations?: unknown }).annotations;
        }
        const labels = copy.metadata?.labels;
        if (labels && labels["app.kubernetes.io/managed-by"] === "pulumi") {
            delete labels["app.kubernetes.io/managed-by"];
            if (!Object.keys(labels).length) delete copy.metadata!.labels;
        }
        out.set(`${copy.kind} ${copy.metadata?.namespace ?? ""}/${copy.metadata?.name ?? ""}`, sortKeys(copy) as KObject);
    }
    return out;
}

const PLAIN_BOOLS = ["readOnly"];

/** Keys sorted; empty lists and false plain booleans dropped (the provider, like the API's JSON, omits them). */
function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.keys(v as object).sort()
            .filter((k) => !(Array.isArray((v as Record<string, unknown>)[k]) && ((v as Record<string, unknown[]>)[k]).length === 0))
            // plain (non-pointer) booleans the API's JSON omits when false
            .filter((k) => !(PLAIN_BOOLS.includes(k) && (v as Record<string, unknown>)[k] === false))
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/** Human-readable differences between two normalized sets ("" when equal). */
export function diffObjectSets(actual: Map<string, KObject>, expected: Map<string, KObject>, actualName: string, expectedName: string): string {
    const lines: string[] = [];
    for (const k of expected.keys()) if (!actual.has(k)) lines.push(`only in ${expectedName}: ${k}`);
    for (const k of actual.keys()) if (!expected.has(k)) lines.push(`only in ${actualName}: ${k}`);
    for (const [k, a] of actual) {
        const e = expected.get(k);
        if (!e) continue;
        const d = diffValues(a, e, "");
        if (d.length) lines.push(`${k}:`, ...d.slice(0, 12).map((l) => `  ${l}`), ...(d.length > 12 ? [`  ... ${d.length - 12} more`] : []));
    }
    return lines.join("\n");
}

function diffValues(a: unknown, e: unknown, at: string): string[] {
    if (JSON.stringify(a) === JSON.stringify(e)) return [];
    if (a && e && typeof a === "object" && typeof e === "object" && !Array.isArray(a) && !Array.isArray(e)) {
        const keys = new Set([...Object.keys(a as object), ...Object.keys(e as object)]);
        return [...keys].flatMap((k) => diffValues((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${at}.${k}`));
    }
    if (Array.isArray(a) && Array.isArray(e) && a.length === e.length) {
        return a.flatMap((x, i) => diffValues(x, e[i], `${at}[${i}]`));
    }
    return [`${at || "."}: engine ${JSON.stringify(a)} vs render ${JSON.stringify(e)}`];
}
