// scripts/up.sh and scripts/down.sh, run for real against fake tools.
// Each case builds a PATH holding only `bash` plus the fakes it wants, so the real
// pulumi/docker/kind/kubectl (if installed) are never reached. The fakes append
// their argv (and any stdin) to a log file, which is what the assertions read.
import { strict as assert } from "assert";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const repoRoot = path.resolve(__dirname, "..");
const upScript = path.join("scripts", "up.sh");
const downScript = path.join("scripts", "down.sh");
const libScript = path.join("scripts", "lib.sh");

/** Real bash, found on the test runner's own PATH. */
function findBash(): string {
    const r = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" });
    assert.equal(r.status, 0, "bash is required to run these tests");
    return fs.realpathSync(r.stdout.trim());
}
const bash = findBash();

function which(program: string): string {
    const r = spawnSync("bash", ["-c", `command -v ${program}`], { encoding: "utf8" });
    assert.equal(r.status, 0, `${program} is required to run these tests`);
    return fs.realpathSync(r.stdout.trim());
}

type Tool = "pulumi" | "docker" | "kind" | "kubectl";

// Fake tool bodies. FAKE_STATE=fresh: nothing exists yet; FAKE_STATE=existing:
// everything up.sh would create is already there. FAKE_DOCKER_ENGINE=down makes `docker info` fail.
const fakes: Record<Tool, string> = {
    docker: `
case "$1" in
  info) [[ "\${FAKE_DOCKER_ENGINE:-up}" == up ]] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; } ;;
  inspect)
    if [[ "$FAKE_STATE" == fresh && "$*" == *State.Running* ]]; then echo "Error: No such object" >&2; exit 1; fi
    if [[ "$*" == *State.Running* ]]; then echo true
    elif [[ "$*" == *Networks.kind* ]]; then [[ "$FAKE_STATE" == fresh ]] && echo null || echo '{"NetworkID":"x"}'
    else [[ "$FAKE_STATE" == fresh ]] && exit 1; echo '[{}]'
    fi ;;
  exec) [[ "$2" == -i ]] && read_stdin ;;
  ps) [[ -n "\${FAKE_CPK_CONTAINER:-}" && "$*" == *"cloud-provider-kind.cluster=app-coupling"* ]] && echo "$FAKE_CPK_CONTAINER" ;;
esac
exit 0`,
    kind: `
case "$1 $2" in
  "get clusters") echo other-cluster; [[ "$FAKE_STATE" == existing ]] && echo "\${KIND_CLUSTER_NAME:-app-coupling}" ;;
  "get nodes") echo "$4-control-plane" ;;
  "create cluster") read_stdin ;;
esac
exit 0`,
    kubectl: `
[[ "$*" == *"-f -"* ]] && read_stdin
# FAKE_LB=held|released: the dev stack has a LoadBalancer Service carrying cloud-provider-kind's
# cleanup finalizer (and one more); "released" = cloud-provider-kind runs and lets it go
lb="app-coupling-dev-generator generator-1a2b"
finalizers="service.kubernetes.io/load-balancer-cleanup example.com/keep"
case "$*" in
  *"get services -A"*) [[ -n "\${FAKE_LB:-}" ]] && echo "$lb $finalizers" ;;
  *"wait --for=delete"*) [[ "\${FAKE_LB:-}" == released ]] || exit 1 ;;
  *"get service -n"*) echo "$finalizers" ;;
esac
exit 0`,
    pulumi: `
case "$1 \${2:-}" in
  "whoami "*) [[ "$FAKE_STATE" == existing ]] || exit 1
    printf 'User: someone\\nBackend URL: %s\\n' "\${FAKE_BACKEND:-https://api.pulumi.com}" ;;
  "config get")
    key="$3"; [[ "$3" == --path ]] && key="$4"
    case "$key" in
      coupling) [[ -n "\${FAKE_COUPLING:-}" ]] || exit 1; echo "$FAKE_COUPLING" ;;
      clusters.generator.context) echo kind-gen ;;
      clusters.echo.context) echo kind-echo ;;
      clusters.generatorUrl) exit 1 ;;
      *) [[ "$FAKE_STATE" == existing ]] || exit 1; echo "kind-\${KIND_CLUSTER_NAME:-app-coupling}" ;;
    esac ;;
  "stack select") [[ "$FAKE_STATE" == existing || "$*" == *--create* ]] || exit 1 ;;
  "stack output") echo "kubectl --context kind-app-coupling -n app port-forward svc/echo 8000:8000" ;;
  "up "*|"destroy "*) echo "  cwd=$PWD passphrase=\${PULUMI_CONFIG_PASSPHRASE-UNSET}" >>"$FAKE_LOG"
    echo "  backend=\${PULUMI_BACKEND_URL-UNSET}" >>"$FAKE_LOG" ;;
esac
exit 0`,
};

