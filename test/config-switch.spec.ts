// "One key switches": every stack file, switched to every coupling by `pulumi config set
// coupling X` alone, evaluates (the real program, offline: lib/evaluate.ts), each key the
// new coupling does not use kept with at most one warning; a value that contradicts the
// chosen coupling is still refused, with nothing registered.
import { strict as assert } from "assert";
import { COUPLINGS, ConfigError } from "../components/config";
import { evaluate, Evaluation, lastRegistered, TWO_CLUSTERS } from "../lib/evaluate";
import { StackFile, stackFiles } from "../lib/stacks";

/** Evaluate a stack file with `changes`; an evaluation carries the config warnings it gave (collected by the evaluator, not printed). */
async function switched(stack: StackFile, changes: Record<string, unknown>): Promise<{ e?: Evaluation; error?: unknown }> {
    try {
        return {
            e: await evaluate({ ...stack.values, ...changes },
                { stack: stack.stack, secretKeys: stack.secretKeys, stackOutputs: stack.stackOutputs, placeholders: stack.placeholders }),
        };
    } catch (error) {
        return { error };
    }
}

/** The keys warned about, each once at most; only keys the stack (or the change) sets. */
function assertOneWarningPerKeptKey(warnings: string[], set: Record<string, unknown>, where: string) {
    const keys = warnings.map((w) => w.split(":")[0]);
    assert.deepEqual(keys, [...new Set(keys)], `${where}: a key warned about twice:\n${warnings.join("\n")}`);
    for (const k of keys) assert.ok(k in set, `${where}: a warning about ${k}, which is not set:\n${warnings.join("\n")}`);
}

describe("config: one key switches every stack file to every coupling", function () {
    const stacks = stackFiles();

    it("covers the dev, staging and prod stack files", () => {
        for (const name of ["dev", "staging", "prod"]) assert.ok(stacks.some((s) => s.stack === name), name);
    });

    for (const stack of stacks) {
        for (const coupling of COUPLINGS.filter((c) => c !== "clusters")) {
            it(`${stack.stack} -> ${coupling}: evaluates, each unused key kept with at most one warning`, async () => {
                const { e, error } = await switched(stack, { coupling });
                assert.ok(e, `${stack.stack} -> ${coupling} refused:\n${(error as Error)?.message}`);
                const { warnings } = e;
                assert.equal(e.config.coupling, coupling);
                assert.ok(e.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment"), "no Deployment");
                assertOneWarningPerKeptKey(warnings, stack.values, `${stack.stack} -> ${coupling}`);
                // what the stack file sets for another coupling is said to be unused, never silently dropped
                if (stack.values.echoReplicas !== undefined && stack.values.echoReplicas !== "1" && ["container", "pod"].includes(coupling)) {
                    assert.ok(warnings.some((w) => w.startsWith("echoReplicas: ")), warnings.join("\n"));
                }
            });
        }

        it(`${stack.stack} -> clusters: needs only the two clusters described once, and says so in one problem`, async () => {
            const { error } = await switched(stack, { coupling: "clusters" });
            assert.ok(error instanceof ConfigError, `not refused: ${error}`);
            assert.deepEqual(error.problems.map((p) => p.split(":")[0]), ["clusters"]);
            assert.match(error.problems[0], /is required by coupling clusters.*pulumi config set --path clusters\.generator\.context/);
            assert.deepEqual(lastRegistered, []);
        });

        // the stack as it is once it has been on `clusters`: the clusters block stays set
        for (const coupling of COUPLINGS) {
            it(`${stack.stack} with its clusters described -> ${coupling}: evaluates, at most one warning per kept key`, async () => {
                const { e, error } = await switched(stack, { clusters: TWO_CLUSTERS, coupling });
                assert.ok(e, `refused:\n${(error as Error)?.message}`);
                const { warnings } = e;
                assert.equal(e.config.coupling, coupling);
                assertOneWarningPerKeptKey(warnings, { ...stack.values, clusters: TWO_CLUSTERS }, `${stack.stack} -> ${coupling}`);
                assert.equal(warnings.filter((w) => w.startsWith("clusters: ")).length, coupling === "clusters" ? 0 : 1, warnings.join("\n"));
                assert.equal(e.config.clusters === undefined, coupling !== "clusters");
            });
        }

        it(`${stack.stack}: a value that contradicts the chosen coupling is still refused, with nothing registered`, async () => {
            const contradictions: [Record<string, unknown>, string][] = [
                [{ coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-a" } } }, "clusters.echo.context"],
                [{ coupling: "container", imagesFromStack: undefined, images: { generator: `r/g@sha256:${"a".repeat(64)}`, echo: `r/e@sha256:${"a".repeat(64)}` } }, "images"],
                [{ coupling: "clusters", clusters: TWO_CLUSTERS, renderYamlTo: "out", imagesFromStack: "acme/app-coupling/build" }, "clusters.generatorUrl"],
            ];
            for (const [changes, key] of contradictions) {
                const { error } = await switched(stack, changes);
                assert.ok(error instanceof ConfigError, `${JSON.stringify(changes)}: not refused`);
                assert.deepEqual(error.problems.map((p) => p.split(":")[0]), [key], error.message);
                assert.deepEqual(lastRegistered, []);
            }
        });
    }
});
