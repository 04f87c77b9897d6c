// The values config-values.spec.ts tries for every key (bad, edge-case and valid), shared
// with config-oracle.spec.ts, which gives the same values to the consumers' own parsers.
import { strict as assert } from "assert";
import { AppConfig } from "../components/config";

export const HEX64 = "a".repeat(64);
export const TWO = { generator: { context: "kind-a" }, echo: { context: "kind-b" } };

export interface KeyCases {
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
            "ghcr.io/.acme", "ghcr.io/acme-", `ghcr.io/${"x".repeat(240)}`, "localhost:", "ghcr.io/ac me"],
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
        // kept where echo is not its own workload (for a later switch), still validated; one echo runs
        key: "echoReplicas", base: { coupling: "pod" }, set: (v) => ({ echoReplicas: v }),
        bad: ["0", "two", "2147483648"],
        good: ["1", "2", "3"],
        check: (c) => assert.equal(c.echoReplicas, 1),
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
        bad: ["lots", "0", "0Gi", "-1Gi", "1m", "500m", "1500m", "1.5n", "1u", "1e-3", "1GB", "1gi", "1 Gi", ".Gi", "1Gi ", "+0", "0.5", "1e999", "9223372036854775808", "8Ei", "", 0, -1, 0.5, true],
        good: ["1Gi", "500Mi", "10G", "1.5Gi", "1e9", "0.5Gi", "1024", "+1Gi", "1.5Ki", 1073741824, "9223372036854775807", "1E"],
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
        key: "storage.claimName", base: { coupling: "volume" }, set: field("storage", "claimName"),
        bad: ["Data", "data_rwx", "data.rwx", "-data", "x".repeat(64), ""],
        good: ["data-rwx", "app-coupling-prod-data", "x".repeat(63)],
        check: (c, v) => assert.equal(c.storage.claimName, v),
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
        // kept where unused (for a later switch to clusters), still validated
        key: "clusters", base: { coupling: "pod" }, set: (v) => ({ clusters: v }),
        bad: ["kind-a", "[1]"], good: [TWO, {}, { generator: { context: "kind-a" } }, { ...TWO, generatorUrl: "http://203.0.113.7:8080", allowFrom: ["10.0.0.0/8"] }],
        check: (c) => assert.equal(c.clusters, undefined),
    },
    {
        key: "clusters.generator", base: { coupling: "pod" }, set: (v) => ({ clusters: { generator: v, echo: { context: "kind-b" } } }),
        bad: ["kind-a", 3], good: [{ context: "kind-a" }],
    },
    {
        key: "clusters.echo.context", base: { coupling: "volume" }, set: (v) => ({ clusters: { generator: { context: "kind-a" }, echo: { context: v } } }),
        bad: ["kind-a", ""], good: ["kind-b"],
    },
    {
        key: "clusters.allowFrom[0]", base: { coupling: "service" }, set: (v) => ({ clusters: { ...TWO, allowFrom: [v] } }),
        bad: ["10.0.0.0/33"], good: ["10.0.0.0/8"],
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
        // kept for a container the coupling does not run (a later switch runs it), still validated
        key: "resources.app.limits.cpu", base: { coupling: "pod" }, set: field("resources", "app", "limits", "cpu"), bad: ["lots", "0.5m"], good: ["1"],
        check: (c, v) => assert.equal(c.resources.app.limits.cpu, v),
    },
    {
        key: "resources.adapter.requests.memory", base: { coupling: "volume" }, set: field("resources", "adapter", "requests", "memory"), bad: ["1Gi", "64mi"], good: ["64Mi"],
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
        bad: ["r/a:1.0"], good: [`r/a@sha256:${HEX64}`],
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

