// app.sh (the combined image's entrypoint) as a real process, with generator.sh and
// echo.py laid out next to it as in the image (/app/). See DESIGN.md.
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { alive, cleanupRegistry, exited, freePort, GiveUp, OC_UID, openShiftRun, OTHER_UID, python, request, waitUntil } from "./processes";

const IMAGES = path.resolve(__dirname, "..", "images");
const SCRIPTS = ["generator/generator.sh", "echo/echo.py", "app/app.sh"];
const PYTHON = python();
// As OC_UID with no passwd entry, group 0, no HOME, if this machine allows (see ./processes.ts).
const { as: OC_AS, note: OC_NOTE } = openShiftRun();

// ---- helpers (the process and HTTP ones are shared, in ./processes.ts) -----------------

const { tempDir, trackChild, trackPids, cleanup } = cleanupRegistry("app-test-");

/** Direct children of pid, from /proc (Linux), as [pid, command line]. */
function childrenOf(pid: number): [number, string][] {
    const out: [number, string][] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            if (ppid === pid) {
                out.push([Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ")]);
            }
        } catch {
            // the process went away meanwhile
        }
    }
    return out;
}

interface App {
    child: ChildProcess;
    port: number;
    env: Record<string, string>;
    dir: string;
    script: string;
    generatorPid: number;
    echoPid: number;
}

interface StartOptions {
    /** Run app.sh as this user (HOME is never set), with this interpreter. */
    as?: { uid: number; gid: number; python: string };
    /** Adjust the (empty) data dir before start: ownership, mode. */
    prepareDataDir?: (dir: string) => void;
}

/** Lay the scripts out as in the image (/app/*), then start app.sh under dash. */
async function startApp(opts: StartOptions = {}): Promise<App> {
    const base = tempDir();
    fs.chmodSync(base, 0o755); // mkdtemp makes it 0700; another UID must reach app/ and data/
    const appDir = path.join(base, "app");
    const dataDir = path.join(base, "data");
    fs.mkdirSync(appDir);
    fs.mkdirSync(dataDir);
    for (const s of SCRIPTS) {
        fs.copyFileSync(path.join(IMAGES, s), path.join(appDir, path.basename(s)));
        fs.chmodSync(path.join(appDir, path.basename(s)), 0o755);
    }
    opts.prepareDataDir?.(dataDir);
    const port = await freePort();
    const env = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PYTHON: opts.as?.python ?? PYTHON, // app.sh's override of the interpreter name; the image just has python3
        PORT: String(port),
        DATA_DIR: dataDir,
        INTERVAL_SECONDS: "0.1",
    };
    const script = path.join(appDir, "app.sh");
    const child = spawn("dash", [script], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
        ...(opts.as ? { uid: opts.as.uid, gid: opts.as.gid, cwd: "/" } : {}),
    });
    trackChild(child);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));

    let kids: [number, string][] = [];
    await waitUntil("generator and echo to start", () => {
        if (child.exitCode !== null) throw new GiveUp(`app.sh exited ${child.exitCode}: ${stderr}`);
        kids = childrenOf(child.pid!);
        return kids.some(([, c]) => c.includes("generator.sh")) && kids.some(([, c]) => c.includes("echo.py"));
    });
    const generatorPid = kids.find(([, c]) => c.includes("generator.sh"))![0];
    const echoPid = kids.find(([, c]) => c.includes("echo.py"))![0];
    trackPids(generatorPid, echoPid);
    await waitUntil("echo to answer", async () => {
        if (child.exitCode !== null) throw new GiveUp(`app.sh exited ${child.exitCode}: ${stderr}`);
        return (await request(port, "/healthz")).status === 200;
    });
    return { child, port, env, dir: dataDir, script, generatorPid, echoPid };
}


// ---- the specs --------------------------------------------------------------------------

