// The small table-driven validator behind the config contract (the table is CONFIG in
// components/config.ts). A value's grammar is a function; objects, defaults, "required
// where used", "unused by this coupling" and the order of problems are handled here once,
// so a key's entry in the table says only what is particular to it.
//
// Why no schema library (zod, valibot, ajv): their messages and paths are their own
// (`Expected string, received number` at ["storage", "size"]). To read as ours do —
// `storage.size: "500m" is not allowed (it uses the m suffix (milli), which means a
// fraction of a byte); expected a storage quantity ...` — every rule would need a custom
// message, and the suggestions, the defaults that Pulumi hands over as values, the order
// of problems and the unused-key rule would still be ours; the library would be left
// with the walk over an object's fields, which is `object` below.
import * as grammars from "./grammars";

/** Shown for a value that is not set (never quoted, so it cannot be mistaken for a string). */
export const UNSET: unique symbol = Symbol("(unset)");
/** Shown instead of a secret's value. */
export const HIDDEN: unique symbol = Symbol("(secret)");

export function show(v: unknown): string {
    if (v === UNSET || v === undefined) return "(unset)";
    if (v === HIDDEN) return "(secret, not shown)";
    return JSON.stringify(v);
}

export const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** The top-level key a (dotted, indexed or paired) key belongs to: `storage.size` -> `storage`. */
const topKey = (key: string) => key.split(/[.[/]/)[0];

/**
 * What grammars and checks report to, and what they may read. Problems are listed in the
 * table's order of the keys they name (unknown keys first), each key's in the order found.
 */
export class Report<C = unknown> {
    private readonly found: { rank: number; line: string }[] = [];
    readonly warnings: string[] = [];
    /** The chosen coupling (the `coupling` key's value) once it is parsed. */
    coupling = "";
    /** Whether the value being parsed is used by the chosen coupling (requirements apply only then). */
    used = true;
    /** Per top-level key, the parts of it set but unused by the coupling: warned about once, by `warnUnused`. */
    private readonly unused = new Map<string, { parts: string[]; why: string; usedBy: Set<string> }>();

    constructor(readonly ctx: C, private readonly keys: readonly string[]) {}

    get problems(): string[] {
        return [...this.found].sort((a, b) => a.rank - b.rank).map((p) => p.line);
    }

    get count(): number {
        return this.found.length;
    }

    /** A problem in its own words, listed with `key`'s. */
    problem(key: string, line: string): void {
        this.found.push({ rank: this.keys.indexOf(topKey(key)), line });
    }

    /** One problem: the key, the value as given, what is allowed, and (optionally) what is wrong with it. */
    fail(key: string, value: unknown, allowed: string, why?: string): void {
        this.problem(key, `${key}: ${show(value)} is not allowed${why ? ` (it ${why})` : ""}; expected ${allowed}`);
    }

    unknownField(key: string, value: unknown, known: readonly string[]): void {
        const suggestion = grammars.didYouMean(key.split(".").pop()!, known);
        this.fail(key, value, `one of ${known.join(", ")}`, suggestion ? `is not a known field; did you mean ${suggestion}?` : "is not a known field");
    }

    warn(line: string): void {
        this.warnings.push(line);
    }

    /** Note that `parts` of `key` are set but not used by the coupling (`why`), only by `usedBy`. */
    notUsed(key: string, parts: string[], why: string, usedBy: readonly string[]): void {
        const entry = this.unused.get(topKey(key)) ?? { parts: [], why, usedBy: new Set<string>() };
        entry.parts.push(...parts);
        usedBy.forEach((c) => entry.usedBy.add(c));
        this.unused.set(topKey(key), entry);
    }

    /** One warning per key with unused parts: what is kept, why it is not used, who uses it. */
    warnUnused(): void {
        for (const [key, { parts, why, usedBy }] of this.unused) {
            this.warn(`${key}: ${parts.join(", ")} not used by coupling ${this.coupling} (${why}); kept for ${[...usedBy].join(", ")}`);
        }
        this.unused.clear();
    }
}

/** A value's grammar: the parsed value, or undefined after reporting why not. `v` is never undefined. */
export type Grammar<T> = (key: string, v: unknown, r: Report) => T | undefined;

export interface Field<T = unknown> {
    grammar: Grammar<T>;
    /** The value when none is given, parsed like a given one (a function: computed from the context). */
    default?: unknown;
    /** Required where it is used: what is expected, and why. */
    required?: { allowed: string; why?: string };
    /**
     * The couplings that use it (unset: every coupling). Elsewhere a value is still
     * validated and kept (a later switch returns to it), with one warning per key that says
     * why the coupling does not use it: `unused`, the reason, given the coupling.
     */
    usedBy?: readonly string[];
    unused?: string | ((coupling: string) => string);
}

export type Shape = Record<string, Field>;
/** A field's parsed value: never undefined when it has a default. */
export type ValueOf<F> = F extends Field<infer T> ? (F extends { default: NonNullable<unknown> } ? T : T | undefined) : never;
export type ObjectValue<S extends Shape> = { [K in keyof S]: ValueOf<S[K]> };
export type ObjectGrammar<S extends Shape> = Grammar<ObjectValue<S>> & { fields: S };

// ---- grammars ----

/** A non-empty string; `check` (usually from grammars.ts) says what is wrong with it, if anything. */
export function text(allowed = "a non-empty string", check?: (s: string, r: Report) => string | undefined): Grammar<string> {
    return (key, v, r) => {
        if (typeof v !== "string" || v.length === 0) {
            r.fail(key, v, allowed, typeof v === "string" ? "is empty" : `is ${Array.isArray(v) ? "a list" : isObject(v) ? "an object" : `a ${typeof v}`}, not a string`);
            return undefined;
        }
        const why = check?.(v, r);
        if (why) {
            r.fail(key, v, allowed, why);
            return undefined;
        }
        return v;
    };
}

/** One of `allowed`; a value that is none of them gets a suggestion: `meant` (if given) first, else the nearest. */
export function oneOf<T extends string>(allowed: readonly T[], meant?: (v: string) => string | undefined): Grammar<T> {
    return (key, v, r) => {
        if ((allowed as readonly unknown[]).includes(v)) return v as T;
        const suggestion = typeof v === "string" ? meant?.(v) ?? grammars.didYouMean(v, allowed) : undefined;
        r.fail(key, v, `one of ${allowed.join(", ")}`, suggestion ? `is not one of them; did you mean ${suggestion}?` : undefined);
        return undefined;
    };
}

/** A string read by a grammars.ts parser that returns the value or a problem. */
export function parsed<T>(allowed: string, parse: (s: string) => { value?: T; problem?: string }): Grammar<T> {
    return (key, v, r) => {
        const p = parse(String(v));
        if (p.problem) r.fail(key, v, allowed, p.problem);
        return p.problem ? undefined : p.value;
    };
}

export const integer = (min: number, max: number): Grammar<number> =>
    parsed(`a whole number from ${min} to ${max}`, (s) => grammars.integer(s, min, max));

/** A Kubernetes quantity: a string, or a number as YAML (`cpu: 2`) or `config set --path` may store it. */
export function kubeQuantity(allowed: string, kind: "bytes" | "cpu"): Grammar<string> {
    const asText = text(allowed, (q) => grammars.resourceQuantity(q, kind));
    return (key, v, r) => {
        if (typeof v !== "number") return asText(key, v, r);
        const why = grammars.resourceQuantity(String(v), kind);
        if (why) r.fail(key, v, allowed, why);
        return why ? undefined : String(v);
    };
}

export function bool(): Grammar<boolean> {
    return (key, v, r) => {
        if (v === true || v === "true") return true;
        if (v === false || v === "false") return false;
        r.fail(key, v, "true or false");
        return undefined;
    };
}

/** A non-empty list, each item checked by `item` (which says what is wrong with it, if anything). */
export function list(allowed: string, item: (v: unknown) => string | undefined): Grammar<unknown[]> {
    return (key, v, r) => {
        if (!Array.isArray(v) || v.length === 0) {
            r.fail(key, v, allowed, Array.isArray(v) ? "is empty" : "is not a list");
            return undefined;
        }
        const bad = v.map((x, i) => [i, x, item(x)] as const).filter(([, , why]) => why);
        for (const [i, x, why] of bad) r.fail(`${key}[${i}]`, x, allowed, why);
        return bad.length ? undefined : v;
    };
}

/**
 * An object with the given fields: unknown fields are refused (with a suggestion), then
 * each field is parsed in the declared order. `null` (YAML's empty value) counts as unset.
 */
export function object<S extends Shape>(fields: S): ObjectGrammar<S> {
    const known = Object.keys(fields);
    const grammar: Grammar<ObjectValue<S>> = (key, v, r) => {
        if (v === null) return undefined;
        if (!isObject(v)) {
            r.fail(key, v, `an object with the fields ${known.join(", ")}`);
            return undefined;
        }
        for (const k of Object.keys(v)) if (!known.includes(k)) r.unknownField(`${key}.${k}`, v[k], known);
        const out: Record<string, unknown> = {};
        for (const [name, field] of Object.entries(fields)) out[name] = parseField(`${key}.${name}`, v[name], field, r);
        return out as ObjectValue<S>;
    };
    return Object.assign(grammar, { fields });
}

// ---- defaults and the unused rule ----

/** The fields of an object-valued field, or undefined. */
export const fieldsOf = (f: Field): Shape | undefined => (f.grammar as Partial<ObjectGrammar<Shape>>).fields;

/**
 * What Pulumi.yaml declares as the default, i.e. what Pulumi hands the program for an unset
 * key: the constant default; for an object whose default is `{}`, its fields' constant
 * defaults; otherwise "" (or {} for objects), which the program reads as unset.
 */
export function declaredDefault(f: Field): unknown {
    const fields = fieldsOf(f);
    if (fields) {
        if (!isObject(f.default)) return {};
        return Object.fromEntries(Object.entries(fields).filter(([, x]) => x.default !== undefined && typeof x.default !== "function")
            .map(([name, x]) => [name, x.default]));
    }
    return f.default === undefined || typeof f.default === "function" ? "" : f.default;
}

/** The parts of a given value that differ from what Pulumi.yaml declares (what the user set). */
function changed(key: string, given: unknown, f: Field): string[] {
    const declared = declaredDefault(f);
    if (fieldsOf(f) && isObject(given) && isObject(declared)) {
        return Object.keys(given).filter((k) => Object.hasOwn(fieldsOf(f)!, k) && String(given[k]) !== String(declared[k])).map((k) => `${key}.${k}`);
    }
    return given !== undefined && String(given) !== String(declared) ? [key] : [];
}

/** The field's default, as the grammar parses it; computed defaults get the report's context. */
function defaultOf(key: string, f: Field, r: Report): unknown {
    const d = typeof f.default === "function" ? (f.default as (ctx: unknown) => unknown)(r.ctx) : f.default;
    if (d === undefined) return undefined;
    return f.grammar(key, typeof d === "number" || typeof d === "boolean" ? String(d) : d, r);
}

/**
 * One value through its field: its grammar; unset or invalid, its default (an unset value's
 * default is checked like a given one and reported on); required where used; and, where
 * the coupling does not use it, noted for the key's one warning (only a valid value: one
 * problem gives one message).
 */
export function parseField(key: string, given: unknown, f: Field, r: Report): unknown {
    const outer = r.used;
    const used = outer && (!f.usedBy || f.usedBy.includes(r.coupling));
    r.used = used;
    try {
        const before = r.count;
        const value = given === undefined ? undefined : f.grammar(key, given, r);
        const bad = r.count > before;
        if (value === undefined && !bad && f.required && used) {
            r.fail(key, given ?? UNSET, f.required.allowed, f.required.why);
            return undefined;
        }
        const set = !bad && !used && outer ? changed(key, given, f) : [];
        if (set.length) {
            const why = typeof f.unused === "function" ? f.unused(r.coupling) : f.unused ?? "";
            // a top-level value shows itself, a top-level object the fields set in it, a field its name
            const top = key === topKey(key);
            r.notUsed(key, top && !fieldsOf(f) ? [show(given)] : top ? set : [key], why, f.usedBy!);
        }
        if (value !== undefined) return value;
        // an invalid value falls back to the default silently: its problem is reported already
        return defaultOf(key, f, given === undefined ? r : Object.assign(new Report(r.ctx, []), { coupling: r.coupling }));
    } finally {
        r.used = outer;
    }
}

// ---- the whole table ----

/** Values as Pulumi hands them to the program: strings, objects as JSON. */
export interface Source {
    /** Keys set in the project namespace (to catch typos). */
    keys(): string[];
    get(key: string): string | undefined;
    /** Whether the stack stores this key encrypted (`pulumi config set --secret`). */
    isSecret(key: string): boolean;
}

/** A top-level key: a field plus what Pulumi.yaml and the README say about it. */
export interface KeySpec<T = unknown> extends Field<T> {
    /** Pulumi.yaml's `type:`; objects declare none there (see the comment in Pulumi.yaml). */
    type: "string" | "integer" | "boolean" | "object";
    /** One line, for Pulumi.yaml and the README. */
    description: string;
    /** Must be stored encrypted; its value is never shown. */
    secret?: boolean;
    /** For the docs: a default that is computed or another key's (e.g. `imageRegistry`). */
    defaultText?: string;
}

export type Values<T extends Record<string, KeySpec>> = { [K in keyof T]: ValueOf<T[K]> };

/**
 * Parse every key of `table` from `source`, in the table's order: unknown keys are
 * refused; "" (and, for objects, `{}`) means unset, since Pulumi.yaml declares such
 * defaults; the `coupling` key, first, decides which keys are used. Returns the parsed
 * values, the given ones (objects parsed from JSON), and the report.
 */
export function validate<T extends Record<string, KeySpec>>(table: T, source: Source, ctx: unknown) {
    const keys = Object.keys(table);
    const r = new Report(ctx, keys);
    for (const key of source.keys()) {
        if (!keys.includes(key)) r.unknownField(key, source.isSecret(key) ? HIDDEN : source.get(key), keys);
    }
    const given: Record<string, unknown> = {};
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(table)) {
        given[key] = readGiven(key, spec, source, r);
        if (spec.secret && given[key] !== undefined && !source.isSecret(key)) {
            r.fail(key, HIDDEN, `a secret: set it with \`pulumi config set --secret ${key} ...\``, "is stored in plain text");
        }
        values[key] = parseField(key, given[key], spec, r);
        if (key === "coupling") r.coupling = String(values[key]);
    }
    r.warnUnused();
    return { values: values as Values<T>, given, report: r };
}

/**
 * The keys whose empty value is worth a warning: those with a default of their own. For
 * them Pulumi hands the program the default when the key is unset, so "" was set on
 * purpose (`pulumi config set KEY ""`, render's `--set KEY=`), and means unset all the
 * same. For the others Pulumi hands "" itself, so an empty value is simply unset.
 */
export function warnsWhenEmpty(spec: KeySpec): boolean {
    return spec.type !== "object" && declaredDefault(spec) !== "";
}

function readGiven(key: string, spec: KeySpec, source: Source, r: Report): unknown {
    const v = source.get(key);
    if (v === "" && warnsWhenEmpty(spec)) {
        r.warn(`${key}: "" means unset, so the default ${show(declaredDefault(spec))} applies (\`pulumi config rm ${key}\` unsets it without this warning)`);
    }
    if (v === undefined || v === "") return undefined;
    if (spec.type !== "object") return v;
    try {
        const parsedValue: unknown = JSON.parse(v);
        if (isObject(parsedValue)) return Object.keys(parsedValue).length ? parsedValue : undefined;
    } catch { /* reported below */ }
    r.fail(key, v, `an object (set it with \`pulumi config set --path '${key}.field' value\`)`);
    return undefined;
}
