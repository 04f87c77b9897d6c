// The grammars of the values users give, each as its consumer defines it, so config
// validation accepts exactly what generator.sh, the API server, the registry or the URL
// parser will later accept. Every function returns undefined for a valid value, or a
// short phrase saying what is wrong ("has a query").
import * as net from "net";

// ---- Kubernetes names (k8s.io/apimachinery/pkg/util/validation) ----

/** IsDNS1123Label: namespaces, Service names, label-like names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
/** IsDNS1123Subdomain: most object names, StorageClass names (dots allowed). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

export function dns1123Label(v: string): string | undefined {
    if (v.length > DNS1123_LABEL_MAX) return `is ${v.length} characters long (at most ${DNS1123_LABEL_MAX})`;
    return DNS1123_LABEL.test(v) ? undefined : "is not a DNS-1123 label";
}

export function dns1123Subdomain(v: string): string | undefined {
    if (v.length > DNS1123_SUBDOMAIN_MAX) return `is ${v.length} characters long (at most ${DNS1123_SUBDOMAIN_MAX})`;
    return DNS1123_SUBDOMAIN.test(v) ? undefined : "is not a DNS-1123 subdomain";
}

// ---- Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource/quantity.go) ----
//
//   <quantity>        ::= <signedNumber><suffix>
//   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <signedNumber>    ::= <number> | <sign><number>
//   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
//
// ParseQuantity reads the exponent with strconv.ParseInt, so it is an integer; "1E" is
// the suffix E (exa), "1E3" the exponent 3. No npm library implements this grammar
// exactly (the client libraries convert to floats and accept more), so it is here.
const INT64_MAX = 2n ** 63n - 1n;
export const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

/** An exact rational value: num / den (den > 0). */
export interface Rational { num: bigint; den: bigint }

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The exact value of a quantity, or undefined when it does not match the grammar. */
export function parseQuantity(q: string): Rational | undefined {
    const m = QUANTITY.exec(q);
    if (!m) return undefined;
    const [, sign, number, suffix = ""] = m;
    const [whole, fraction = ""] = number.split(".");
    let num = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
    let den = 10n ** BigInt(fraction.length);
    let exp10 = 0;
    if (suffix in BINARY) num *= 2n ** BigInt(BINARY[suffix]);
    else if (suffix in DECIMAL) exp10 = DECIMAL[suffix];
    else {
        exp10 = Number(suffix.slice(1));
        // ParseQuantity takes any int64 exponent; keep the arithmetic bounded (what such a
        // value means is judged by resourceQuantity's range check)
        if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > 1000) return { num: exp10 > 0 ? 10n ** 1000n : 0n, den: 1n };
    }
    if (exp10 > 0) num *= 10n ** BigInt(exp10);
    else if (exp10 < 0) den *= 10n ** BigInt(-exp10);
    return { num, den };
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareRational(a: Rational, b: Rational): number {
    const l = a.num * b.den, r = b.num * a.den;
    return l < r ? -1 : l > r ? 1 : 0;
}

/**
 * What is wrong with a quantity for a resource, or undefined. `bytes` (memory, storage):
 * a whole number of bytes, never the milli/micro/nano suffixes. CPU: at most millicore
 * precision (the API server would silently round finer values up).
 */
export function resourceQuantity(v: string, kind: "bytes" | "cpu"): string | undefined {
    const q = parseQuantity(v);
    if (!q) {
        const meant = quantitySuggestion(v, kind);
        return `is not a Kubernetes quantity${meant ? `; did you mean ${meant}?` : ""}`;
    }
    if (q.num <= 0n) return "is not greater than zero";
    // the scheduler and kubelet count bytes and millicores in int64 (Quantity.Value/MilliValue)
    const limit = kind === "bytes" ? INT64_MAX : INT64_MAX / 1000n;
    if (q.num > limit * q.den) return `is above what Kubernetes can count (${kind === "bytes" ? "2^63-1 bytes" : "2^63-1 millicores"})`;
    if (kind === "bytes") {
        if (/[0-9.](m|u|n)$/.test(v)) {
            const meant = v.endsWith("m") ? `; did you mean ${v.slice(0, -1)}M or ${v.slice(0, -1)}Mi?` : "";
            return `uses the ${v.slice(-1)} suffix (${({ m: "milli", u: "micro", n: "nano" } as Record<string, string>)[v.slice(-1)]}), which means a fraction of a byte${meant}`;
        }
        if (q.num % q.den !== 0n) return "is not a whole number of bytes";
    } else if ((q.num * 1000n) % q.den !== 0n) {
        return "is finer than a millicore (1m)";
    }
    return undefined;
}