describe("images/app/app.sh", function () {
    // Scoped to this file's tests (a top-level hook would run after every spec).
    afterEach(function () {
        return cleanup();
    });

    /** Wait for a few of the generator's numbers at /data; then /ready must be 200 too. */
    async function assertServesNumbers(app: App): Promise<void> {
        let lines: string[] = [];
        await waitUntil("a few numbers", async () => {
            const res = await request(app.port, "/data");
            lines = res.body.trim().split("\n");
            return res.status === 200 && lines.length >= 3;
        });
        for (const l of lines) {
            assert.match(l, /^\d+$/);
            assert.ok(Number(l) <= 32767);
        }
        assert.equal((await request(app.port, "/ready")).status, 200);
    }

    it("serves the generator's numbers at /data", async function () {
        const app = await startApp();
        await assertServesNumbers(app);
    });

    it("--check passes while both run, and fails once they are gone", async function () {
        const app = await startApp();
        await waitUntil("data file", () => fs.existsSync(path.join(app.dir, "data")));
        const ok = spawnSync("dash", [app.script, "--check"], { env: app.env, encoding: "utf8" });
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);

        app.child.kill("SIGTERM");
        await exited(app.child, 2000);
        const down = spawnSync("dash", [app.script, "--check"], { env: app.env, encoding: "utf8" });
        assert.equal(down.status, 1, "echo no longer answers /healthz");
    });

    it("--check starts no Python (one cold interpreter per liveness probe) and still sees a dead echo", async function () {
        if (spawnSync("busybox", ["true"]).status !== 0) this.skip(); // the image has busybox; this machine may not
        const app = await startApp();
        await waitUntil("data file", () => fs.existsSync(path.join(app.dir, "data")));
        // PYTHON is what app.sh would start: a stand-in that only records that it ran.
        const marker = path.join(app.dir, "python-started");
        const fake = path.join(app.dir, "fake-python");
        fs.writeFileSync(fake, `#!/bin/sh\ntouch '${marker}'\nexit 0\n`, { mode: 0o755 });
        const env = { ...app.env, PYTHON: fake };
        const t0 = Date.now();
        const ok = spawnSync("dash", [app.script, "--check"], { env, encoding: "utf8" });
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);
        assert.ok(!fs.existsSync(marker), "app.sh --check started $PYTHON");
        assert.ok(Date.now() - t0 < 1000, `--check took ${Date.now() - t0} ms`);

        process.kill(app.echoPid, "SIGKILL");
        await waitUntil("echo gone", () => !alive(app.echoPid));
        const down = spawnSync("dash", [app.script, "--check"], { env, encoding: "utf8" });
        assert.equal(down.status, 1, "a dead echo fails the check");
        assert.ok(!fs.existsSync(marker), "app.sh --check started $PYTHON");
    });

    it("exits 0 within 2 s of SIGTERM, leaving neither program running", async function () {
        const app = await startApp();
        const t0 = Date.now();
        app.child.kill("SIGTERM");
        const done = await exited(app.child, 2000);
        assert.equal(done.code, 0);
        assert.ok(Date.now() - t0 < 2000);
        assert.ok(!alive(app.generatorPid), "generator.sh still running");
        assert.ok(!alive(app.echoPid), "echo.py still running");
    });

    const victims = [
        ["generator", (a: App) => a.generatorPid],
        ["echo", (a: App) => a.echoPid],
    ] as const;
    for (const [name, pidOf] of victims) {
        it(`exits non-zero promptly when ${name} dies, and stops the other`, async function () {
            const app = await startApp();
            const t0 = Date.now();
            process.kill(pidOf(app), "SIGKILL");
            const done = await exited(app.child, 2000);
            assert.notEqual(done.code, 0);
            assert.equal(done.signal, null, "app.sh exits by itself, it is not killed");
            assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
            assert.ok(!alive(app.generatorPid), "generator.sh still running");
            assert.ok(!alive(app.echoPid), "echo.py still running");
        });
    }
    it(`works OpenShift-style ${OC_NOTE}: no HOME, data dir of another UID, group 0 writable (g=u)`, async function () {
        // As the images create /data: owned by someone else, chgrp 0, chmod g=u (0775).
        const app = await startApp({
            as: OC_AS,
            prepareDataDir: (dir) => {
                if (OC_AS) fs.chownSync(dir, OTHER_UID, 0);
                fs.chmodSync(dir, 0o775);
            },
        });
        if (OC_AS) {
            for (const pid of [app.child.pid!, app.generatorPid, app.echoPid]) {
                const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
                assert.match(status, new RegExp(`^Uid:\\s+${OC_UID}\\s`, "m"), `pid ${pid} runs as the arbitrary UID`);
                assert.match(status, /^Gid:\s+0\s/m, `pid ${pid} runs in group 0`);
            }
        }
        await assertServesNumbers(app);
        const st = fs.statSync(path.join(app.dir, "data"));
        if (OC_AS) assert.equal(st.uid, OC_UID, "the generator wrote the file as the arbitrary UID");
        assert.ok(st.mode & 0o020, "the data file is group-writable for the next arbitrary UID");
        // The container's probe, exec'd as the same UID with the same bare environment.
        const check = spawnSync("dash", [app.script, "--check"], {
            env: app.env,
            encoding: "utf8",
            ...(OC_AS ? { uid: OC_AS.uid, gid: OC_AS.gid, cwd: "/" } : {}),
        });
        assert.equal(check.status, 0, check.stdout + check.stderr);
        app.child.kill("SIGTERM");
        assert.equal((await exited(app.child, 2000)).code, 0);
        assert.ok(!alive(app.generatorPid), "generator.sh still running");
        assert.ok(!alive(app.echoPid), "echo.py still running");
    });
});
