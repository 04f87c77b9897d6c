import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ConfigError, defaultNamespace, parseConfig, quantity } from "../components/config";
import { evaluate, lastRegistered, TWO_CLUSTERS } from "./harness";

const DIGEST = "a".repeat(64);

/** Evaluate and expect a ConfigError naming the key, the value and what is allowed, with nothing registered. */
async function rejects(values: Record<string, unknown>, key: string, value: string, allowed: RegExp,
    opts: Parameters<typeof evaluate>[1] = {}) {
    await assert.rejects(evaluate(values, opts), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        const line = err.problems.find((p) => p.startsWith(`${key}:`));
        assert.ok(line, `no problem reported for ${key}; got:\n${err.message}`);
        assert.ok(line.includes(value), `message does not show the value ${value}: ${line}`);
        assert.match(line, allowed);
        return true;
    });
    assert.deepEqual(lastRegistered, [], "resources were registered despite invalid config");
}

describe("config: every invalid value fails before anything is created", () => {
    const cases: [string, Record<string, unknown>, string, string, RegExp, Parameters<typeof evaluate>[1]?][] = [
        ["unknown coupling", { coupling: "sidecar" }, "coupling", "sidecar", /container, pod, volume, service, clusters/],
        ["negative interval", { generatorIntervalSeconds: "-1" }, "generatorIntervalSeconds", "-1", /plain decimal number of seconds/],
        ["zero interval", { generatorIntervalSeconds: "0" }, "generatorIntervalSeconds", "\"0\"", /plain decimal number of seconds/],
        ["non-numeric interval", { generatorIntervalSeconds: "soon" }, "generatorIntervalSeconds", "soon", /plain decimal number of seconds/],
        ["fractional maxLines", { maxLines: "1.5" }, "maxLines", "1.5", /a whole number from 1/],
        ["zero maxLines", { maxLines: "0" }, "maxLines", "\"0\"", /a whole number from 1/],
        ["zero echoReplicas", { coupling: "volume", echoReplicas: "0" }, "echoReplicas", "\"0\"", /a whole number from 1/],
        ["a bad echoReplicas where echo is not its own workload", { coupling: "pod", echoReplicas: "0" }, "echoReplicas", "\"0\"", /a whole number from 1/],
        ["identical contexts where clusters is kept for a later switch", { coupling: "pod", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-a" } } },
            "clusters.echo.context", "kind-a", /a different cluster/],
        ["bad service type", { serviceType: "Ingress" }, "serviceType", "Ingress", /ClusterIP, NodePort, LoadBalancer/],
        ["bad access mode", { coupling: "volume", storage: { accessMode: "ReadOnlyMany" } }, "storage.accessMode", "ReadOnlyMany", /ReadWriteOnce, ReadWriteMany/],
        ["bad storage size", { coupling: "volume", storage: { size: "lots" } }, "storage.size", "lots", /quantity/],
        ["unknown storage field", { coupling: "volume", storage: { sise: "1Gi" } }, "storage.sise", "1Gi", /size, storageClass, accessMode, retainOnDelete/],
        ["missing clusters block", { coupling: "clusters" }, "clusters", "(unset)", /clusters\.generator\.context/],
        ["missing echo cluster", { coupling: "clusters", clusters: { generator: { context: "kind-a" } } }, "clusters.echo", "(unset)", /kube context/],
        ["identical contexts", { coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-a" } } },
            "clusters.echo.context", "kind-a", /a different cluster/],
        ["clusters rendered without generatorUrl", { coupling: "clusters", clusters: TWO_CLUSTERS, renderYamlTo: "out" },
            "clusters.generatorUrl", "(unset)", /renderYamlTo/],
        ["generatorUrl with a path", { coupling: "clusters", clusters: { ...TWO_CLUSTERS, generatorUrl: "http://x:8080/data" } },
            "clusters.generatorUrl", "http://x:8080/data", /base URL/],
        ["a bad CIDR in clusters.allowFrom", { coupling: "clusters", clusters: { ...TWO_CLUSTERS, allowFrom: ["10.0.0.0/33"] } },
            "clusters.allowFrom[0]", "10.0.0.0/33", /a non-empty list of CIDRs/],
        ["an empty clusters.allowFrom", { coupling: "clusters", clusters: { ...TWO_CLUSTERS, allowFrom: [] } },
            "clusters.allowFrom", "[]", /a non-empty list of CIDRs/],
        ["tag-only prebuilt image", { images: { generator: "reg/gen:1.0", echo: `reg/echo@sha256:${DIGEST}` } },
            "images.generator", "reg/gen:1.0", /digest-pinned/],
        ["prebuilt images missing one the coupling runs", { coupling: "container", images: { generator: `reg/gen@sha256:${DIGEST}` } },
            "images", "generator", /lacks app/],
        ["unknown platform", { platform: "linux/s390x" }, "platform", "linux/s390x", /linux\/amd64, linux\/arm64/],
        ["unsupported host without platform", {}, "platform", "s390x", /explicit platform/, { hostArch: "s390x" }],
        ["bad registry", { imageRegistry: "Registry With Spaces" }, "imageRegistry", "Registry With Spaces", /registry host/],
        ["bad pull registry", { pullRegistry: "Not A Registry" }, "pullRegistry", "Not A Registry", /registry host/],
        ["bad namespace", { namespace: "Bad_Namespace" }, "namespace", "Bad_Namespace", /DNS-1123 label/],
        ["username without password", { registryUsername: "ci" }, "registryUsername/registryPassword", "registryUsername", /expected both or neither/],
        ["plain-text password", { registryUsername: "ci", registryPassword: "hunter2" }, "registryPassword", "(secret, not shown)", /--secret/],
        ["misspelled key", { couplng: "pod" }, "couplng", "pod", /did you mean coupling\?/],
        ["bad resource quantity", { resources: { echo: { limits: { memory: "lots" } } } }, "resources.echo.limits.memory", "lots", /quantity/],
        ["request above its limit", { resources: { generator: { requests: { memory: "64Mi" } } } }, "resources.generator.requests.memory", "64Mi", /at most the limit \(32Mi, the default\)/],
        ["CPU request above a limit in millicores", { resources: { echo: { requests: { cpu: "1" }, limits: { cpu: "500m" } } } }, "resources.echo.requests.cpu", "\"1\"", /at most the limit \(500m\)/],
        ["unknown container in resources", { resources: { sidecar: {} } }, "resources.sidecar", "{}", /generator, echo, adapter, app/],
        ["openshift not a boolean", { openshift: "yes" }, "openshift", "yes", /true or false/],
        ["images as a string", { images: "reg/gen" }, "images", "reg/gen", /an object/],
        ["both images and imagesFromStack", { images: { app: `r/a@sha256:${DIGEST}` }, imagesFromStack: "org/app-coupling/build", coupling: "container" },
            "imagesFromStack", "org/app-coupling/build", /not both/],
    ];
    for (const [title, values, key, value, allowed, opts] of cases) {
        it(`rejects ${title}`, () => rejects(values, key, value, allowed, opts));
    }

    it("records what a valid config registers (so the 'nothing registered' checks above mean something)", async () => {
        await evaluate({ coupling: "pod" });
        assert.ok(lastRegistered.length > 0);
    });

    it("reports every problem at once, one line each", async () => {
        await assert.rejects(evaluate({ coupling: "volume", maxLines: "-5", serviceType: "Nope", storage: { accessMode: "RWO" } }),
            (err: ConfigError) => {
                assert.deepEqual(err.problems.map((p) => p.split(":")[0]), ["maxLines", "serviceType", "storage.accessMode"]);
                assert.match(err.message, /^invalid stack configuration \(nothing was created\):\n {2}- /);
                return true;
            });
    });

    it("throws a pulumi.RunError from loadConfig, so the CLI shows the message without a stack trace", async () => {
        await assert.rejects(evaluate({ coupling: "nope", namespace: "kube-system" }), (err: unknown) => {
            assert.ok(pulumi.RunError.isInstance(err), `not a RunError: ${err}`);
            assert.deepEqual((err as ConfigError).problems.map((p) => p.split(":")[0]), ["coupling", "namespace"]);
            return true;
        });
        assert.deepEqual(lastRegistered, []);
    });

    it("never shows the password in an error", async () => {
        await assert.rejects(evaluate({ registryUsername: "ci", registryPassword: "hunter2", coupling: "nope" }),
            (err: Error) => !err.message.includes("hunter2"));
    });
});

describe("config: defaults and accepted values", () => {
    it("applies the documented defaults", async () => {
        const { config } = await evaluate({}, { stack: "dev" });
        assert.equal(config.coupling, "pod");
        assert.equal(config.imageRegistry, "localhost:5001");
        assert.equal(config.namespace, "app-coupling-dev");
        assert.equal(config.platform, "linux/amd64");
        assert.equal(config.echoReplicas, 1);
        assert.equal(config.generatorIntervalSeconds, 2);
        assert.equal(config.maxLines, 10000);
        assert.equal(config.serviceType, "ClusterIP");
        assert.deepEqual(config.storage, { size: "1Gi", storageClass: undefined, accessMode: "ReadWriteOnce", retainOnDelete: false });
        assert.equal(config.openshift, false);
        assert.equal(config.registryAuth, undefined);
    });

    it("treats the empty defaults Pulumi.yaml declares exactly like unset keys", async () => {
        const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
        const declared: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries<{ default: unknown; type: string; description: string }>(project.config)) {
            assert.ok(schema.description && "default" in schema, `${key} lacks a default or description`);
            // objects are untyped on purpose (see Pulumi.yaml); everything else is typed
            const isObject = typeof schema.default === "object";
            assert.equal(schema.type, isObject ? undefined : schema.type ?? "(missing)", key);
            if (!isObject) assert.ok(["string", "integer", "boolean"].includes(schema.type), `${key}: type ${schema.type}`);
            declared[key] = typeof schema.default === "string" ? schema.default : JSON.stringify(schema.default);
        }
        const withDefaults = await evaluate(declared, { stack: "dev" });
        const without = await evaluate({}, { stack: "dev" });
        assert.deepEqual(withDefaults.config, without.config);
    });

    it("accepts fractions for the interval and objects set with --path", async () => {
        const { config } = await evaluate({
            coupling: "volume", generatorIntervalSeconds: "0.5", echoReplicas: "3",
            storage: { size: "5Gi", storageClass: "fast-ssd", accessMode: "ReadWriteMany", retainOnDelete: true },
        });
        assert.equal(config.generatorIntervalSeconds, 0.5);
        assert.equal(config.echoReplicas, 3);
        assert.deepEqual(config.storage, { size: "5Gi", storageClass: "fast-ssd", accessMode: "ReadWriteMany", retainOnDelete: true });
    });

    it("passes the interval to the generator container as the plain decimal written", async () => {
        for (const [given, env] of [["0.5", "0.5"], ["3600.000", "3600"], ["0.1", "0.1"], ["007", "7"], ["2.50", "2.5"]]) {
            const e = await evaluate({ coupling: "pod", generatorIntervalSeconds: given });
            const gen = e.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs.spec.template.spec.containers
                .find((c: { name: string }) => c.name === "generator");
            const value = gen.env.find((v: { name: string }) => v.name === "INTERVAL_SECONDS").value;
            assert.equal(value, env, `${given}: INTERVAL_SECONDS=${value}`);
        }
    });

    it("defaults the platform to the deploying machine's architecture; an explicit one wins", async () => {
        assert.equal((await evaluate({}, { hostArch: "arm64" })).config.platform, "linux/arm64");
        assert.equal((await evaluate({}, { hostArch: "x64" })).config.platform, "linux/amd64");
        assert.equal((await evaluate({ platform: "linux/amd64" }, { hostArch: "arm64" })).config.platform, "linux/amd64");
    });

    it("compares Kubernetes quantities across suffixes", () => {
        assert.equal(quantity("500m"), 0.5);
        assert.equal(quantity("1.5"), 1.5);
        assert.equal(quantity("64Mi"), 64 * 2 ** 20);
        assert.ok(quantity("1G") < quantity("1Gi"));
    });

    it("makes a valid namespace from any stack name", () => {
        assert.equal(defaultNamespace({ project: "app-coupling", stack: "Feature_X.2" }), "app-coupling-feature-x-2");
    });

    it("wraps registry credentials' password in a Pulumi secret", async () => {
        const config = parseConfig({
            keys: () => ["registryUsername", "registryPassword"],
            get: (k) => ({ registryUsername: "ci", registryPassword: "hunter2" } as Record<string, string>)[k],
            isSecret: (k) => k === "registryPassword",
        }, { project: "app-coupling", stack: "t", hostArch: "x64" });
        assert.equal(config.registryAuth?.server, "localhost:5001");
        assert.equal(await pulumi.isSecret(config.registryAuth!.password), true);
    });
});