/**
 * What a value that is no quantity was probably meant to be: spaces dropped (`64 Mi`), a
 * binary suffix in the wrong case or with a B (`64mi`, `5GiB`), or a byte unit written the
 * way `df` and `ls -h` do (`5GB`, `5g`: the decimal suffix or the binary one, whichever
 * was meant).
 */
export function quantitySuggestion(v: string, kind: "bytes" | "cpu"): string | undefined {
    if (/\s/.test(v) && parseQuantity(v.replace(/\s+/g, ""))) return v.replace(/\s+/g, "");
    const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*([a-zA-Z]+)$/.exec(v.trim());
    if (!m) return undefined;
    const [, number, suffix] = m;
    const binary = Object.keys(BINARY).find((b) => b.toLowerCase() === suffix.toLowerCase().replace(/b$/, ""));
    if (binary) return `${number}${binary}`;
    const unit = /^([kmgtpe])b?$/i.exec(suffix)?.[1];
    if (!unit || kind !== "bytes") return undefined;
    const decimal = unit.toLowerCase() === "k" ? "k" : unit.toUpperCase();
    return `${number}${decimal} or ${number}${unit.toUpperCase()}i`;
}

// ---- intervals: what images/generator/generator.sh accepts (is_positive_number) ----

/** Digits with at most one dot, not a lone dot, some digit non-zero: no sign, exponent or spaces. */
export const GENERATOR_DECIMAL = /^([0-9]+\.?[0-9]*|\.[0-9]+)$/;
export const INTERVAL_MIN_SECONDS = 0.1;
export const INTERVAL_MAX_SECONDS = 3600;

/**
 * The interval as a plain decimal string for INTERVAL_SECONDS (`sleep` and awk read it),
 * or a phrase saying what is wrong. The value keeps the user's digits, only normalised
 * (leading zeros, a trailing dot), so 0.5 stays 0.5 and nothing becomes 1e-7.
 */
export function interval(v: string): { value?: string; seconds?: number; problem?: string } {
    if (!GENERATOR_DECIMAL.test(v) || !/[1-9]/.test(v)) return { problem: "is not a positive decimal number (digits and at most one '.', no sign or exponent)" };
    const [whole, fraction = ""] = v.split(".");
    const digits = `${whole.replace(/^0+(?=[0-9])/, "") || "0"}${fraction.replace(/0+$/, "") ? `.${fraction.replace(/0+$/, "")}` : ""}`;
    const seconds = Number(digits);
    if (seconds < INTERVAL_MIN_SECONDS) return { problem: `is below the minimum of ${INTERVAL_MIN_SECONDS} s` };
    if (seconds > INTERVAL_MAX_SECONDS) return { problem: `is above the maximum of ${INTERVAL_MAX_SECONDS} s` };
    return { value: digits, seconds };
}

// ---- integers ----

export const INT32_MAX = 2_147_483_647;

/** A plain decimal integer (no sign, exponent, hex, spaces or fraction) within [min, max]. */
export function integer(v: string, min: number, max: number): { value?: number; problem?: string } {
    if (/^-[0-9]+$/.test(v)) return { problem: `is below ${min}` };
    if (/^\+[0-9]+$/.test(v)) return { problem: `has a + sign (write ${v.slice(1)})` };
    if (v.trim() !== v && /^[0-9]+$/.test(v.trim())) return { problem: `has spaces around it (write ${v.trim()})` };
    if (!/^[0-9]+$/.test(v)) return { problem: "is not a whole number in plain digits" };
    const n = Number(v);
    if (n < min) return { problem: `is below ${min}` };
    if (n > max) return { problem: `is above ${max}` };
    return { value: n };
}

