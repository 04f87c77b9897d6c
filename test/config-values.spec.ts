// Every key against the grammar of whoever consumes its value: bad and edge-case values
// are refused with one message that names the key and shows the value as given; valid
// ones are accepted. parseConfig runs directly (microseconds per value); config.spec.ts
// checks through the whole program that a refused config registers nothing.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, CONFIG, ConfigError, COUPLINGS, parseConfig } from "../components/config";
import { Field, fieldsOf } from "../components/validator";
import { CASES, HEX64, TWO } from "./config-cases";

/** parseConfig over `values` as Pulumi hands them (strings; objects as JSON); its warnings into `warnings`. */
function parse(values: Record<string, unknown>, secretKeys: string[] = [], warnings: string[] = []): AppConfig {
    const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    return parseConfig({
        keys: () => Object.keys(values),
        get: (k) => (values[k] === undefined ? undefined : str(values[k])),
        isSecret: (k) => secretKeys.includes(k),
    }, { project: "app-coupling", stack: "test", hostArch: "x64" }, warnings);
}

/** parseConfig's problems and warnings (with the password, when set, stored as a secret). */
function outcome(values: Record<string, unknown>): { problems: string[]; warnings: string[] } {
    const warnings: string[] = [];
    try {
        parse(values, ["registryPassword"], warnings);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
        return { problems: err.problems, warnings };
    }
    return { problems: [], warnings };
}

/** Every key or field that only some couplings use, with its path: what CONFIG declares. */
function couplingSpecific(fields: Record<string, Field>, prefix = ""): [string, Field][] {
    return Object.entries(fields).flatMap(([name, f]): [string, Field][] => [
        ...(f.usedBy ? [[`${prefix}${name}`, f] as [string, Field]] : []),
        ...couplingSpecific(fieldsOf(f) ?? {}, `${prefix}${name}.`),
    ]);
}

function problemsOf(values: Record<string, unknown>): string[] {
    try {
        parse(values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
        return err.problems;
    }
    return [];
}

const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "(unset)" : JSON.stringify(v));

