// components/grammars.ts against the consumers' own code: every quantity, image reference,
// registry name, DNS-1123 name and CIDR that config-values.spec.ts tries is also given to
// apimachinery's resource.ParseQuantity and validation, distribution/reference (the
// docker CLI's parser) and Go's net.ParseCIDR (test/oracle/main.go). Where we accept, they
// accept; where they refuse, we refuse; the only differences are the stricter rules listed
// below, each on purpose. Needs Go and those modules in the Go module cache (nothing is
// downloaded; `(cd test/oracle && go mod download)` fills it); skipped, saying why, without them.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as g from "../components/grammars";
import { CASES } from "./config-cases";

const ORACLE_DIR = path.join(__dirname, "oracle");

interface Verdict { kind: string; value: string; ok: boolean; detail: string }

const hasGo = () => spawnSync("go", ["version"], { encoding: "utf8" }).status === 0;

/** The oracle's binary for this source version (built once). */
function oracleBinary(): string {
    const hash = crypto.createHash("sha256");
    for (const f of ["main.go", "go.mod", "go.sum"]) hash.update(fs.readFileSync(path.join(ORACLE_DIR, f)));
    return path.join(os.tmpdir(), `app-coupling-oracle-${hash.digest("hex").slice(0, 12)}`);
}

/** Build the oracle into `bin`, offline; undefined (with the reason and the way out) when it cannot be built. */
function buildOracle(bin = oracleBinary(), env: NodeJS.ProcessEnv = {}): { bin?: string; why?: string } {
    if (!hasGo()) return { why: "no Go toolchain on PATH" };
    if (fs.existsSync(bin)) return { bin };
    const build = spawnSync("go", ["build", "-o", bin, "."], {
        cwd: ORACLE_DIR, encoding: "utf8", timeout: 240_000,
        env: { ...process.env, GOPROXY: "off", GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", ...env },
    });
    if (build.status !== 0) {
        return {
            why: "cannot build test/oracle offline: its modules are not in the Go module cache; " +
                `fill it with \`(cd test/oracle && go mod download)\` (needs the Go module proxy): ${(build.stderr || String(build.error)).trim().split("\n").pop()}`,
        };
    }
    return { bin };
}

const strings = (...keys: string[]) =>
    CASES.filter((c) => keys.includes(c.key)).flatMap((c) => [...c.bad, ...c.good]).filter((v): v is string => typeof v === "string" && v !== "");

describe("the Go oracle's skip line", function () {
    it("says how to fill the module cache when the modules are missing", function () {
        if (!hasGo()) this.skip();
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "empty-gomodcache-"));
        try {
            const { bin, why } = buildOracle(path.join(empty, "oracle"), { GOMODCACHE: empty });
            assert.equal(bin, undefined);
            assert.match(why!, /not in the Go module cache; fill it with `\(cd test\/oracle && go mod download\)`/);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });
});

describe("config grammars against the consumers' own parsers (Go oracle)", function () {
    let verdicts: Map<string, Verdict>;
    const key = (kind: string, value: string) => `${kind}\u0000${value}`;

    before(function () {
        const { bin, why } = buildOracle();
        if (!bin) {
            console.log(`      skipped: ${why}`);
            this.skip();
        }
        const H = "a".repeat(64);
        const lines: [string, string][] = [
            ...strings("storage.size", "resources.echo.limits.cpu", "resources.echo.limits.memory", "resources.generator.requests.memory",
                "resources.generator.limits.memory").map((v) => ["quantity", v] as [string, string]),
            ...["1E", "1E3", "1e", "1Ei", "1.", ".5", "1.5e3", "1e+3", "1K", "1ki", "0x1", "1e18", "9223372036854775807"].map((v) => ["quantity", v] as [string, string]),
            ...[...strings("images.generator"), `Reg/gen@sha256:${H}`, `localhost/gen@sha256:${H}`, `a.b:5000/c/d:t@sha256:${H}`]
                .map((v) => ["reference", v] as [string, string]),
            ...strings("imageRegistry", "pullRegistry").map((v) => ["name", `${v}/app-coupling-generator`] as [string, string]),
            ...strings("namespace").map((v) => ["label", v] as [string, string]),
            ...strings("storage.storageClass").map((v) => ["subdomain", v] as [string, string]),
            ...strings("clusters.allowFrom[0]").map((v) => ["cidr", v] as [string, string]),
        ];
        const run = spawnSync(bin!, { input: lines.map((l) => JSON.stringify(l)).join("\n") + "\n", encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        verdicts = new Map(run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Verdict).map((v) => [key(v.kind, v.value), v]));
        assert.equal(verdicts.size, new Set(lines.map(([k, v]) => key(k, v))).size);
    });

    const each = (kind: string) => [...verdicts.values()].filter((v) => v.kind === kind);

    it("quantities: our grammar is ParseQuantity's; we accept for a resource only what it parses to a positive value", () => {
        for (const v of each("quantity")) {
            const ours = g.parseQuantity(v.value) !== undefined;
            // apimachinery reads an empty number as 0 (".Gi", "m"); the documented grammar has
            // none, and such a value is zero, refused for every resource either way
            const emptyNumber = /^[+-]?\.?([KMGTPE]i|[numkMGTPE])?$/.test(v.value);
            if (!emptyNumber) assert.equal(ours, v.ok, `${JSON.stringify(v.value)}: ours ${ours}, ParseQuantity ${v.ok} (${v.detail})`);
            for (const kind of ["bytes", "cpu"] as const) {
                if (g.resourceQuantity(v.value, kind) === undefined) {
                    assert.ok(v.ok && / sign=1 /.test(v.detail), `${v.value} accepted as ${kind}, but ParseQuantity says ${v.detail}`);
                }
            }
        }
    });

    it("image references: we accept only what distribution/reference parses, digest-pinned (stricter: port 1-65535)", () => {
        for (const v of each("reference")) {
            const why = g.pinnedReference(v.value);
            if (why === undefined) assert.ok(v.ok && v.detail.includes("digested=true"), `${v.value}: accepted, reference says ${v.detail}`);
            else if (v.ok && v.detail.includes("digested=true")) assert.match(why, /port/, `${v.value}: refused (${why}), reference accepts it`);
        }
    });

    it("registry prefixes: <prefix>/app-coupling-generator parses as a name exactly when we accept (stricter: port 1-65535)", () => {
        for (const v of each("name")) {
            const prefix = v.value.replace(/\/app-coupling-generator$/, "");
            const why = g.registryPrefix(prefix, "app-coupling-generator");
            if (why === undefined) assert.ok(v.ok, `${prefix}: accepted, reference says ${v.detail}`);
            else if (v.ok) assert.match(why, /port/, `${prefix}: refused (${why}), reference accepts it`);
        }
    });

    it("namespace and StorageClass names: exactly IsDNS1123Label and IsDNS1123Subdomain", () => {
        for (const v of each("label")) assert.equal(g.dns1123Label(v.value) === undefined, v.ok, `${v.value}: ${v.detail}`);
        for (const v of each("subdomain")) assert.equal(g.dns1123Subdomain(v.value) === undefined, v.ok, `${v.value}: ${v.detail}`);
    });

    it("CIDRs: we accept only what net.ParseCIDR does (stricter: no leading zeros in the prefix length)", () => {
        for (const v of each("cidr")) {
            const why = g.cidr(v.value);
            if (why === undefined) assert.ok(v.ok, `${v.value}: accepted, ParseCIDR says ${v.detail}`);
            else if (v.ok) assert.match(v.value, /\/0[0-9]/, `${v.value}: refused (${why}), ParseCIDR accepts it`);
        }
    });
});
