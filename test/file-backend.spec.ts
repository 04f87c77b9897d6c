// The local file backend without its `.attrs` sidecar. The backend stores through
// gocloud.dev's fileblob, which rewrites each state file's sidecar in place, so the
// program's StackReference to its own stack (components/program.ts), read while the update
// saves checkpoints, now and then finds it empty: "failed to load checkpoint: EOF"
// (rates: bench/self-reference-race.ts, docs/evidence.md). `metadata=skip` writes none.
// Layers: the e2e workspace's URL; the real CLI (tool cache; skipped without it) writing
// state; scripts/up.sh's own login is covered in bootstrap.spec.ts.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCleanups } from "../e2e/lib/cleanups";
import { tool } from "../e2e/lib/tools";
import { fileBackendUrl, makeWorkspace } from "../e2e/lib/workspace";

/** Every file under dir whose name ends in `.attrs`. */
function sidecars(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".attrs"));
}

describe("the local file backend, without fileblob's .attrs sidecar", () => {
    it("the e2e suites' workspace logs in with metadata=skip", () => {
        try {
            const ws = makeWorkspace();
            assert.equal(ws.env.PULUMI_BACKEND_URL, `file://${path.join(ws.dir, "state")}?metadata=skip`);
        } finally {
            runCleanups();
        }
    });

    it("the real CLI keeps the parameter: state written through it has no sidecar, and without it has (tool cache)", function () {
        const pulumi = tool("pulumi");
        if (!fs.existsSync(pulumi)) {
            console.log(`      skipped: no Pulumi CLI at ${pulumi} (npm run e2e:tools builds it)`);
            this.skip();
        }
        this.timeout(60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "file-backend-spec-"));
        try {
            const project = path.join(dir, "project");
            fs.mkdirSync(project);
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: file-backend-spec\nruntime: nodejs\n");
            const written = (url: string, state: string): string[] => {
                fs.mkdirSync(state);
                const env = {
                    PATH: process.env.PATH, HOME: dir, PULUMI_HOME: path.join(dir, "home"), PULUMI_BACKEND_URL: url,
                    PULUMI_CONFIG_PASSPHRASE: "file-backend-spec", PULUMI_SKIP_UPDATE_CHECK: "true",
                    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
                };
                // two writes of the stack's checkpoint: the second replaces it (and backs it up)
                for (const args of [["stack", "init", "s", "--secrets-provider", "passphrase"], ["stack", "tag", "set", "k", "v", "--stack", "s"]]) {
                    const r = spawnSync(pulumi, [...args, "--non-interactive"], { cwd: project, env, encoding: "utf8", timeout: 30_000 });
                    assert.equal(r.status, 0, `pulumi ${args.join(" ")} (${url}):\n${r.stdout}${r.stderr}`);
                }
                assert.ok(fs.readdirSync(state, { recursive: true, encoding: "utf8" }).some((f) => f.endsWith(path.join("file-backend-spec", "s.json"))),
                    `${url}: no checkpoint written under ${state}`);
                return sidecars(state);
            };
            const skip = path.join(dir, "skip");
            assert.deepEqual(written(fileBackendUrl(skip), skip), []);
            const bare = path.join(dir, "bare");
            assert.ok(written(`file://${bare}`, bare).some((f) => f.endsWith("s.json.attrs")), "the control: without the parameter the sidecar is written");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
