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
import { AppConfig, ConfigError, parseConfig } from "../components/config";

const HEX64 = "a".repeat(64);
const TWO = { generator: { context: "kind-a" }, echo: { context: "kind-b" } };

/** parseConfig over `values` as Pulumi hands them (strings; objects as JSON). */
export function parse(values: Record<string, unknown>, secretKeys: string[] = []): AppConfig {
    const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    return parseConfig({
        keys: () => Object.keys(values),
        get: (k) => (values[k] === undefined ? undefined : str(values[k])),
        isSecret: (k) => secretKeys.includes(k),
    }, { project: "app-coupling", stack: "test", hostArch: "x64" });
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

interface KeyCases {
    /** The key (dotted for a field) the message must name. */
    key: string;
    /** Config around the value (coupling etc.). */
    base?: Record<string, unknown>;
    /** Builds the config from one value. */
    set: (v: unknown) => Record<string, unknown>;
    bad: unknown[];
    good: unknown[];
    /** What a good value must become. */
    check?: (config: AppConfig, v: unknown) => void;
}

const field = (top: string, ...rest: string[]) => (v: unknown) => {
    const obj: Record<string, unknown> = {};
    let node = obj;
    for (const k of rest.slice(0, -1)) node = (node[k] = {}) as Record<string, unknown>;
    node[rest[rest.length - 1]] = v;
    return { [top]: obj };
};

/** The values each key is tried with. Exported: the closing note counts them. */
export const CASES: KeyCases[] = [
    {
        key: "coupling", set: (v) => ({ coupling: v }),
        bad: ["sidecar", "Pod", " pod", "pods", "POD", "clusters "],
        good: ["container", "pod", "volume", "service"],
    },
    {
        key: "imageRegistry", set: (v) => ({ imageRegistry: v }),
        bad: ["Registry With Spaces", "localhost:5001/Team", "localhost:0", "localhost:70000", "-bad.example.com", "bad_host.com:5000/x",
            "ghcr.io/acme/", "ghcr.io//acme", "ghcr.io/acme:tag", "https://ghcr.io", `ghcr.io/acme@sha256:${HEX64}`, "ghcr.io/a___b",
            "ghcr.io/.acme", "ghcr.io/acme-", `${"x".repeat(240)}.io`, "localhost:", "ghcr.io/ac me"],
        good: ["localhost:5001", "ghcr.io/acme", "registry.example.com:443/platform/team", "[::1]:5000", "192.168.1.10:5000/x", "acme",
            "my-registry.local/a.b_c__d--e", "REGISTRY.example.com/acme", "localhost"],
    },
    {
        key: "pullRegistry", set: (v) => ({ pullRegistry: v }),
        bad: ["Not A Registry", "image-registry.svc:5000/My-Project", "image-registry.svc:65536/p", "image-registry.svc:5000/p/"],
        good: ["image-registry.openshift-image-registry.svc:5000/app-coupling-images", "mirror.example.com/team"],
    },
    {
        key: "registryUsername", base: { registryPassword: "x" }, set: (v) => ({ registryUsername: v }),
        bad: ["ci:bot", "ci bot"],
        good: ["ci", "robot$team+x", "user@example.com"],
    },
    {
        key: "images.generator", base: { coupling: "pod" }, set: (v) => ({ images: { generator: v, echo: `reg/echo@sha256:${HEX64}` } }),
        bad: ["reg/gen:1.0", "reg/gen", `reg/Gen@sha256:${HEX64}`, `reg/gen@sha256:${"a".repeat(63)}`, `reg/gen@sha256:${"A".repeat(64)}`,
            `reg/gen@md5:${"a".repeat(32)}`, `localhost:99999/gen@sha256:${HEX64}`, `reg/gen @sha256:${HEX64}`, `@sha256:${HEX64}`,
            `reg//gen@sha256:${HEX64}`, `reg/gen:@sha256:${HEX64}`, `reg/gen:-tag@sha256:${HEX64}`, `${"a".repeat(256)}@sha256:${HEX64}`, 7],
        good: [`reg/gen@sha256:${HEX64}`, `localhost:5001/app-coupling-generator:amd64-abc@sha256:${HEX64}`,
            `ghcr.io/acme/gen@sha512:${"b".repeat(128)}`, `[::1]:5000/gen@sha256:${HEX64}`, `gen@sha256:${HEX64}`],
        check: (c, v) => assert.equal(c.prebuiltImages?.generator, v),
    },
    {
        key: "imagesFromStack", set: (v) => ({ imagesFromStack: v }),
        bad: ["a/b/c/d", "org/app coupling/stack", "/stack", "org//stack", "stack/"],
        good: ["staging", "app-coupling/staging", "acme/app-coupling/staging", "my_org/app.coupling/stg-1"],
        check: (c, v) => assert.equal(c.imagesFromStack, v),
    },
    {
        key: "platform", set: (v) => ({ platform: v }),
        bad: ["linux/s390x", "amd64", "Linux/amd64", "linux/arm64/v8", "windows/amd64"],
        good: ["linux/amd64", "linux/arm64"],
    },
    {
        key: "namespace", set: (v) => ({ namespace: v }),
        bad: ["Bad_Namespace", "my.namespace", "-ns", "ns-", "a".repeat(64), "UPPER", "name space",
            "default", "kube-system", "kube-public", "kube-node-lease", "kube-mine"],
        good: ["a", "a".repeat(63), "team-1", "0abc", "app-coupling-prod"],
        check: (c, v) => assert.equal(c.namespace, v),
    },
    {
        key: "context", base: { coupling: "clusters", clusters: TWO }, set: (v) => ({ context: v }),
        bad: [],
        good: ["kind-x"],
        check: (c) => assert.equal(c.context, undefined),
    },
    {
        key: "context", set: (v) => ({ context: v }),
        bad: [],
        good: ["kind-app-coupling", "arn:aws:eks:us-east-1:123456789012:cluster/x", "gke_project_zone_name"],
        check: (c, v) => assert.equal(c.context, v),
    },
    {
        key: "echoReplicas", base: { coupling: "volume" }, set: (v) => ({ echoReplicas: v }),
        bad: ["0", "-1", "1.5", "1e3", "0x10", " 2", "2 ", "2147483648", "99999999999999999999", "two", "+2", "3.0"],
        good: ["1", "3", "2147483647"],
        check: (c, v) => assert.equal(c.echoReplicas, Number(v)),
    },
    {
        key: "echoReplicas", base: { coupling: "pod" }, set: (v) => ({ echoReplicas: v }),
        bad: ["2", "3"],
        good: ["1"],
    },
    {
        key: "generatorIntervalSeconds", set: (v) => ({ generatorIntervalSeconds: v }),
        bad: ["0", "-1", "soon", "1e-7", "1e+21", "1e3", "+2", " 2", "2 ", ".", "0.0", "00", "0.05", "0.09999", "3601", "3600.5", "1,5",
            "Infinity", "NaN", "0x10", "1.2.3", "2s", "1_000"],
        good: ["2", "0.5", "0.1", "3600", "1.25", ".5", "5.", "007", "2.50", "0.100", "3600.000"],
        check: (c, v) => {
            // what INTERVAL_SECONDS gets: a plain decimal generator.sh accepts, equal to the value written
            assert.match(c.generatorInterval, /^[0-9]+(\.[0-9]+)?$/);
            assert.equal(Number(c.generatorInterval), Number(v));
            assert.equal(String(c.generatorIntervalSeconds), c.generatorInterval);
        },
    },
    {
        key: "maxLines", set: (v) => ({ maxLines: v }),
        bad: ["0", "1.5", "-5", "1e4", "10000001", "lots", "0x10", " 1"],
        good: ["1", "10000", "10000000"],
        check: (c, v) => assert.equal(c.maxLines, Number(v)),
    },
    {
        key: "serviceType", set: (v) => ({ serviceType: v }),
        bad: ["Ingress", "clusterip", "ExternalName", "LoadBalancer "],
        good: ["ClusterIP", "NodePort", "LoadBalancer"],
    },
    {
        key: "storage.size", base: { coupling: "volume" }, set: field("storage", "size"),
        bad: ["lots", "0", "0Gi", "-1Gi", "1m", "500m", "1500m", "1.5n", "1u", "1e-3", "1GB", "1gi", "1 Gi", ".Gi", "1Gi ", "+0", "0.5", "1e999", "", 0, -1, 0.5, true],
        good: ["1Gi", "500Mi", "10G", "1.5Gi", "1e9", "0.5Gi", "1024", "+1Gi", "1.5Ki", 1073741824],
        check: (c, v) => assert.equal(c.storage.size, String(v)),
    },
    {
        key: "storage.storageClass", base: { coupling: "volume" }, set: field("storage", "storageClass"),
        bad: ["Fast_SSD", "fast ssd", "-fast", "fast.", "a..b", "x".repeat(254), "UPPER", ".fast"],
        good: ["standard", "fast-ssd", "ebs.csi.aws.com", "gp3", "x".repeat(253)],
        check: (c, v) => assert.equal(c.storage.storageClass, v),
    },
    {
        key: "storage.accessMode", base: { coupling: "volume" }, set: field("storage", "accessMode"),
        bad: ["ReadOnlyMany", "RWO", "readwriteonce", "ReadWriteOncePod"],
        good: ["ReadWriteOnce", "ReadWriteMany"],
        check: (c, v) => assert.equal(c.storage.accessMode, v),
    },
    {
        key: "storage.retainOnDelete", base: { coupling: "volume" }, set: field("storage", "retainOnDelete"),
        bad: ["yes", "1", "True", 1],
        good: [true, false, "true", "false"],
        check: (c, v) => assert.equal(c.storage.retainOnDelete, v === true || v === "true"),
    },
    {
        key: "storage.sise", base: { coupling: "volume" }, set: field("storage", "sise"),
        bad: ["1Gi"], good: [],
    },
    {
        key: "storage", base: { coupling: "volume" }, set: (v) => ({ storage: v }),
        bad: ["1Gi", "[1]"], good: [{}],
    },
    {
        key: "clusters", base: { coupling: "pod" }, set: (v) => ({ clusters: v }),
        bad: [TWO], good: [{}],
    },
    {
        key: "clusters.generator", base: { coupling: "clusters" }, set: (v) => ({ clusters: { generator: v, echo: { context: "kind-b" } } }),
        bad: [undefined, "kind-a"], good: [{ context: "kind-a" }, { context: "kind-a", kubeconfig: "/tmp/a.yaml" }],
    },
    {
        key: "clusters.generator.context", base: { coupling: "clusters" }, set: (v) => ({ clusters: { generator: { context: v }, echo: { context: "kind-b" } } }),
        bad: ["", 3],
        good: ["kind-a", "arn:aws:eks:eu-west-1:1:cluster/a"],
    },
    {
        key: "clusters.generator.contxt", base: { coupling: "clusters" }, set: (v) => ({ clusters: { generator: { context: "kind-a", contxt: v }, echo: { context: "kind-b" } } }),
        bad: ["kind-a"], good: [],
    },
    {
        key: "clusters.echo.context", base: { coupling: "clusters" }, set: (v) => ({ clusters: { generator: { context: "kind-a" }, echo: { context: v } } }),
        bad: ["kind-a"], good: ["kind-b"],
    },
    {
        key: "clusters.generatorUrl", base: { coupling: "clusters" }, set: (v) => ({ clusters: { ...TWO, generatorUrl: v } }),
        bad: ["http://x:8080/data", "ftp://x", "x:8080", "http://", "http://user:pw@x", "http://@x", "http://x?a=1", "http://x?", "http://x#f",
            "http://x#", "http://0.0.0.0:8080", "http://0", "http://[::]:8080", "http://x:0", "http://x:65536", "http://x:99999", "http:// x", " http://x", "//x", "http:x", "http:\\\\x", "http://x:", "", 8080],
        good: ["http://203.0.113.7:8080", "HTTP://Gen.Example.com:8080", "https://gen.example.com", "http://[2001:db8::1]:8080",
            "http://x:8080/", "http://x:65535", "http://x:1", "Https://x"],
        check: (c, v) => {
            const url = new URL(String(v));
            assert.equal(c.clusters?.generatorUrl, url.origin);
        },
    },
    {
        key: "clusters.allowFrom[0]", base: { coupling: "clusters" }, set: (v) => ({ clusters: { ...TWO, allowFrom: [v] } }),
        bad: ["10.0.0.0/33", "::/129", "10.0.0.0", "10.0.0/8", "010.0.0.0/8", "10.0.0.0/-1", "10.0.0.0/08", "fe80::1%eth0/64", "10.0.0.0/ 8",
            "300.0.0.0/8", "x/8", "10.0.0.0/8/8", 10],
        good: ["0.0.0.0/0", "198.51.100.0/24", "::/0", "2001:db8::/32", "10.0.0.1/32", "::ffff:10.0.0.0/104", "2001:db8::1/128"],
        check: (c, v) => assert.deepEqual(c.clusters?.allowFrom, [v]),
    },
    {
        key: "clusters.allowFrom", base: { coupling: "clusters" }, set: (v) => ({ clusters: { ...TWO, allowFrom: v } }),
        bad: [[], "10.0.0.0/8"], good: [["10.0.0.0/8", "192.168.0.0/16"]],
    },
    {
        key: "renderYamlTo", set: (v) => ({ renderYamlTo: v }),
        bad: ["out/"], good: [],
    },
    {
        key: "renderYamlTo", base: { imagesFromStack: "acme/app-coupling/staging" }, set: (v) => ({ renderYamlTo: v }),
        bad: [], good: ["out/", "/tmp/rendered"],
        check: (c, v) => assert.equal(c.renderYamlTo, v),
    },
    {
        key: "openshift", set: (v) => ({ openshift: v }),
        bad: ["yes", "1", "TRUE"], good: ["true", "false"],
    },
    {
        key: "resources.echo.limits.cpu", set: (v) => ({ resources: { echo: { requests: { cpu: v }, limits: { cpu: v } } } }),
        bad: ["lots", "0", "-100m", "0.5m", "100u", "1n", "1e-4", "100 m", "1.5.5", "m", "1e3m", "0.0001", "", 0, 0.0005, false],
        good: ["100m", "0.5", "2", "1500m", "0.001", "1e3", "+2", 2, 0.25],
        check: (c, v) => assert.equal(c.resources.echo.limits.cpu, String(v)),
    },
    {
        key: "resources.echo.limits.memory", set: (v) => ({ resources: { echo: { requests: { memory: v }, limits: { memory: v } } } }),
        bad: ["1m", "500m", "64MB", "64mi", "-64Mi", "0", "0Mi", "1.5", "1u", "lots", "64 Mi", "1e-1", "2n", 1.5, 0],
        good: ["64Mi", "128M", "1Gi", "134217728", "1e8", "0.5Gi", "1.5Ki", 134217728],
        check: (c, v) => assert.equal(c.resources.echo.limits.memory, String(v)),
    },
    {
        key: "resources.generator.requests.memory", set: field("resources", "generator", "requests", "memory"),
        bad: ["64Mi", "33Mi", "1Gi"], good: ["32Mi", "16Mi", "33554432"],
    },
    {
        key: "resources.generator.limits.memory", set: field("resources", "generator", "limits", "memory"),
        bad: ["8Mi", "16777215"], good: ["16Mi", "16777216", "1Gi"],
    },
    {
        key: "resources.sidecar", set: field("resources", "sidecar", "limits"), bad: [{}], good: [],
    },
    {
        key: "resources.app", base: { coupling: "pod" }, set: field("resources", "app", "limits", "cpu"), bad: ["1"], good: [],
    },
    {
        key: "resources.adapter", base: { coupling: "volume" }, set: field("resources", "adapter", "limits", "cpu"), bad: ["1"], good: [],
    },
    {
        key: "resources.echo.request", set: field("resources", "echo", "request", "cpu"), bad: ["1"], good: [],
    },
    {
        key: "resources.echo.limits.mem", set: field("resources", "echo", "limits", "mem"), bad: ["64Mi"], good: [],
    },
    {
        key: "resources.echo", set: field("resources", "echo"), bad: ["64Mi", 3], good: [{}],
    },
    {
        key: "images.app", base: { coupling: "pod" },
        set: (v) => ({ images: { generator: `r/g@sha256:${HEX64}`, echo: `r/e@sha256:${HEX64}`, app: v } }),
        bad: [`r/a@sha256:${HEX64}`], good: [],
    },
    {
        key: "images.generatr", base: { coupling: "pod" },
        set: (v) => ({ images: { generator: `r/g@sha256:${HEX64}`, echo: `r/e@sha256:${HEX64}`, generatr: v } }),
        bad: [`r/g@sha256:${HEX64}`], good: [],
    },
    {
        key: "couplng", set: (v) => ({ couplng: v }), bad: ["pod"], good: [],
    },
];

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

    it("refuses keys the coupling does not use, saying which couplings use them and how to remove them", () => {
        const [line] = problemsOf({ coupling: "container", resources: { generator: { limits: { cpu: "1" } } } });
        assert.match(line, /^resources\.generator: .* not used by coupling container, only by couplings that run a container generator \(pod, volume, service, clusters\).*pulumi config rm --path resources\.generator/);
        // storage is the one exception: it also describes the claim a later volume run keeps;
        // it is validated anyway, and a non-default value is said to be unused now
        const warnings: string[] = [];
        parseConfig({ keys: () => ["coupling", "storage"], get: (k) => ({ coupling: "pod", storage: JSON.stringify({ size: "5Gi", accessMode: "ReadWriteOnce" }) } as Record<string, string>)[k], isSecret: () => false },
            { project: "app-coupling", stack: "t", hostArch: "x64" }, warnings);
        assert.deepEqual(warnings, ["storage: storage.size not used by coupling pod (no claim is created); kept for the volume coupling, whose claim it describes"]);
        assert.match(problemsOf({ coupling: "pod", storage: { size: "500m" } })[0], /^storage\.size: "500m"/);
        // so is context with clusters (Pulumi.dev.yaml pins it for the single-cluster couplings)
        const w: string[] = [];
        const c = parseConfig({ keys: () => ["coupling", "clusters", "context"],
            get: (k) => ({ coupling: "clusters", clusters: JSON.stringify(TWO), context: "kind-app-coupling" } as Record<string, string>)[k], isSecret: () => false },
        { project: "app-coupling", stack: "t", hostArch: "x64" }, w);
        assert.equal(c.context, undefined);
        assert.match(w[0], /^context: "kind-app-coupling" not used by coupling clusters/);
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