// ---- URLs (WHATWG URL, as Node's global URL parses them) ----

/**
 * A base URL http(s)://host[:port] (any case for the scheme, an optional trailing '/'),
 * without user info, path, query or fragment. Returns its origin (what echo gets).
 */
export function baseUrl(v: string): { origin?: string; problem?: string } {
    if (/\s/.test(v)) return { problem: "contains whitespace" };
    if (v.includes("\\")) return { problem: "contains a backslash" };
    if (!/^https?:\/\//i.test(v)) return { problem: "does not start with http:// or https://" };
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return { problem: "is not a URL" };
    }
    if (!url.hostname) return { problem: "has no host" };
    if (url.hostname === "0.0.0.0" || url.hostname === "[::]") return { problem: "has the unspecified address as its host, which reaches no other machine" };
    // the parser drops an empty user info ("http://@h") and an empty query or fragment
    // ("h?", "h#"), so look at the text as well
    if (url.username || url.password || /^[^/]*\/\/[^/]*@/.test(v)) return { problem: "has user info (user@), which would be sent as credentials" };
    if (url.search || v.includes("?")) return { problem: "has a query" };
    if (url.hash || v.includes("#")) return { problem: "has a fragment" };
    if (url.pathname !== "/") return { problem: "has a path (echo appends /data itself)" };
    const port = /^[^/]*\/\/[^/]*:([0-9]*)\/?$/.exec(v.replace(/\[[^\]]*\]/, "[]"))?.[1];
    if (port !== undefined && (port === "" || Number(port) < 1 || Number(port) > 65535)) return { problem: "has a port outside 1-65535" };
    return { origin: url.origin };
}

// ---- CIDRs ----

/** address/prefix with the address as net.isIP reads it and the prefix within its family's range. */
export function cidr(v: string): string | undefined {
    const slash = v.lastIndexOf("/");
    if (slash < 0) return "has no /prefix length";
    const address = v.slice(0, slash), prefix = v.slice(slash + 1);
    if (address.includes("%")) return "has an IPv6 zone, which a CIDR cannot have";
    const family = net.isIP(address);
    if (family === 0) return `has ${JSON.stringify(address)}, not an IPv4 or IPv6 address`;
    const max = family === 4 ? 32 : 128;
    if (!/^(0|[1-9][0-9]*)$/.test(prefix) || Number(prefix) > max) return `has a prefix length outside 0-${max} (IPv${family})`;
    return undefined;
}

// ---- image references (github.com/distribution/reference, regexp.go) ----
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name
//   domain           := host [':' port-number]
//   host             := domain-name | IPv4address | \[ IPv6address \]
//   domain-name      := domain-component ['.' domain-component]*
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   port-number      := /[0-9]+/
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   remote-name      := path-component ['/' path-component]*
//   alpha-numeric    := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex  (OCI image spec: sha256 = 64 hex, sha512 = 128 hex)
//
// The regular expressions below are regexp.go's, composed the same way. An npm port
// exists (@swimlane/docker-reference), but it is a small package last released in 2024;
// the grammar is a dozen lines, pinned here to its source and tested.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const IPV6_ADDRESS = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})";
/** NameTotalLengthMax in distribution/reference: the repository path (the name without its domain). */
export const NAME_MAX = 255;

/** The repository path of a name: without the registry host, by the docker CLI's rule (see registryHost). */
function repositoryPath(name: string): string {
    const first = name.split("/")[0];
    const isHost = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
    return isHost ? name.slice(first.length + 1) : name;
}
export const REFERENCE = new RegExp(`^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG}))?@(${DIGEST})$`);
const NAME = new RegExp(`^(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN_AND_PORT}$`);

