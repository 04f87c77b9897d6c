// The stack outputs as Pulumi's Node.js runtime registers them: the program's entry point
// (index.ts, which exports a function) run in the runtime's own Stack (runInPulumiStack, as
// `pulumi up` runs it), which warns "Undefined value (x) will not show as a stack output" for
// every exported value that is undefined. Each coupling must export exactly its documented
// outputs, and no such warning.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { loadConfig } from "../components/config";
import { deployStack } from "../components/program";
import program from "../index";
import { minimalConfig, PROJECT, TWO_CLUSTERS } from "./harness";

const ALWAYS = ["builtImages", "coupling", "endpoint", "images", "namespace", "portForward"];
const CLAIM = { name: "app-coupling-test-data", namespace: "app-coupling-test", accessMode: "ReadWriteOnce", storageClass: null, size: "1Gi" };

/** Runs the program as index.ts does, in Pulumi's Stack; returns the outputs and the runtime's warnings. */
async function runAsPulumiDoes(values: Record<string, unknown>, previous: Record<string, unknown>, exported: "present" | "all" = "present") {
    await pulumi.runtime.setMocks({
        newResource: (a) => ({
            id: `${a.name}-id`,
            state: a.type === "pulumi:pulumi:StackReference" ? { ...a.inputs, outputs: previous, secretOutputNames: [] } : a.inputs,
        }),
        call: (a) => a.inputs,
    }, PROJECT, "test", false);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, typeof v === "string" ? v : JSON.stringify(v)])));
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" ")); // where the runtime logs without an engine
    try {
        // (index.ts's loadConfig() takes the machine's architecture, which only the images' platform depends on)
        const outputs = await runInPulumiStack(async () => exported === "present" ? program() : deployStack(loadConfig({ hostArch: "x64" })));
        return { keys: Object.keys(outputs ?? {}).sort(), warnings };
    } finally {
        console.warn = warn;
        await pulumi.runtime.disconnect();
    }
}

describe("stack outputs as Pulumi registers them", function () {
    this.timeout(60_000);
    const cases: { what: string; values: Record<string, unknown>; previous?: Record<string, unknown>; more: string[] }[] = [
        { what: "container", values: minimalConfig("container"), more: [] },
        { what: "pod", values: minimalConfig("pod"), more: [] },
        { what: "volume", values: minimalConfig("volume"), more: ["claim"] },
        { what: "service", values: minimalConfig("service"), more: [] },
        // (this mock gives no load-balancer address: the generator's URL is given)
        { what: "clusters", values: { coupling: "clusters", clusters: { ...TWO_CLUSTERS, generatorUrl: "http://198.51.100.7:8080" } }, more: ["generatorUrl"] },
        { what: "pod exposed by a NodePort", values: { ...minimalConfig("pod"), serviceType: "NodePort" }, more: ["externalUrl"] },
        { what: "pod with retainOnDelete, never on volume", values: { ...minimalConfig("pod"), storage: { retainOnDelete: true } }, more: [] },
        {
            what: "pod with retainOnDelete after volume (the retained claim is remembered)",
            values: { ...minimalConfig("pod"), storage: { retainOnDelete: true } }, previous: { claim: CLAIM }, more: ["claim"],
        },
    ];
    for (const c of cases) {
        it(`${c.what}: ${[...ALWAYS, ...c.more].join(", ")}, and no warning about an undefined output`, async () => {
            const run = await runAsPulumiDoes(c.values, c.previous ?? {});
            assert.deepEqual(run.warnings.filter((w) => /Undefined value/.test(w)), []);
            assert.deepEqual(run.keys, [...ALWAYS, ...c.more].sort());
        });
    }

    it("the check sees the warning: exporting every field, undefined ones too, makes the runtime warn", async () => {
        const run = await runAsPulumiDoes({ ...minimalConfig("pod"), storage: { retainOnDelete: true } }, {}, "all");
        assert.ok(run.warnings.some((w) => w.includes("Undefined value (claim) will not show as a stack output")), run.warnings.join("\n"));
    });
});
