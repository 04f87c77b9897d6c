// lib/config-path.ts, which `render --set` uses: `pulumi config set --path` offline. Layer:
// unit (the cases of the CLI's own properties_path_test.go and config/map_test.go rules),
// then real processes: the same sets done by the real Pulumi CLI (from the tool cache,
// `npm run e2e:tools`) into a stack file, which must hold what setConfigPath computes,
// and the same refusals. Skipped, saying so, without the CLI.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { coerceConfigValue, formatPropertyPath, parsePropertyPath, PropertyPath, setConfigPath } from "../lib/config-path";
import { PROJECT } from "../lib/evaluate";
import { readStackFile } from "../lib/stacks";
import { tool } from "../e2e/lib/tools";

/** Apply `key=value` sets in order, as render does for its --set arguments. */
function applySets(initial: Record<string, unknown>, sets: [string, string][]): Record<string, unknown> {
    const values = structuredClone(initial);
    for (const [key, value] of sets) {
        const set = setConfigPath(values, key, value, PROJECT);
        values[set.key] = set.value;
    }
    return values;
}

const refusal = (initial: Record<string, unknown>, key: string, value = "x"): string => {
    try {
        setConfigPath(initial, key, value, PROJECT);
    } catch (err) {
        return (err as Error).message;
    }
    return "(accepted)";
};