interface Sandbox {
    dir: string;
    bin: string;
    log: string;
}

let sandboxes: string[] = [];

/** A temp dir whose bin/ holds bash and the given fake tools, and nothing else. */
function sandbox(tools: Tool[]): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-spec-"));
    sandboxes.push(dir);
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // bash (and mkdir/rm, for the record of created clusters) are the only real programs
    // the scripts need besides the four tools: everything else they do is bash builtins.
    fs.symlinkSync(bash, path.join(bin, "bash"));
    for (const coreutil of ["mkdir", "rm"]) fs.symlinkSync(which(coreutil), path.join(bin, coreutil));
    const log = path.join(dir, "calls.log");
    for (const tool of tools) {
        const script = [
            `#!${bash}`,
            `read_stdin() { local line; while IFS= read -r line; do printf '  | %s\\n' "$line" >>"$FAKE_LOG"; done; }`,
            `printf '%s\\n' "${tool} $*" >>"$FAKE_LOG"`,
            fakes[tool],
            "",
        ].join("\n");
        fs.writeFileSync(path.join(bin, tool), script, { mode: 0o755 });
    }
    return { dir, bin, log };
}

function run(sb: Sandbox, script: string, opts: { args?: string[]; env?: Record<string, string>; cwd?: string } = {}): SpawnSyncReturns<string> {
    // A clean environment: nothing from the developer's shell (KIND_CLUSTER_NAME, PULUMI_*) leaks in.
    const env = { PATH: sb.bin, HOME: sb.dir, FAKE_LOG: sb.log, FAKE_STATE: "fresh", ...opts.env };
    const cwd = opts.cwd ?? repoRoot;
    const r = spawnSync("bash", [path.resolve(repoRoot, script), ...(opts.args ?? [])], { cwd, env, encoding: "utf8", timeout: 20000 });
    assert.equal(r.error, undefined, `spawn failed: ${r.error}`);
    return r;
}

function calls(sb: Sandbox): string[] {
    return fs.existsSync(sb.log) ? fs.readFileSync(sb.log, "utf8").split("\n").filter((l) => l !== "") : [];
}

/** The invocations only (not the stdin lines the fakes echoed). */
function commands(sb: Sandbox): string[] {
    return calls(sb).filter((l) => !l.startsWith("  "));
}

/** The "  TOOL: hint" line printed for a missing tool, or undefined. */
function hintLine(r: SpawnSyncReturns<string>, tool: string): string | undefined {
    return r.stderr.split("\n").find((l) => l.startsWith(`  ${tool}: `));
}

function assertHint(r: SpawnSyncReturns<string>, tool: Tool): void {
    const line = hintLine(r, tool);
    assert.ok(line?.includes(hints[tool]), `no install hint for ${tool}:\n${r.stderr}`);
}

function output(r: SpawnSyncReturns<string>): string {
    return `${r.stdout}\n${r.stderr}`;
}

/** The tool names on the "missing required tools:" line. */
function missingTools(r: SpawnSyncReturns<string>): string[] {
    const m = /missing required tools: (.*)/.exec(r.stderr);
    assert.ok(m, `no missing-tools line in stderr:\n${r.stderr}`);
    return m[1].trim().split(/\s+/);
}

const hints: Record<Tool, string> = {
    pulumi: "curl -fsSL https://get.pulumi.com | sh",
    docker: "https://docs.docker.com/get-docker/",
    kind: "go install sigs.k8s.io/kind@v0.33.0",
    kubectl: "https://kubernetes.io/docs/tasks/tools/#kubectl",
};

