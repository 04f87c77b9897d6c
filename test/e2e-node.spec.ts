// e2e/node/cluster.sh (`npm run e2e:node -- up|down|status|env|snapshot`, and node 2's
// `up --clusters 2`, `down|status|env|snapshot --node 2`), its script
// logic run for real without bringing a node up: arguments, the root and tool checks that
// stop it before anything is touched, `down` and `status` with nothing up. The bring-up
// itself is the real-node layer (e2e/node/run.ts).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const repoRoot = path.resolve(__dirname, "..");
const script = path.join(repoRoot, "e2e", "node", "cluster.sh");
const toolsScript = path.join(repoRoot, "scripts", "e2e-tools.sh");

function run(args: string[], env: NodeJS.ProcessEnv = {}, asNobody = false) {
    const cmd = asNobody ? "setpriv" : "bash";
    const argv = asNobody ? ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", script, ...args] : [script, ...args];
    const r = spawnSync(cmd, argv, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 20_000 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

describe("e2e:node cluster script (e2e/node/cluster.sh)", () => {
    let tmp: string;
    let env: NodeJS.ProcessEnv;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-node-spec-"));
        // an empty tool cache and a node directory that does not exist yet
        env = { APP_COUPLING_TOOLS: path.join(tmp, "tools"), APP_COUPLING_NODE_DIR: path.join(tmp, "node") };
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("is shellcheck-clean, and so is the tool script (skipped when shellcheck is not installed)", function () {
        const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) this.skip();
        const r = spawnSync("shellcheck", ["-x", script, toolsScript], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("an unknown command is named, exit 2", () => {
        const bad = run(["upp"], env);
        assert.equal(bad.status, 2, bad.out);
        assert.match(bad.out, /unknown command 'upp' \(up, down, status, env, snapshot\)/);
    });

    it("--help documents every command and the environment it reads", () => {
        const r = run(["--help"], env);
        assert.equal(r.status, 0, r.out);
        for (const word of ["up ", "down ", "status ", "env ", "snapshot ", "APP_COUPLING_TOOLS", "APP_COUPLING_NODE_DIR", "WaitForFirstConsumer"]) {
            assert.ok(r.out.includes(word), `usage lacks ${word}:\n${r.out}`);
        }
    });

    it("up with missing tools lists them with the command that builds them, exit 4, and creates nothing", function () {
        if (process.getuid?.() !== 0) this.skip();
        const r = run(["up"], env);
        assert.equal(r.status, 4, r.out);
        assert.match(r.out, /missing from the tool cache .*bin\/kubelet.*images\/pause\.tar/s);
        assert.match(r.out, /npm run e2e:tools/);
        assert.ok(!fs.existsSync(env.APP_COUPLING_NODE_DIR!), "up created its directory before refusing");
    });

    it("up and down refuse without root (exit 3), before anything is touched", function () {
        const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
        if (process.getuid?.() !== 0 || probe.status !== 0) this.skip();
        fs.chmodSync(tmp, 0o755);
        for (const cmd of ["up", "down"]) {
            const r = run([cmd], env, true);
            assert.equal(r.status, 3, `${cmd}: ${r.out}`);
            assert.match(r.out, new RegExp(`${cmd} needs root`));
        }
        assert.ok(!fs.existsSync(env.APP_COUPLING_NODE_DIR!));
    });

    it("down with nothing up says so and succeeds (safe to re-run)", function () {
        if (process.getuid?.() !== 0) this.skip();
        for (let i = 0; i < 2; i++) {
            const r = run(["down"], env);
            assert.equal(r.status, 0, r.out);
            assert.match(r.out, /nothing to do: no node state/);
        }
    });

    it("status and env with nothing up: exit 1, saying the cluster is down and how to bring it up", () => {
        const status = run(["status"], env);
        assert.equal(status.status, 1, status.out);
        assert.match(status.out, /down \(no state at/);
        const e = run(["env"], env);
        assert.equal(e.status, 1, e.out);
        assert.match(e.out, /npm run e2e:node -- up/);
    });

    it("the second node's arguments: a bad count or node is refused (exit 2) before anything is touched", () => {
        for (const [args, message] of [
            [["up", "--clusters", "3"], /--clusters takes 1 or 2, not '3'/],
            [["up", "--nodes", "2"], /up: unknown arguments '--nodes 2'/],
            [["up", "--clusters"], /up: unknown arguments '--clusters'/],
            [["down", "--node", "1"], /--node takes 2/],
            [["env", "--node", "3"], /no node '3' \(1 or 2\)/],
            [["status", "--node", "2", "extra"], /status: unknown arguments '--node 2 extra'/],
            [["snapshot", "--node", "1"], /--node takes 2/],
            [["snapshot", "--all"], /snapshot: unknown arguments '--all'/],
        ] as const) {
            const r = run([...args], env);
            assert.equal(r.status, 2, `${args.join(" ")}: ${r.out}`);
            assert.match(r.out, message);
        }
        assert.ok(!fs.existsSync(env.APP_COUPLING_NODE_DIR!) && !fs.existsSync(path.join(tmp, "second-node")));
    });

    it("node 2 with nothing up: status and env exit 1 (env naming up --clusters 2), down --node 2 and snapshot --node 2 find nothing", function () {
        const status = run(["status", "--node", "2"], env);
        assert.equal(status.status, 1, status.out);
        assert.match(status.out, /down \(no state at .*second-node\)/);
        const e = run(["env", "--node", "2"], env);
        assert.equal(e.status, 1, e.out);
        assert.match(e.out, /npm run e2e:node -- up --clusters 2/);
        if (process.getuid?.() !== 0) this.skip();
        const down = run(["down", "--node", "2"], env);
        assert.equal(down.status, 0, down.out);
        assert.match(down.out, /nothing to do: no node state at .*second-node/);
        const snap = run(["snapshot", "--node", "2"], env);
        assert.equal(snap.status, 0, snap.out);
        assert.equal(snap.out.replace(/^link acnode2\n|^route .* dev acnode2\n/gm, ""), "",
            "node 2's snapshot lists something (other than its fixed link and routes, which a node 2 someone else has up would show)");
    });

    it("snapshot lists every sysctl the node changes (the baseline down restores)", function () {
        if (process.getuid?.() !== 0) this.skip();
        const r = run(["snapshot"], env);
        assert.equal(r.status, 0, r.out);
        for (const s of ["net.ipv4.ip_forward", "kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "net.bridge.bridge-nf-call-iptables"]) {
            assert.match(r.out, new RegExp(`^sysctl ${s.replace(/\./g, "\\.")}=\\S+$`, "m"), `no ${s} in:\n${r.out}`);
        }
        // (nothing else is asserted: links, cgroups, chains and the pods' network namespaces go
        // by fixed names, so a node someone else has up on this machine shows there)
    });
});

describe("e2e:tools node parts (scripts/e2e-tools.sh)", () => {
    it("accepts the node's tools by name and refuses an unknown one before building anything", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-tools-spec-"));
        try {
            const help = spawnSync("bash", [toolsScript, "--help"], { encoding: "utf8", env: { ...process.env, APP_COUPLING_TOOLS: tmp } });
            assert.equal(help.status, 0, help.stderr);
            assert.match(help.stdout, /kube-node coredns local-path node-debs node-images/);
            const bad = spawnSync("bash", [toolsScript, "kubelet"], { encoding: "utf8", env: { ...process.env, APP_COUPLING_TOOLS: tmp } });
            assert.equal(bad.status, 1);
            assert.match(bad.stderr, /unknown argument: kubelet/);
            assert.deepEqual(fs.readdirSync(path.join(tmp, "bin")), [], "something was built");
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
