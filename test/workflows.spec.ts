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
        // the current majors, each on the node24 runtime (their action.yml `runs.using`)
        const wanted: Record<string, string> = {
            "actions/checkout": "v6", "actions/setup-node": "v6", "pulumi/actions": "v7",
            "aws-actions/configure-aws-credentials": "v6", "google-github-actions/auth": "v3", "google-github-actions/get-gke-credentials": "v3",
        };
        assert.ok(uses.length >= 5, uses.join(", "));
        for (const ref of uses) {
            const [name, version] = ref.split("@");
            assert.equal(version, wanted[name], `${ref}: expected ${name}@${wanted[name]}`);
        }
    });

    // Issue 17 item 8: EKS and GKE kubeconfigs call `aws eks get-token` / gke-gcloud-auth-plugin,
    // which need cloud credentials on the runner; a kubeconfig secret alone cannot log in.
    describe("cluster access from CI", () => {
        const action = () => YAML.parse(fs.readFileSync(path.join(repoRoot, ".github/actions/stack-setup/action.yml"), "utf8"));
        const step = (name: string) => action().runs.steps.find((s: any) => s.name === name || s.uses?.startsWith(name));

        it("gets OIDC credentials with the clouds' own actions, each step only for its cloud, kubeconfig written otherwise", () => {
            assert.equal(step("aws-actions/configure-aws-credentials").if, "inputs.cloud == 'aws'");
            assert.equal(step("aws-actions/configure-aws-credentials").with["role-to-assume"], "${{ inputs.aws-role-arn }}");
            assert.match(step("EKS kubeconfig").run, /aws eks update-kubeconfig --name "\$EKS_CLUSTER" --region "\$EKS_REGION" --kubeconfig "\$RUNNER_TEMP\/kubeconfig"/);
            assert.equal(step("google-github-actions/auth").if, "inputs.cloud == 'gcp'");
            assert.equal(step("google-github-actions/auth").with.workload_identity_provider, "${{ inputs.gcp-workload-identity-provider }}");
            assert.equal(step("google-github-actions/get-gke-credentials").if, "inputs.cloud == 'gcp'");
            assert.equal(step("Write kubeconfig").if, "inputs.cloud == ''");
        });

        it("every job that reaches a cluster may ask GitHub for an OIDC token, and passes its stack's cloud settings", () => {
            const workflow = YAML.parse(fs.readFileSync(path.join(repoRoot, ".github/workflows/ci.yml"), "utf8"));
            const jobs = Object.entries(workflow.jobs as Record<string, any>)
                .filter(([, job]) => job.steps.some((s: any) => s.uses === "./.github/actions/stack-setup"));
            assert.deepEqual(jobs.map(([n]) => n).sort(), ["deploy-staging", "preview-prod", "preview-staging"]);
            for (const [name, job] of jobs) {
                assert.equal(job.permissions?.["id-token"], "write", name);
                const inputs = job.steps.find((s: any) => s.uses === "./.github/actions/stack-setup").with;
                const prefix = inputs.stack === "prod" ? "PROD" : "STAGING";
                assert.equal(inputs.cloud, `\${{ vars.${prefix}_CLOUD }}`, name);
                for (const key of ["aws-role-arn", "aws-region", "eks-cluster", "gcp-workload-identity-provider", "gcp-service-account", "gke-cluster", "gke-location"]) {
                    assert.equal(inputs[key], `\${{ vars.${prefix}_${key.toUpperCase().replace(/-/g, "_")} }}`, `${name} ${key}`);
                }
            }
        });

        describe("refuses incomplete settings before anything runs", () => {
            const check = (env: Record<string, string>) => spawnSync("bash", ["-c", step("Check how to reach the cluster").run], {
                encoding: "utf8", env: { PATH: process.env.PATH, STACK: "staging", HAS_KUBECONFIG: "false", ...env },
            });
            const cases: [string, Record<string, string>, RegExp | undefined][] = [
                ["nothing", {}, /needs kubeconfig \(or cloud: aws\|gcp\)/],
                ["a kubeconfig", { HAS_KUBECONFIG: "true" }, undefined],
                ["aws without its cluster", { CLOUD: "aws", AWS_ROLE_ARN: "arn:aws:iam::1:role/r", AWS_REGION_INPUT: "eu-west-1" }, /needs eks-cluster/],
                ["aws complete", { CLOUD: "aws", AWS_ROLE_ARN: "arn:aws:iam::1:role/r", AWS_REGION_INPUT: "eu-west-1", EKS_CLUSTER: "c" }, undefined],
                ["gcp without a provider", { CLOUD: "gcp", GKE_CLUSTER: "c" }, /needs gcp-workload-identity-provider/],
                ["gcp complete", { CLOUD: "gcp", GCP_PROVIDER: "projects/1/locations/global/workloadIdentityPools/p/providers/g", GKE_CLUSTER: "c" }, undefined],
                ["both", { CLOUD: "aws", HAS_KUBECONFIG: "true", AWS_ROLE_ARN: "a", AWS_REGION_INPUT: "r", EKS_CLUSTER: "c" }, /both cloud \(aws\) and kubeconfig/],
                ["an unknown cloud", { CLOUD: "azure" }, /cloud is "azure"; expected aws, gcp or empty/],
            ];
            for (const [title, env, refused] of cases) {
                it(`${title}: ${refused ? "refused" : "accepted"}`, () => {
                    const r = check(env);
                    assert.equal(r.status, refused ? 1 : 0, r.stdout + r.stderr);
                    if (refused) assert.match(r.stdout, refused);
                });
            }
        });
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
