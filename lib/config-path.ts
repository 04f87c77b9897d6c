// `pulumi config set --path KEY VALUE`, offline: the same key paths, the same typing of
// values and the same refusals, so `render --set KEY=VALUE` means what the CLI would
// store. Mirrors pulumi/pulumi sdk/go/common/resource/properties_path.go
// (parsePropertyPath, strict as config uses it; PropertyPath.String) and
// sdk/go/common/resource/config (map.go Map.Set and parseKeyPath, object.go object.Set,
// newContainer and coerce, value.go coerceObject); messages are the CLI's own.

/** A parsed path: strings select a map's key, numbers an array's element. */
export type PropertyPath = (string | number)[];

export class ConfigPathError extends Error {
    override name = "ConfigPathError";
}

/** Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
    if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
    const n = BigInt(s);
    return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * parsePropertyPath(path, strict=true): bare names run to the next `.` or `[` (any
 * characters; `a..b` is `a`, `b`), `[N]` is an index, `["..."]` a quoted key (`\"` the
 * only escape), `[*]` the key `*`; `.` before `[` is refused (strict).
 */
export function parsePropertyPath(path: string): PropertyPath {
    const elements: PropertyPath = [];
    if (path.startsWith(".")) throw new ConfigPathError("expected property path to start with a name or index");
    while (path.length > 0) {
        if (path[0] === ".") {
            path = path.slice(1);
            if (path.length === 0) throw new ConfigPathError("expected property path to end with a name or index");
            if (path[0] === "[") throw new ConfigPathError("expected property name after '.'");
        } else if (path[0] === "[") {
            let element: string | number;
            if (path.length > 1 && path[1] === '"') {
                let key = "";
                let i = 2;
                for (;;) {
                    if (i >= path.length) throw new ConfigPathError("missing closing quote in property name");
                    if (path[i] === '"') { i++; break; }
                    if (path[i] === "\\" && i + 1 < path.length && path[i + 1] === '"') { key += '"'; i += 2; }
                    else { key += path[i]; i++; }
                }
                if (i >= path.length || path[i] !== "]") throw new ConfigPathError("missing closing bracket in property access");
                element = key;
                path = path.slice(i);
            } else {
                const close = path.indexOf("]");
                if (close === -1) throw new ConfigPathError("missing closing bracket in array index");
                const segment = path.slice(1, close);
                if (segment === "*") element = "*";
                else {
                    const index = parseInt64(segment);
                    if (index === undefined) {
                        const why = /^[+-]?[0-9]+$/.test(segment) ? "value out of range" : "invalid syntax";
                        throw new ConfigPathError(`invalid array index: strconv.ParseInt: parsing ${JSON.stringify(segment)}: ${why}`);
                    }
                    element = Number(index);
                }
                path = path.slice(close);
            }
            elements.push(element);
            path = path.slice(1);
        } else {
            let i = 0;
            while (i < path.length && path[i] !== "." && path[i] !== "[") i++;
            elements.push(path.slice(0, i));
            path = path.slice(i);
        }
    }
    return elements;
}

/** PropertyPath.String: the path as the CLI prints it in its messages. */
export function formatPropertyPath(p: PropertyPath): string {
    return p.map((k, i) => {
        if (typeof k === "number") return `[${k}]`;
        if (/^[A-Za-z0-9_]*$/.test(k)) return i === 0 ? k : `.${k}`;
        return `["${k.replace(/"/g, '\\"')}"]`;
    }).join("");
}

/**
 * How the CLI types a value set at a path below the top level (coerce): `true` and
 * `false` are booleans, decimal integers (no leading zero, an optional sign, within 64
 * bits) are numbers, anything else a string. A top-level value is always a string.
 */
export function coerceConfigValue(value: string): string | number | boolean {
    if (value === "true") return true;
    if (value === "false") return false;
    if (value.length > 1 && value[0] === "0") return value;
    if (/^[+-]?[0-9]+$/.test(value)) {
        const n = BigInt(value);
        if (n >= -(2n ** 63n) && n < 2n ** 64n) return Number(n);
    }
    return value;
}

/** The most elements a path may create in a new list (the CLI allocates as many as asked). */
const MAX_NEW_ELEMENTS = 1024;

