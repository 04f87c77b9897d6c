import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG, CONFIG_KEYS } from "../components/config";
import { declaredDefault, KeySpec } from "../components/validator";
import { generated, PULUMI_YAML, README } from "../scripts/docs";

describe("generated docs (npm run docs)", () => {
    it("README.md and Pulumi.yaml hold what the program generates: the coupling comparison, the config table, the config block", async () => {
        for (const [file, [current, next]] of await generated()) {
            assert.equal(current, next, `${path.basename(file)} is out of date: run \`npm run docs\``);
        }
    });

    it("Pulumi.yaml declares every key of CONFIG, in its order, with its type and the default the program reads as unset", () => {
        const { config } = YAML.parse(fs.readFileSync(PULUMI_YAML, "utf8"));
        assert.deepEqual(Object.keys(config), CONFIG_KEYS);
        for (const key of CONFIG_KEYS) {
            const spec: KeySpec = CONFIG[key];
            assert.equal(config[key].type, spec.type === "object" ? undefined : spec.type, key);
            assert.deepEqual(config[key].default, declaredDefault(spec), key);
            assert.ok(config[key].description.startsWith(spec.description), key);
        }
    });

    it("the README's config table has one row per key, in CONFIG's order", () => {
        const readme = fs.readFileSync(README, "utf8");
        const block = readme.slice(readme.indexOf("<!-- config-table:begin"), readme.indexOf("<!-- config-table:end"));
        assert.deepEqual([...block.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]), CONFIG_KEYS);
    });

    it("shows the exact config lines for every coupling", () => {
        const readme = fs.readFileSync(README, "utf8");
        for (const coupling of ["container", "pod", "volume", "service", "clusters"]) {
            assert.ok(readme.includes(`pulumi config set coupling ${coupling}\n`), coupling);
        }
    });
});
