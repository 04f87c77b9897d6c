// npm run docs, run as the user runs it: with nothing to change it says so and writes nothing.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

describe("scripts/docs.ts", function () {
    it("says \"unchanged\" and leaves README.md as it is when the comparison is up to date", () => {
        const root = path.join(__dirname, "..");
        const readme = path.join(root, "README.md");
        const before = fs.statSync(readme).mtimeMs;
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/docs.ts"], { cwd: root, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /README\.md unchanged/);
        assert.equal(fs.statSync(readme).mtimeMs, before, "README.md was rewritten");
    });
});
