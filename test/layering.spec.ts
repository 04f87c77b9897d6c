// Tools and the program never import tests: tools -> lib <- tests.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..");

function sources(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

describe("layering", () => {
    it("scripts/, bench/, lib/, components/ and index.ts import nothing from test/", () => {
        const offenders = [...sources("scripts"), ...sources("bench"), ...sources("lib"), ...sources("components"), "index.ts"]
            .filter((f) => /from\s+["'](\.\.?\/)+test\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual(offenders, []);
    });

    it("lib/ imports nothing from scripts/ or bench/", () => {
        const offenders = sources("lib").filter((f) => /from\s+["']\.\.\/(scripts|bench)\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual(offenders, []);
    });

    it("e2e/ imports nothing from test/; lib/, components/ and index.ts import nothing from e2e/", () => {
        const fromTest = sources("e2e").filter((f) => /from\s+["'](\.\.?\/)+test\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        const intoE2e = [...sources("lib"), ...sources("components"), "index.ts"]
            .filter((f) => /from\s+["'](\.\.?\/)+e2e\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual([...fromTest, ...intoE2e], []);
    });
});