describe("lib/config-path.ts: pulumi config set --path, offline", () => {
    describe("parsePropertyPath (sdk/go/common/resource/properties_path.go, strict)", () => {
        // [path, parsed, PropertyPath.String of it]: the CLI's own test cases
        const valid: [string, PropertyPath, string][] = [
            ["root", ["root"], "root"],
            ["root.nested", ["root", "nested"], "root.nested"],
            ['root["nested"]', ["root", "nested"], "root.nested"],
            ["root.double.nest", ["root", "double", "nest"], "root.double.nest"],
            ['root["double"].nest', ["root", "double", "nest"], "root.double.nest"],
            ['root["double"]["nest"]', ["root", "double", "nest"], "root.double.nest"],
            ["root.array[0]", ["root", "array", 0], "root.array[0]"],
            ["root.array[100]", ["root", "array", 100], "root.array[100]"],
            ["root.array[0].nested", ["root", "array", 0, "nested"], "root.array[0].nested"],
            ["root.array2[0][1].nested", ["root", "array2", 0, 1, "nested"], "root.array2[0][1].nested"],
            ["root.nested.array[0].double[1]", ["root", "nested", "array", 0, "double", 1], "root.nested.array[0].double[1]"],
            ['root["key with \\"escaped\\" quotes"]', ["root", 'key with "escaped" quotes'], 'root["key with \\"escaped\\" quotes"]'],
            ['root["key with a ."]', ["root", "key with a ."], 'root["key with a ."]'],
            ['["root key with \\"escaped\\" quotes"].nested', ['root key with "escaped" quotes', "nested"], '["root key with \\"escaped\\" quotes"].nested'],
            ['["root key with a ."][1]', ["root key with a .", 1], '["root key with a ."][1]'],
            ['root["*"].field[1]', ["root", "*", "field", 1], 'root["*"].field[1]'],
            ["root[*].field[2]", ["root", "*", "field", 2], 'root["*"].field[2]'],
            ["root[3].*[3]", ["root", 3, "*", 3], 'root[3]["*"][3]'],
            // the parser is looser than its grammar comment: a bare name runs to the next . or [
            ["foo-bar", ["foo-bar"], '["foo-bar"]'],
            ["root.foo-bar[0]", ["root", "foo-bar", 0], 'root["foo-bar"][0]'],
            ["naïve", ["naïve"], '["naïve"]'],
            ['root."double".nest', ["root", '"double"', "nest"], 'root["\\"double\\""].nest'],
            ["a..b", ["a", "b"], "a.b"],
            ["a[0]b", ["a", 0, "b"], "a[0].b"],
            ["a[+1]", ["a", 1], "a[1]"],
            ["a[007]", ["a", 7], "a[7]"],
            ["a[-1]", ["a", -1], "a[-1]"],
            ['a[""]', ["a", ""], "a."],
            ["clusters.allowFrom[0]", ["clusters", "allowFrom", 0], "clusters.allowFrom[0]"],
            ['clusters["allowFrom"][1]', ["clusters", "allowFrom", 1], "clusters.allowFrom[1]"],
        ];
        for (const [p, parsed, shown] of valid) {
            it(`${p} -> ${JSON.stringify(parsed)}, shown as ${shown}`, () => {
                assert.deepEqual(parsePropertyPath(p), parsed);
                assert.equal(formatPropertyPath(parsePropertyPath(p)), shown);
            });
        }

        const invalid: [string, string][] = [
            [".a", "expected property path to start with a name or index"],
            ["root.", "expected property path to end with a name or index"],
            ["root.array.[1]", "expected property name after '.'"],
            ['root.["key with a ."]', "expected property name after '.'"],
            ["root[", "missing closing bracket in array index"],
            ['root["nested]', "missing closing quote in property name"],
            ['root["nested"', "missing closing bracket in property access"],
            ['root["nested"x]', "missing closing bracket in property access"],
            ["root.array[abc]", 'invalid array index: strconv.ParseInt: parsing "abc": invalid syntax'],
            ["root.array[]", 'invalid array index: strconv.ParseInt: parsing "": invalid syntax'],
            ["root.array[1.5]", 'invalid array index: strconv.ParseInt: parsing "1.5": invalid syntax'],
            ["root.array[ 1]", 'invalid array index: strconv.ParseInt: parsing " 1": invalid syntax'],
            ["root.array[99999999999999999999]", 'invalid array index: strconv.ParseInt: parsing "99999999999999999999": value out of range'],
        ];
        for (const [p, message] of invalid) {
            it(`refuses ${p}: ${message}`, () => assert.throws(() => parsePropertyPath(p), { message }));
        }
    });

    it("types a value below the top level as the CLI does (coerce): booleans, 64-bit decimal integers, else strings", () => {
        const cases: [string, unknown][] = [
            ["true", true], ["false", false], ["True", "True"], ["yes", "yes"],
            ["0", 0], ["5", 5], ["-1", -1], ["+3", 3], ["-0", 0], ["-012", -12],
            ["007", "007"], ["00", "00"], ["1.5", "1.5"], ["1e3", "1e3"], ["0x10", "0x10"], ["1_000", "1_000"], [" 1", " 1"],
            // past 2^53 a JavaScript number rounds, as it does when the program parses the stack's JSON
            ["9223372036854775807", Number(9223372036854775807n)], ["18446744073709551615", Number(18446744073709551615n)], ["18446744073709551616", "18446744073709551616"],
            ["", ""], ["10.0.0.0/8", "10.0.0.0/8"],
        ];
        for (const [raw, typed] of cases) assert.deepEqual(coerceConfigValue(raw), typed, raw);
    });

    it("sets like Map.Set: a top-level value stays a string; paths create maps and lists, extend a list by one, replace a top-level scalar", () => {
        assert.deepEqual(applySets({}, [["echoReplicas", "2"], ["storage.size", "5Gi"], ["storage.retainOnDelete", "true"]]),
            { echoReplicas: "2", storage: { size: "5Gi", retainOnDelete: true } });
        assert.deepEqual(applySets({}, [["clusters.allowFrom[0]", "10.0.0.0/8"], ["clusters.allowFrom[1]", "192.0.2.0/24"]]),
            { clusters: { allowFrom: ["10.0.0.0/8", "192.0.2.0/24"] } });
        assert.deepEqual(applySets({}, [["names[2]", "c"]]), { names: [null, null, "c"] }, "a new list is as long as the index asks");
        assert.deepEqual(applySets({ storage: '{"size":"5Gi"}' }, [["storage.accessMode", "ReadWriteMany"]]),
            { storage: { accessMode: "ReadWriteMany" } }, "a top-level string (even JSON) is replaced, as the CLI does");
        assert.deepEqual(applySets({}, [['["app.x"]["y.z"]', "1"]]), { "app.x": { "y.z": 1 } });
        assert.deepEqual(applySets({}, [[`${PROJECT}:storage.size`, "1Gi"], [`${PROJECT}:config:coupling`, "pod"]]),
            { storage: { size: "1Gi" }, coupling: "pod" }, "the project namespace may be named");
        const initial = { clusters: { allowFrom: ["198.51.100.0/24"], generator: { context: "a" } } };
        assert.deepEqual(applySets(initial, [["clusters.allowFrom[0]", "10.0.0.0/8"], ["clusters.generator.kubeconfig", "/k"]]),
            { clusters: { allowFrom: ["10.0.0.0/8"], generator: { context: "a", kubeconfig: "/k" } } });
        assert.deepEqual(initial.clusters.allowFrom, ["198.51.100.0/24"], "the values given are left as they were");
    });

    it("refuses what Map.Set refuses, with the CLI's messages", () => {
        const initial = { clusters: { allowFrom: ["198.51.100.0/24"], generator: { context: "a" } } };
        const cases: [string, string][] = [
            ["clusters.allowFrom[2]", "clusters.allowFrom[2]: array index out of range"],
            ["clusters.allowFrom[-1]", "clusters.allowFrom[-1]: array index out of range"],
            ["clusters.allowFrom.first", "clusters.allowFrom.first: key for an array must be an int"],
            ["clusters[0]", "clusters[0]: key for a map must be a string"],
            ["clusters.generator.context.name", "clusters.generator.context: expected a map"],
            ["clusters.generator.context[0]", "clusters.generator.context: expected an array"],
            ["fresh.secure", 'maps with the single key "secure" are reserved'],
            ["[0]", "first path segement of config key must be a string"], // sic, the CLI's
            ['[""]', "config key is empty"],
            ["clusters.", "invalid config key path: expected property path to end with a name or index"],
            ["clusters.allowFrom.[0]", "invalid config key path: expected property name after '.'"],
            ["a:b:c", "could not parse a:b:c as a configuration key (configuration keys should be of the form `<namespace>:<name>`)"],
            ["kubernetes:context", `kubernetes:context: render evaluates only the ${PROJECT} namespace, not kubernetes (that package's own config)`],
            ["names[5000]", "[5000]: a new list of 5001 elements is too long"],
        ];
        for (const [key, message] of cases) assert.equal(refusal(initial, key), message, key);
    });
});

