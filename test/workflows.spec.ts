// .github/: the workflow and composite action pass actionlint (a real linter, with
// shellcheck over every run: script), Dependabot covers every manifest the project has,
// and the registry guard of the deploy job refuses placeholder registries.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

const repoRoot = path.resolve(__dirname, "..");

describe("GitHub workflow and update configuration", () => {
    it("passes actionlint (skipped when actionlint is not built: bash scripts/lint-workflows.sh --install)", function () {
        const r = spawnSync("bash", ["scripts/lint-workflows.sh"], { cwd: repoRoot, encoding: "utf8" });
        if (r.status === 77) this.skip();
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("tests on Node 22 and 24 and uses the Node 24 majors of every action", () => {
        const text = fs.readFileSync(path.join(repoRoot, ".github/workflows/ci.yml"), "utf8")
            + fs.readFileSync(path.join(repoRoot, ".github/actions/stack-setup/action.yml"), "utf8");
        const workflow = YAML.parse(fs.readFileSync(path.join(repoRoot, ".github/workflows/ci.yml"), "utf8"));
        assert.deepEqual(workflow.jobs.test.strategy.matrix.node, [22, 24]);
        const uses = [...text.matchAll(/uses:\s*([^\s#]+)/g)].map((m) => m[1]).filter((u) => !u.startsWith("./"));
        const wanted: Record<string, string> = { "actions/checkout": "v6", "actions/setup-node": "v6", "pulumi/actions": "v7" };
        assert.ok(uses.length >= 5, uses.join(", "));
        for (const ref of uses) {
            const [name, version] = ref.split("@");
            assert.equal(version, wanted[name], `${ref}: expected ${name}@${wanted[name]}`);
        }
    });

    it("previews prod only from main, inside the protected production environment", () => {
        const workflow = YAML.parse(fs.readFileSync(path.join(repoRoot, ".github/workflows/ci.yml"), "utf8"));
        const prodJobs = Object.entries(workflow.jobs as Record<string, any>)
            .filter(([, job]) => JSON.stringify(job).includes("/prod"));
        assert.deepEqual(prodJobs.map(([name]) => name), ["preview-prod"]);
        const [, job] = prodJobs[0];
        assert.equal(job.environment, "production");
        assert.match(job.if, /github\.event_name == 'push'/);
        assert.doesNotMatch(job.if, /pull_request/);
    });

    it("Dependabot covers npm (root and policy/), every Dockerfile and the actions, in one weekly group", () => {
        const config = YAML.parse(fs.readFileSync(path.join(repoRoot, ".github/dependabot.yml"), "utf8"));
        const groups = Object.keys(config["multi-ecosystem-groups"]);
        assert.equal(groups.length, 1);
        assert.equal(config["multi-ecosystem-groups"][groups[0]].schedule.interval, "weekly");
        const dirs = (ecosystem: string) => config.updates.filter((u: any) => u["package-ecosystem"] === ecosystem)
            .flatMap((u: any) => { assert.equal(u["multi-ecosystem-group"], groups[0]); return u.directories ?? [u.directory]; });
        const manifests = (file: string) => spawnSync("git", ["ls-files", `*${file}`, file], { cwd: repoRoot, encoding: "utf8" })
            .stdout.split("\n").filter((f) => f && !f.includes("node_modules")).map((f) => `/${path.dirname(f)}`.replace(/\/\.$/, "/")).sort();
        assert.deepEqual(dirs("npm").sort(), manifests("package.json"));
        assert.deepEqual(dirs("docker").sort(), manifests("Dockerfile"));
        assert.deepEqual(dirs("github-actions"), ["/"]);
    });

    describe("scripts/check-registry.sh (the deploy job's guard)", () => {
        const cases: [string, boolean][] = [
            ["registry.example.com/platform", false], ["localhost:5001", false], ["127.0.0.1:5000/x", false],
            ["", false], ["ghcr.io/acme/platform", true], ["registry.acme.internal:5000/team", true],
        ];
        for (const [registry, accepted] of cases) {
            it(`${accepted ? "accepts" : "refuses"} imageRegistry ${JSON.stringify(registry)}`, () => {
                const bin = fs.mkdtempSync(path.join(os.tmpdir(), "check-registry-"));
                try {
                    // a fake pulumi that answers `config get imageRegistry` (unset = exit 1, as the CLI does)
                    fs.writeFileSync(path.join(bin, "pulumi"),
                        `#!/bin/sh\n[ -n "$FAKE_REGISTRY" ] || exit 1\necho "$FAKE_REGISTRY"\n`, { mode: 0o755 });
                    const r = spawnSync("bash", ["scripts/check-registry.sh", "acme/staging"], {
                        cwd: repoRoot, encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}`, FAKE_REGISTRY: registry },
                    });
                    assert.equal(r.status, accepted ? 0 : 1, r.stdout + r.stderr);
                    if (!accepted) assert.match(r.stderr, /pulumi config set imageRegistry/);
                } finally {
                    fs.rmSync(bin, { recursive: true, force: true });
                }
            });
        }
    });
});