describe("config values: every key against its consumer's grammar", () => {
    for (const c of CASES) {
        const where = c.base ? ` (${Object.entries(c.base).map(([k, v]) => `${k} ${typeof v === "string" ? v : "{...}"}`).join(", ")})` : "";
        it(`${c.key}${where}: refuses ${c.bad.length} bad values, each with one message naming the key and the value as given`, () => {
            for (const v of c.bad) {
                const problems = problemsOf({ ...c.base, ...c.set(v) });
                const mine = problems.filter((p) => p.startsWith(`${c.key}:`));
                assert.equal(mine.length, 1, `${c.key} = ${shown(v)}: expected one message for the key, got:\n${problems.join("\n")}`);
                assert.ok(mine[0].includes(shown(v)), `${c.key} = ${shown(v)}: the message does not show the value: ${mine[0]}`);
                assert.match(mine[0], /; expected /);
                assert.ok(!problems.some((p) => p.includes("\"(unset)\"")), `an unset value shown as a string: ${problems.join("\n")}`);
            }
        });
        if (c.good.length) {
            it(`${c.key}${where}: accepts ${c.good.length} valid values`, () => {
                for (const v of c.good) {
                    let config: AppConfig;
                    try {
                        config = parse({ ...c.base, ...c.set(v) }, c.base && "registryPassword" in c.base ? ["registryPassword"] : []);
                    } catch (err) {
                        assert.fail(`${c.key} = ${shown(v)} was refused:\n${(err as Error).message}`);
                    }
                    c.check?.(config, v);
                }
            });
        }
    }

    it("suggests the nearest known name for an unknown key or field", () => {
        assert.match(problemsOf({ couplng: "pod" })[0], /did you mean coupling\?/);
        assert.match(problemsOf({ coupling: "volume", storage: { sise: "1Gi" } })[0], /storage\.sise: .*did you mean size\?/);
        assert.match(problemsOf({ coupling: "clusters", clusters: { ...TWO, generatorURL: "http://x" } })[0], /did you mean generatorUrl\?/);
        assert.match(problemsOf({ resources: { echo: { limits: { mem: "1Gi" } } } })[0], /did you mean memory\?/);
        assert.match(problemsOf({ serviceType: "Loadbalancer" })[0], /did you mean LoadBalancer\?/);
    });

    it("suggests what a near-miss quantity or platform was meant to be", () => {
        const cases: [Record<string, unknown>, RegExp][] = [
            [{ resources: { echo: { limits: { memory: "64mi" } } } }, /^resources\.echo\.limits\.memory: "64mi" .*did you mean 64Mi\?/],
            [{ coupling: "volume", storage: { size: "5gi" } }, /^storage\.size: "5gi" .*did you mean 5Gi\?/],
            [{ coupling: "volume", storage: { size: "5GB" } }, /^storage\.size: "5GB" .*did you mean 5G or 5Gi\?/],
            [{ coupling: "volume", storage: { size: "5GiB" } }, /did you mean 5Gi\?/],
            [{ coupling: "volume", storage: { size: "1 Gi" } }, /did you mean 1Gi\?/],
            [{ resources: { echo: { limits: { memory: "128m" } } } }, /uses the m suffix \(milli\).*did you mean 128M or 128Mi\?/],
            [{ platform: "amd64" }, /^platform: "amd64" .*did you mean linux\/amd64\?/],
            [{ platform: "aarch64" }, /did you mean linux\/arm64\?/],
            [{ platform: "linux/arm64/v8" }, /did you mean linux\/arm64\?/],
        ];
        for (const [values, expected] of cases) assert.match(problemsOf(values).join("\n"), expected);
        // a CPU quantity has no byte units to guess at
        assert.doesNotMatch(problemsOf({ resources: { echo: { limits: { cpu: "2GB" } } } })[0], /did you mean/);
    });

    it("says what is wrong with a number that is no plain whole number: a negative one is below the minimum", () => {
        const why = (v: string) => problemsOf({ coupling: "volume", echoReplicas: v })[0];
        assert.match(why("-1"), /^echoReplicas: "-1" is not allowed \(it is below 1\); expected a whole number from 1 to 2147483647$/);
        assert.match(problemsOf({ maxLines: "-5" })[0], /^maxLines: "-5" is not allowed \(it is below 1\)/);
        assert.match(why("+2"), /has a \+ sign \(write 2\)/);
        assert.match(why(" 2"), /has spaces around it \(write 2\)/);
        for (const v of ["1.5", "1e3", "0x10", "two"]) assert.match(why(v), /is not a whole number in plain digits/);
    });

    it("reads an empty value as unset, with a warning where the key has a default of its own", () => {
        const { problems, warnings } = outcome({ imageRegistry: "", coupling: "", maxLines: "", pullRegistry: "", namespace: "", images: "" });
        assert.deepEqual(problems, []);
        assert.deepEqual(warnings, [
            "coupling: \"\" means unset, so the default \"pod\" applies (`pulumi config rm coupling` unsets it without this warning)",
            "imageRegistry: \"\" means unset, so the default \"localhost:5001\" applies (`pulumi config rm imageRegistry` unsets it without this warning)",
            "maxLines: \"\" means unset, so the default 10000 applies (`pulumi config rm maxLines` unsets it without this warning)",
        ]);
        const config = parse({ imageRegistry: "", pullRegistry: "" });
        assert.equal(config.imageRegistry, "localhost:5001");
        assert.equal(config.pullRegistry, undefined);
        // what Pulumi hands the program for keys declared with an empty default: no warning
        assert.deepEqual(outcome({ pullRegistry: "", registryUsername: "", context: "", renderYamlTo: "", clusters: "{}" }).warnings, []);
    });

    it("refuses the namespaces Kubernetes owns, saying why", () => {
        for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
            assert.match(problemsOf({ namespace: ns })[0], /is a namespace Kubernetes owns/);
        }
    });

    it("render mode needs prebuilt images and says so", () => {
        const [line] = problemsOf({ renderYamlTo: "out" });
        assert.match(line, /^renderYamlTo: "out" is not allowed \(it builds and pushes nothing.*set images .* or imagesFromStack/);
        assert.doesNotThrow(() => parse({ renderYamlTo: "out", images: { generator: `r/g@sha256:${HEX64}`, echo: `r/e@sha256:${HEX64}` } }));
    });

    it("keeps keys the coupling does not use, validated, with one warning per key saying why and who uses them", () => {
        const images = { generator: `r/g@sha256:${HEX64}`, echo: `r/e@sha256:${HEX64}`, app: `r/a@sha256:${HEX64}` };
        assert.deepEqual(outcome({ coupling: "container", images, resources: { generator: { limits: { cpu: "1" } }, echo: { limits: { cpu: "1" } } } }), {
            problems: [],
            warnings: [
                "images: images.generator, images.echo not used by coupling container (it runs app); kept for pod, volume, service, clusters",
                "resources: resources.generator, resources.echo not used by coupling container (it runs app); kept for pod, volume, service, clusters",
            ],
        });
        assert.deepEqual(outcome({ coupling: "pod", images, echoReplicas: "3", storage: { size: "5Gi", accessMode: "ReadWriteOnce" }, clusters: TWO }).warnings, [
            "images: images.app not used by coupling pod (it runs generator and echo); kept for container",
            "echoReplicas: \"3\" not used by coupling pod (echo is not a Deployment of its own there); kept for volume, service, clusters",
            // accessMode is the default: not said to be unused
            "storage: storage.size not used by coupling pod (no claim is created); kept for volume",
            "clusters: clusters.generator, clusters.echo not used by coupling pod (it deploys to one cluster); kept for clusters",
        ]);
        assert.equal(parse({ coupling: "clusters", clusters: TWO, context: "kind-app-coupling" }).context, undefined);
        assert.deepEqual(outcome({ coupling: "clusters", clusters: TWO, context: "kind-app-coupling" }).warnings, [
            "context: \"kind-app-coupling\" not used by coupling clusters (each side names its own: clusters.generator.context, clusters.echo.context); kept for container, pod, volume, service",
        ]);
        // what is kept is validated like a used value
        assert.match(problemsOf({ coupling: "pod", storage: { size: "500m" } })[0], /^storage\.size: "500m"/);
        assert.match(problemsOf({ coupling: "container", resources: { generator: { limits: { memory: "1m" } } } })[0], /^resources\.generator\.limits\.memory: "1m"/);
        assert.match(problemsOf({ coupling: "pod", clusters: { ...TWO, generatorUrl: "http://x/data" } })[0], /^clusters\.generatorUrl: /);
    });

    it("follows CONFIG's usedBy for every coupling-specific key or field: where unused, kept with one warning naming it", () => {
        const ref = (n: string) => `r/${n}@sha256:${HEX64}`;
        const images = { generator: ref("g"), echo: ref("e"), app: ref("a") };
        // a valid value, other than the default, for each; adding a coupling-specific key to CONFIG means adding it here
        const samples: Record<string, Record<string, unknown>> = {
            "images.generator": { images }, "images.echo": { images }, "images.app": { images },
            context: { context: "kind-x" },
            echoReplicas: { echoReplicas: "3" },
            storage: { storage: { size: "5Gi", retainOnDelete: true } },
            clusters: { clusters: TWO },
            ...Object.fromEntries(["generator", "echo", "adapter", "app"].map((c) => [`resources.${c}`, { resources: { [c]: { limits: { cpu: "1" } } } }])),
        };
        const specific = couplingSpecific(CONFIG);
        assert.deepEqual(specific.map(([p]) => p).sort(), Object.keys(samples).sort());
        for (const [path, field] of specific) {
            for (const coupling of COUPLINGS) {
                const { problems, warnings } = outcome({ ...(coupling === "clusters" ? { clusters: TWO } : {}), ...samples[path], coupling });
                const where = `${path} with coupling ${coupling}:\n${[...problems, ...warnings].join("\n")}`;
                const mine = warnings.filter((w) => w.startsWith(`${path.split(".")[0]}: `) && w.includes(path));
                assert.deepEqual(problems, [], where);
                assert.equal(mine.length, field.usedBy!.includes(coupling) ? 0 : 1, where);
            }
        }
    });

    it("request above limit names the value the user set, request or limit", () => {
        assert.match(problemsOf({ resources: { generator: { requests: { memory: "64Mi" } } } })[0],
            /^resources\.generator\.requests\.memory: "64Mi" .*at most the limit \(32Mi, the default\)/);
        assert.match(problemsOf({ resources: { generator: { limits: { memory: "8Mi" } } } })[0],
            /^resources\.generator\.limits\.memory: "8Mi" .*at least the request \(16Mi, the default\)/);
        assert.match(problemsOf({ resources: { echo: { requests: { cpu: "1" }, limits: { cpu: "500m" } } } })[0],
            /^resources\.echo\.requests\.cpu: "1" .*at most the limit \(500m\)/);
        // exact arithmetic: 1Gi = 1073741824 is not above 1073741824
        assert.doesNotThrow(() => parse({ resources: { echo: { requests: { memory: "1Gi" }, limits: { memory: "1073741824" } } } }));
        assert.equal(problemsOf({ resources: { echo: { requests: { memory: "1073741825" }, limits: { memory: "1Gi" } } } }).length, 1);
    });

    it("one problem gives one message: a bad value is not also reported as unused or out of range", () => {
        assert.equal(problemsOf({ coupling: "pod", echoReplicas: "0" }).length, 1);
        assert.equal(problemsOf({ coupling: "pod", echoReplicas: "lots" }).length, 1);
        assert.equal(problemsOf({ coupling: "container", resources: { generator: { limits: { memory: "1m" } } } }).length, 1);
        assert.equal(problemsOf({ coupling: "pod", clusters: { generator: "kind-a" } }).length, 1);
    });

    it("the interval's grammar is generator.sh's own: the script accepts what config accepts (ranges aside) and refuses what it refuses", function () {
        const script = path.join(__dirname, "..", "images", "generator", "generator.sh");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "interval-"));
        try {
            const interval = CASES.find((c) => c.key === "generatorIntervalSeconds")!;
            // generator.sh --check exits 2 for an invalid INTERVAL_SECONDS, else 1 here (no data file yet)
            const run = (v: string) => spawnSync("sh", [script, "--check"], { env: { PATH: process.env.PATH, DATA_DIR: dir, INTERVAL_SECONDS: v } }).status;
            for (const v of interval.good as string[]) {
                assert.equal(run(v), 1, `generator.sh refuses ${v}, which config accepts`);
                assert.equal(run(parse({ generatorIntervalSeconds: v }).generatorInterval), 1, `generator.sh refuses what config passes on for ${v}`);
            }
            const rangeOnly = ["0.05", "0.09999", "3601", "3600.5"];
            for (const v of (interval.bad as string[]).filter((b) => !rangeOnly.includes(b) && b.trim() !== "" && !/\s/.test(b))) {
                assert.equal(run(v), 2, `generator.sh accepts ${JSON.stringify(v)}, which config refuses for its grammar`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("registry credentials go to the registry host the docker CLI would use", () => {
        const auth = (imageRegistry: string) => parse({ imageRegistry, registryUsername: "u", registryPassword: "p" }, ["registryPassword"]).registryAuth?.server;
        assert.equal(auth("ghcr.io/acme"), "ghcr.io");
        assert.equal(auth("localhost:5001"), "localhost:5001");
        assert.equal(auth("acme"), "docker.io");
    });

    it("a config error is a pulumi.RunError (the CLI prints its message alone) listing every problem", () => {
        try {
            parse({ coupling: "volume", maxLines: "-5", serviceType: "Nope", storage: { accessMode: "RWO" }, namespace: "default" });
            assert.fail("no error");
        } catch (err) {
            assert.ok(err instanceof pulumi.RunError, "not a RunError");
            assert.ok(pulumi.RunError.isInstance(err));
            const e = err as ConfigError;
            assert.deepEqual(e.problems.map((p) => p.split(":")[0]), ["namespace", "maxLines", "serviceType", "storage.accessMode"]);
            for (const p of e.problems) assert.ok(e.message.includes(p));
        }
    });
});