// ---- the real CLI -------------------------------------------------------------------------

const PULUMI = tool("pulumi");

interface CliResult { status: number | null; stdout: string; stderr: string }

// each: the stack file's config before, then `set-all --path --plaintext k=v ...` in order
const SCENARIOS: { name: string; initial: Record<string, unknown>; sets: [string, string][] }[] = [
    {
        name: "new maps and lists, typed leaves",
        initial: {},
        sets: [
            ["clusters.allowFrom[0]", "10.0.0.0/8"], ["clusters.allowFrom[1]", "192.0.2.0/24"], ["clusters.generator.context", "kind-a"],
            ["storage.size", "5Gi"], ["storage.retainOnDelete", "true"], ["resources.echo.limits.cpu", "1"], ["resources.echo.limits.memory", "0128Mi"],
            ["n.int", "-12"], ["n.plus", "+3"], ["n.zero", "0"], ["n.lead", "007"], ["n.float", "1.5"], ["n.big", "9223372036854775807"],
            ["n.huge", "18446744073709551616"], ["n.word", "True"], ["n.empty", ""],
            ["names[2]", "c"], ['["app.x"]["y.z"]', "v"], ["echoReplicas", "2"], ["coupling", "true"], ["a.b[0][1].c", "deep"],
        ],
    },
    {
        name: "into values read from the stack file",
        initial: {
            clusters: { allowFrom: ["198.51.100.0/24", "203.0.113.0/24"], generator: { context: "a" }, echo: { context: "b" } },
            storage: { size: "1Gi" }, namespace: "ns", echoReplicas: 3,
        },
        sets: [
            ["clusters.allowFrom[0]", "10.0.0.0/8"], ["clusters.allowFrom[2]", "192.0.2.0/24"], ["clusters.echo.kubeconfig", "/k/b"],
            ["storage.accessMode", "ReadWriteMany"], ["namespace.sub", "x"], ["echoReplicas", "4"],
        ],
    },
];
const REFUSAL_INITIAL = { clusters: { allowFrom: ["198.51.100.0/24"], generator: { context: "a" } } };
const REFUSED_KEYS = [
    "clusters.allowFrom[2]", "clusters.allowFrom.first", "clusters[0]", "clusters.generator.context.name", "clusters.generator.context[0]",
    "fresh.secure", "[0]", '[""]', "clusters.", "clusters.allowFrom.[0]", "clusters.allowFrom[x]", 'clusters["a', "clusters[1",
];

