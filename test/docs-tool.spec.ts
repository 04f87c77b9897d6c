// npm run docs, run as the user runs it: with nothing to change it says so and writes nothing.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

describe("scripts/docs.ts", function () {
    this.timeout(60_000);
    it("says \"unchanged\" and leaves README.md and Pulumi.yaml as they are when the generated blocks are up to date", () => {
        const root = path.join(__dirname, "..");
        const files = ["README.md", "Pulumi.yaml"].map((f) => path.join(root, f));
        const before = files.map((f) => fs.statSync(f).mtimeMs);
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/docs.ts"], { cwd: root, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /README\.md and Pulumi\.yaml unchanged/);
        assert.deepEqual(files.map((f) => fs.statSync(f).mtimeMs), before, "a file was rewritten");
    });
});