function newContainer(accessor: string | number): unknown[] | Record<string, unknown> {
    if (typeof accessor === "string") return {};
    if (accessor + 1 > MAX_NEW_ELEMENTS) throw new ConfigPathError(`[${accessor}]: a new list of ${accessor + 1} elements is too long`);
    return new Array(Math.max(0, accessor + 1)).fill(null);
}

const isContainer = (v: unknown): v is unknown[] | Record<string, unknown> => v !== null && typeof v === "object";

/** object.Set: set `path` below `holder[slot]` (the value at `prefix`) to `value`. */
function setAt(holder: Record<string | number, unknown>, slot: string | number, prefix: PropertyPath, path: PropertyPath, value: unknown): void {
    if (path.length === 0) {
        holder[slot] = value;
        return;
    }
    const existing = holder[slot];
    if (existing !== undefined && existing !== null && !isContainer(existing) && prefix.length !== 1) {
        // COMPAT (the CLI's): a scalar at the first level is replaced, deeper it is an error
        throw new ConfigPathError(`${formatPropertyPath(prefix)}: expected ${typeof path[0] === "number" ? "an array" : "a map"}`);
    }
    const current = isContainer(existing) ? existing : newContainer(path[0]);
    holder[slot] = current;
    const here = [...prefix, path[0]];
    if (Array.isArray(current)) {
        const index = path[0];
        if (typeof index !== "number") throw new ConfigPathError(`${formatPropertyPath(here)}: key for an array must be an int`);
        if (index < 0 || index > current.length) throw new ConfigPathError(`${formatPropertyPath(here)}: array index out of range`);
        if (index === current.length) current.push(null);
        setAt(current as unknown as Record<number, unknown>, index, here, path.slice(1), value);
    } else {
        const key = path[0];
        if (typeof key !== "string") throw new ConfigPathError(`${formatPropertyPath(here)}: key for a map must be a string`);
        // a map holding only "secure" would read back as an encrypted value
        if (path.length === 1 && Object.keys(current).length === 0 && key === "secure" && typeof value === "string") {
            throw new ConfigPathError('maps with the single key "secure" are reserved');
        }
        setAt(current, key, here, path.slice(1), value);
    }
}

export interface ConfigPathSet {
    /** The top-level config key the path is under (without namespace). */
    key: string;
    /** The new top-level value: the string itself, or the whole object or list. */
    value: unknown;
}

/**
 * `pulumi config set --path KEY VALUE` against `values` (top-level keys without the
 * namespace: strings, or objects and lists as parsed from the stack file): returns the
 * new top-level value, leaving `values` as it was. `project` is the namespace a key may
 * name (`project:key`); another namespace is refused.
 */
export function setConfigPath(values: Record<string, unknown>, key: string, value: string, project: string): ConfigPathSet {
    // parseConfigKey: with a path, only the first segment may carry the namespace
    const split = key.search(/[[.]/);
    const top = split > 0 ? key.slice(0, split) : key;
    let name = key;
    if (top.includes(":")) {
        // config.ParseKey: `namespace:name`, or the old `namespace:config:name`
        const parts = top.split(":");
        if (parts.length > 3 || (parts.length === 3 && parts[1] !== "config")) {
            throw new ConfigPathError(`could not parse ${top} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`);
        }
        const namespace = parts[0];
        if (namespace !== project) {
            throw new ConfigPathError(`${key}: render evaluates only the ${project} namespace, not ${namespace} (that package's own config)`);
        }
        name = key.slice(top.length - parts[parts.length - 1].length);
    }
    let p: PropertyPath;
    try {
        p = parsePropertyPath(name);
    } catch (err) {
        throw new ConfigPathError(`invalid config key path: ${(err as Error).message}`);
    }
    if (p.length === 0) throw new ConfigPathError("empty config key path");
    const first = p[0];
    // (sic: the CLI's own spelling, kept so the message is the one its users search for)
    if (typeof first !== "string") throw new ConfigPathError("first path segement of config key must be a string");
    if (first === "") throw new ConfigPathError("config key is empty");
    if (p.length === 1) return { key: first, value };
    const root: Record<string, unknown> = { [first]: structuredClone(values[first]) };
    setAt(root, first, [first], p.slice(1), coerceConfigValue(value));
    return { key: first, value: root[first] };
}