const stackConfig = (initial: Record<string, unknown>) => Object.fromEntries(Object.entries(initial).map(([k, v]) => [`${PROJECT}:${k}`, v]));

interface CliWork {
    /** Per scenario: the stack file after the CLI's sets, and a file holding only the initial config. */
    scenarios: { stackFile: string; before: string; set: CliResult }[];
    refusals: CliResult[];
}

/**
 * Everything the real CLI does for these tests, side by side: a project per case, each
 * with a stack `test` in a local file backend of its own (no network, no login).
 */
async function runCli(dir: string): Promise<CliWork> {
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH, HOME: dir, PULUMI_HOME: path.join(dir, ".pulumi"),
        PULUMI_CONFIG_PASSPHRASE: "config-path-spec", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const pulumi = (cwd: string, ...args: string[]): Promise<CliResult> => new Promise((resolve, reject) => {
        const child = spawn(PULUMI, args, { cwd, env: { ...env, PULUMI_BACKEND_URL: `file://${path.join(cwd, ".state")}` }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
    /** A project whose stack file holds `initial` as its config: the stack file's path. */
    const project = async (name: string, initial: Record<string, unknown>): Promise<string> => {
        const cwd = path.join(dir, name);
        fs.mkdirSync(path.join(cwd, ".state"), { recursive: true });
        fs.writeFileSync(path.join(cwd, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
        const init = await pulumi(cwd, "stack", "init", "test", "--non-interactive");
        if (init.status !== 0) throw new Error(`pulumi stack init: ${init.stderr}`);
        const file = path.join(cwd, "Pulumi.test.yaml");
        const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
        doc.config = stackConfig(initial);
        fs.writeFileSync(file, YAML.stringify(doc));
        return file;
    };
    const scenarios = Promise.all(SCENARIOS.map(async (s, i) => {
        const stackFile = await project(`scenario-${i}`, s.initial);
        const before = path.join(path.dirname(stackFile), "Pulumi.before.yaml");
        fs.writeFileSync(before, YAML.stringify({ config: stackConfig(s.initial) }));
        const set = await pulumi(path.dirname(stackFile), "config", "set-all", "--path", ...s.sets.flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]));
        return { stackFile, before, set };
    }));
    // one process per key (the CLI stops at the first refusal)
    const refusals = project("refusals", REFUSAL_INITIAL).then((file) =>
        Promise.all(REFUSED_KEYS.map((k) => pulumi(path.dirname(file), "config", "set", "--path", "--plaintext", k, "x"))));
    return { scenarios: await scenarios, refusals: await refusals };
}

// Started with the whole run (a root-level hook), beside the specs before these.
let cliDir: string | undefined;
let cliWork: Promise<CliWork> | undefined;
before(() => {
    if (!fs.existsSync(PULUMI)) return;
    cliDir = fs.mkdtempSync(path.join(os.tmpdir(), "config-path-"));
    cliWork = runCli(cliDir);
    cliWork.catch(() => undefined); // reported by the tests' before hook
});
after(() => { if (cliDir) fs.rmSync(cliDir, { recursive: true, force: true }); });

describe("lib/config-path.ts against the real `pulumi config set --path` (tool cache)", function () {
    let work: CliWork;
    before(async function () {
        if (!cliWork) {
            console.log(`      skipped: no Pulumi CLI at ${PULUMI} (npm run e2e:tools builds it)`);
            this.skip();
        }
        work = await cliWork!;
    });

    SCENARIOS.forEach((s, i) => {
        it(`${s.name}: the stack file holds what setConfigPath computes`, () => {
            const { stackFile, before, set } = work.scenarios[i];
            assert.equal(set.status, 0, set.stderr);
            // both read as the program gets them (lib/stacks.ts: top-level scalars as strings)
            assert.deepEqual(applySets(readStackFile(before).values, s.sets), readStackFile(stackFile).values, fs.readFileSync(stackFile, "utf8"));
        });
    });

    it("refuses the same keys, with the same messages", () => {
        REFUSED_KEYS.forEach((k, i) => {
            const cli = work.refusals[i];
            const mine = refusal(REFUSAL_INITIAL, k);
            assert.notEqual(cli.status, 0, `${k}: the CLI accepted it`);
            assert.ok(cli.stderr.includes(mine), `${k}: the CLI said ${JSON.stringify(cli.stderr.trim())}, render ${JSON.stringify(mine)}`);
        });
    });
});
