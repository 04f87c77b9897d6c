// npm run docs, run as the user runs it: with nothing to change it says so and writes nothing.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..");
const files = ["README.md", "Pulumi.yaml"].map((f) => path.join(root, f));

// Started with the whole run (a root-level hook): the child loads the SDKs and evaluates
// every coupling, on the other core while the specs before this one run.
let docsRun: Promise<{ status: number | null; stdout: string; stderr: string; before: number[] }> | undefined;
before(() => {
    const before = files.map((f) => fs.statSync(f).mtimeMs);
    docsRun = new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/docs.ts"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr, before }));
    });
    docsRun.catch(() => undefined); // reported by the test
});

describe("scripts/docs.ts", function () {
    it("says \"unchanged\" and leaves README.md and Pulumi.yaml as they are when the generated blocks are up to date", async () => {
        const run = await docsRun!;
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /README\.md and Pulumi\.yaml unchanged/);
        assert.deepEqual(files.map((f) => fs.statSync(f).mtimeMs), run.before, "a file was rewritten");
    });
});
