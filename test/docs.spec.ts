import { strict as assert } from "assert";
import * as fs from "fs";
import { comparisonTable, README, replaceBlock } from "../scripts/docs";

describe("README", () => {
    it("states the object counts the program really creates (npm run docs)", async () => {
        const readme = fs.readFileSync(README, "utf8");
        assert.equal(readme, replaceBlock(readme, await comparisonTable()), "README.md is out of date: run `npm run docs`");
    });

    it("shows the exact config lines for every coupling", () => {
        const readme = fs.readFileSync(README, "utf8");
        for (const coupling of ["container", "pod", "volume", "service", "clusters"]) {
            assert.ok(readme.includes(`pulumi config set coupling ${coupling}\n`), coupling);
        }
    });
});