describe("local bootstrap scripts", () => {
    afterEach(() => {
        for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
        sandboxes = [];
    });

    describe("static checks", () => {
        for (const script of [upScript, downScript, libScript]) {
            it(`${script} parses (bash -n)`, () => {
                const r = spawnSync(bash, ["-n", path.join(repoRoot, script)], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
            });
        }

        it("scripts are shellcheck-clean (skipped when shellcheck is not installed)", function () {
            const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
            if (probe.error || probe.status !== 0) this.skip();
            const r = spawnSync("shellcheck", ["-x", upScript, downScript, libScript], { cwd: repoRoot, encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout + r.stderr);
        });
    });

    describe("up.sh tool check", () => {
        it("exits 3 naming only the missing tools, with install hints, and runs nothing", () => {
            const sb = sandbox(["pulumi", "docker"]);
            const r = run(sb, upScript);
            assert.equal(r.status, 3, output(r));
            assert.deepEqual(missingTools(r), ["kind", "kubectl"]);
            assertHint(r, "kind");
            assertHint(r, "kubectl");
            assert.equal(hintLine(r, "pulumi"), undefined, "pulumi is present");
            assert.equal(hintLine(r, "docker"), undefined, "docker is present");
            assert.deepEqual(calls(sb), [], "no tool may be invoked before the check passes");
        });

        it("lists all four tools with hints when none is installed", () => {
            const sb = sandbox([]);
            const r = run(sb, upScript);
            assert.equal(r.status, 3, output(r));
            assert.deepEqual(missingTools(r), ["pulumi", "docker", "kind", "kubectl"]);
            for (const tool of Object.keys(hints) as Tool[]) assertHint(r, tool);
        });

        it("stops when the Docker engine does not answer, before any kind or pulumi command", () => {
            const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
            const r = run(sb, upScript, { env: { FAKE_DOCKER_ENGINE: "down" } });
            assert.notEqual(r.status, 0, output(r));
            assert.match(r.stderr, /Docker engine is not running/);
            assert.deepEqual(calls(sb), ["docker info"]);
        });
    });

    describe("up.sh with working (fake) tools", () => {
        it("on a fresh machine creates registry, cluster, registry wiring, stack, then pulumi up with extra args", () => {
            const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
            const r = run(sb, upScript, { args: ["--diff", "--skip-preview"] });
            assert.equal(r.status, 0, output(r));
            const cmds = commands(sb);
            const expected = [
                "docker info",
                "docker inspect -f {{.State.Running}} kind-registry",
                "docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name kind-registry registry:3",
                "pulumi whoami -v",
                "pulumi login file://~?metadata=skip",
                "pulumi stack select dev --create",
                "pulumi config get context --stack dev",
                "pulumi config get coupling --stack dev",
                "pulumi config set context kind-app-coupling --stack dev",
                "pulumi config get coupling --stack dev",
                "pulumi config get context --stack dev",
                "kind get clusters",
                "kind create cluster --name app-coupling --config=-",
                "kind get nodes --name app-coupling",
                "docker exec app-coupling-control-plane mkdir -p /etc/containerd/certs.d/localhost:5001",
                "docker exec -i app-coupling-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml",
                "kubectl --context kind-app-coupling apply -f -",
                "docker inspect -f {{json .NetworkSettings.Networks.kind}} kind-registry",
                "docker network connect kind kind-registry",
                "pulumi config get coupling --stack dev",
                "pulumi up --yes --refresh --stack dev --diff --skip-preview",
                "pulumi stack output portForward --stack dev",
            ];
            assert.deepEqual(cmds, expected);

            const log = calls(sb).join("\n");
            // kind config: containerd reads per-registry hosts from certs.d
            assert.match(log, /\| \s*config_path = "\/etc\/containerd\/certs\.d"/);
            assert.match(log, /\| \[host\."http:\/\/kind-registry:5000"\]/);
            assert.match(log, /\| {3}name: local-registry-hosting\n.*\| {3}namespace: kube-public/);
            assert.match(log, /\|\s+host: "localhost:5001"/);
            // pulumi runs from the repo root, with an (empty) passphrase and a warning about it
            assert.ok(calls(sb).includes(`  cwd=${repoRoot} passphrase=`), log);
            assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE is unset/);
            assert.match(r.stdout, /port-forward svc\/echo 8000:8000/);
        });

        it("re-run skips what exists: no registry run, no cluster create, no login, context untouched", () => {
            const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
            const r = run(sb, upScript, { env: { FAKE_STATE: "existing", PULUMI_CONFIG_PASSPHRASE: "s3cret" } });
            assert.equal(r.status, 0, output(r));
            const cmds = commands(sb);
            for (const forbidden of [/^docker run/, /^docker start/, /^kind create/, /^docker network connect/, /^pulumi login/, /^pulumi config set/]) {
                assert.ok(!cmds.some((c) => forbidden.test(c)), `unexpected ${forbidden} in:\n${cmds.join("\n")}`);
            }
            assert.ok(cmds.includes("pulumi up --yes --refresh --stack dev"), cmds.join("\n"));
            assert.ok(calls(sb).some((l) => l.endsWith("passphrase=s3cret")), "the user's passphrase is kept");
            assert.doesNotMatch(r.stderr, /PULUMI_CONFIG_PASSPHRASE is unset/);
            assert.ok(calls(sb).includes("  backend=UNSET"), "a Pulumi Cloud login is used as it is");
        });

        it("a file-backend login without metadata=skip: this run adds it (same state), the stored login is untouched", () => {
            // the backend's .attrs sidecar race (lib.sh race_free_backend_url; docs/evidence.md)
            const cases: [string, string][] = [
                ["file://~", "file://~?metadata=skip"],
                ["file:///srv/pulumi?no_tmp_dir=false", "file:///srv/pulumi?no_tmp_dir=false&metadata=skip"],
                ["file:///srv/pulumi?metadata=skip", "UNSET"],
                ["s3://team-state", "UNSET"],
            ];
            for (const [login, used] of cases) {
                const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
                const r = run(sb, upScript, { env: { FAKE_STATE: "existing", FAKE_BACKEND: login } });
                assert.equal(r.status, 0, output(r));
                assert.ok(!commands(sb).some((c) => c.startsWith("pulumi login")), `${login}: no login`);
                assert.ok(calls(sb).includes(`  backend=${used}`), `${login}:\n${calls(sb).join("\n")}`);
                if (used !== "UNSET") assert.ok(r.stdout.includes(`to keep it: pulumi login '${used}'`), r.stdout);
            }
        });

        it("coupling clusters: creates both sides' kind clusters, wires the registry into each, and down.sh deletes them", () => {
            const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
            const r = run(sb, upScript, { env: { FAKE_COUPLING: "clusters" } });
            assert.equal(r.status, 0, output(r));
            const cmds = commands(sb);
            for (const name of ["gen", "echo"]) {
                assert.ok(cmds.includes(`kind create cluster --name ${name} --config=-`), cmds.join("\n"));
                assert.ok(cmds.includes(`docker exec -i ${name}-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml`), cmds.join("\n"));
                assert.ok(cmds.includes(`kubectl --context kind-${name} apply -f -`), cmds.join("\n"));
            }
            assert.ok(!cmds.some((c) => c.includes("--name app-coupling")), "no single-cluster kind cluster for coupling clusters");
            assert.ok(!cmds.some((c) => c.startsWith("pulumi config set context")), "the clusters' contexts come from clusters.*");
            assert.match(r.stderr, /cloud-provider-kind/, "warns that discovery needs a load balancer on kind");

            fs.writeFileSync(sb.log, "");
            const down = run(sb, downScript, { env: { FAKE_STATE: "existing", KIND_CLUSTER_NAME: "gen" } });
            assert.equal(down.status, 0, output(down));
            const deleted = commands(sb).filter((c) => c.startsWith("kind delete"));
            assert.deepEqual(deleted, ["kind delete cluster --name gen"], "the fake lists only KIND_CLUSTER_NAME as existing");
            assert.ok(commands(sb).filter((c) => c === "kind get clusters").length >= 2, "down.sh looks up every cluster up.sh recorded");
        });

        it("honours KIND_CLUSTER_NAME and works from any directory", () => {
            const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
            const r = run(sb, upScript, { env: { KIND_CLUSTER_NAME: "mine" }, cwd: sb.dir });
            assert.equal(r.status, 0, output(r));
            const cmds = commands(sb);
            assert.ok(cmds.includes("kind create cluster --name mine --config=-"), cmds.join("\n"));
            assert.ok(cmds.includes("kubectl --context kind-mine apply -f -"), cmds.join("\n"));
            assert.ok(cmds.includes("pulumi config set context kind-mine --stack dev"), cmds.join("\n"));
            assert.ok(calls(sb).some((l) => l.includes(`cwd=${repoRoot} `)), "pulumi must run in the repo root");
        });
    });

    describe("down.sh", () => {
        it("exits 3 when kind is missing (kubectl is not needed) and runs nothing", () => {
            const sb = sandbox(["pulumi", "docker"]);
            const r = run(sb, downScript);
            assert.equal(r.status, 3, output(r));
            assert.deepEqual(missingTools(r), ["kind"]);
            assertHint(r, "kind");
            assert.equal(hintLine(r, "kubectl"), undefined, "down.sh does not need kubectl");
            assert.deepEqual(calls(sb), []);
        });

        it("stops when the Docker engine does not answer, before any kind or pulumi command", () => {
            const sb = sandbox(["pulumi", "docker", "kind"]);
            const r = run(sb, downScript, { env: { FAKE_DOCKER_ENGINE: "down" } });
            assert.notEqual(r.status, 0, output(r));
            assert.match(r.stderr, /Docker engine is not running/);
            assert.deepEqual(calls(sb), ["docker info"]);
        });

        it("destroys the dev stack, then deletes only the cluster and registry up.sh made", () => {
            const sb = sandbox(["pulumi", "docker", "kind"]);
            const r = run(sb, downScript, { env: { FAKE_STATE: "existing" } });
            assert.equal(r.status, 0, output(r));
            assert.deepEqual(commands(sb), [
                "docker info",
                "pulumi whoami",
                "pulumi stack select dev",
                "pulumi config get coupling --stack dev",
                "pulumi config get context --stack dev",
                "kind get clusters",
                "pulumi destroy --yes --stack dev",
                "kind get clusters",
                "kind delete cluster --name app-coupling",
                "docker ps -aq --filter label=io.x-k8s.cloud-provider-kind.cluster=app-coupling",
                "docker inspect kind-registry",
                "docker rm -f kind-registry",
            ]);
            assert.match(r.stderr, /kubectl not found: not releasing LoadBalancer Services in kind-app-coupling/);
        });

        // Issue 17 item 6: the generator's LoadBalancer Service carries the cleanup finalizer
        // that only a running cloud-provider-kind removes (k8s.io/cloud-provider's service
        // controller adds service.kubernetes.io/load-balancer-cleanup before it provisions).
        describe("LoadBalancer Services cloud-provider-kind provisioned", () => {
            const lbCommands = (sb: Sandbox) => commands(sb).filter((c) => c.startsWith("kubectl") || c.startsWith("pulumi destroy"));
            const release = [
                "kubectl --context kind-app-coupling get services -A -l app.kubernetes.io/part-of=app-coupling,app.kubernetes.io/instance=dev " +
                "-o jsonpath={range .items[?(@.spec.type==\"LoadBalancer\")]}{.metadata.namespace}{\" \"}{.metadata.name}{\" \"}{.metadata.finalizers[*]}{\"\\n\"}{end}",
                "kubectl --context kind-app-coupling delete service -n app-coupling-dev-generator generator-1a2b --wait=false",
                "kubectl --context kind-app-coupling wait --for=delete --timeout=30s -n app-coupling-dev-generator service/generator-1a2b",
            ];

            it("with cloud-provider-kind running: deleted first and released by it, then pulumi destroy; no finalizer touched", () => {
                const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
                const r = run(sb, downScript, { env: { FAKE_STATE: "existing", FAKE_LB: "released" } });
                assert.equal(r.status, 0, output(r));
                assert.deepEqual(lbCommands(sb), [...release, "pulumi destroy --yes --stack dev"]);
            });

            it("with it stopped: after the wait, only its finalizer is removed (others kept), so pulumi destroy cannot hang", () => {
                const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
                const r = run(sb, downScript, { env: { FAKE_STATE: "existing", FAKE_LB: "held", LB_RELEASE_SECONDS: "5" } });
                assert.equal(r.status, 0, output(r));
                assert.deepEqual(lbCommands(sb), [
                    ...release.map((c) => c.replace("--timeout=30s", "--timeout=5s")),
                    "kubectl --context kind-app-coupling get service -n app-coupling-dev-generator generator-1a2b -o jsonpath={.metadata.finalizers[*]}",
                    "kubectl --context kind-app-coupling patch service -n app-coupling-dev-generator generator-1a2b --type=merge " +
                    "-p {\"metadata\":{\"finalizers\":[\"example.com/keep\"]}}",
                    "pulumi destroy --yes --stack dev",
                ]);
                assert.match(r.stderr, /not released in 5s \(cloud-provider-kind is not running\): removing its service\.kubernetes\.io\/load-balancer-cleanup finalizer/);
            });

            it("a load-balancer container cloud-provider-kind left for the deleted cluster is removed with it", () => {
                const sb = sandbox(["pulumi", "docker", "kind", "kubectl"]);
                const r = run(sb, downScript, { env: { FAKE_STATE: "existing", FAKE_CPK_CONTAINER: "c0ffee" } });
                assert.equal(r.status, 0, output(r));
                const cmds = commands(sb);
                assert.ok(cmds.indexOf("docker rm -f c0ffee") > cmds.indexOf("kind delete cluster --name app-coupling"), cmds.join("\n"));
            });
        });

        it("when nothing exists, deletes nothing", () => {
            const sb = sandbox(["pulumi", "docker", "kind"]);
            const r = run(sb, downScript, { env: { FAKE_STATE: "fresh" } });
            assert.equal(r.status, 0, output(r));
            const cmds = commands(sb);
            assert.ok(!cmds.some((c) => /^(pulumi destroy|kind delete|docker rm)/.test(c)), cmds.join("\n"));
        });
    });
});