/**
 * The docker CLI's rule (distribution/reference normalize.go splitDockerDomain): the
 * first component is a registry host when it has a '.' or ':' or is "localhost" (or has
 * upper case); otherwise the name is on Docker Hub.
 */
export function registryHost(prefix: string): string {
    const first = prefix.split("/")[0];
    const isHost = first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase();
    return isHost ? first : "docker.io";
}

function portProblem(host: string): string | undefined {
    const port = /:([0-9]+)$/.exec(host)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has the port ${port}, outside 1-65535`;
    return undefined;
}

/**
 * A registry prefix: host[:port] with optional repository path components, such that
 * `<prefix>/<repository>` is a valid reference name (repository e.g. app-coupling-generator).
 */
export function registryPrefix(v: string, longestRepository: string): string | undefined {
    const first = v.split("/")[0];
    const hostLike = first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase();
    const ok = hostLike ? DOMAIN_ONLY.test(first) && (v === first || NAME.test(v)) : NAME.test(v);
    if (!ok) {
        if (/[A-Z]/.test(v.slice(first.length))) return "has upper case in a repository path (only lower case is allowed there)";
        return "is not a registry host[:port] followed by optional lower-case path components";
    }
    if (hostLike) {
        const p = portProblem(first);
        if (p) return p;
    }
    const repo = repositoryPath(`${v}/${longestRepository}`);
    if (repo.length > NAME_MAX) return `makes repository paths ${repo.length} characters long (at most ${NAME_MAX})`;
    return undefined;
}

/** A digest-pinned image reference: name[:tag]@sha256:<64 hex>. */
export function pinnedReference(v: string): string | undefined {
    const m = REFERENCE.exec(v);
    if (!m) {
        if (!v.includes("@")) return "has no digest (@sha256:<64 hex>)";
        if (!/@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(v)) return "has a malformed digest (expected @sha256:<64 lower-case hex>)";
        return "is not a valid image reference (host[:port]/lower-case/path[:tag]@digest)";
    }
    const repo = repositoryPath(m[1]);
    if (repo.length > NAME_MAX) return `has a repository path ${repo.length} characters long (at most ${NAME_MAX})`;
    const first = m[1].split("/")[0];
    if (m[1].includes("/") && (first.includes(".") || first.includes(":"))) return portProblem(first);
    return undefined;
}

// ---- Pulumi stack names (for imagesFromStack): [org/][project/]stack ----

export function stackName(v: string): string | undefined {
    const parts = v.split("/");
    if (parts.length > 3) return "has more than three parts (org/project/stack)";
    if (!parts.every((p) => /^[A-Za-z0-9_.-]{1,100}$/.test(p))) return "is not [org/][project/]stack with letters, digits, '-', '_' and '.'";
    return undefined;
}

// ---- platforms (what `docker build --platform` and containerd's platforms.Normalize accept) ----

/** The supported platform an architecture name means: `amd64`, `x86_64`, `aarch64`, `linux/arm64/v8`. */
export function platformSuggestion(v: string, supported: readonly string[]): string | undefined {
    const arch = v.trim().toLowerCase().replace(/^linux\//, "");
    const meant = ({ amd64: "amd64", x86_64: "amd64", "x86-64": "amd64", arm64: "arm64", aarch64: "arm64", "arm64/v8": "arm64" } as Record<string, string>)[arch];
    return meant && supported.includes(`linux/${meant}`) && `linux/${meant}` !== v ? `linux/${meant}` : undefined;
}

// ---- suggestions ----

function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/** The known name closest to `name` (case-insensitive edit distance), when it is close. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
    const prefixed = known.filter((k) => name.length >= 3 && k.toLowerCase().startsWith(name.toLowerCase()));
    if (prefixed.length === 1) return prefixed[0];
    let best: string | undefined, bestDistance = Infinity;
    for (const k of known) {
        const dist = distance(name.toLowerCase(), k.toLowerCase());
        if (dist < bestDistance) { best = k; bestDistance = dist; }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
