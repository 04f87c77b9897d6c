// app.sh (the combined image's entrypoint) as a real process, with generator.sh and
// echo.py laid out next to it as in the image (/app/). See DESIGN.md.
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const IMAGES = path.resolve(__dirname, "..", "images");
const SCRIPTS = ["generator/generator.sh", "echo/echo.py", "app/app.sh"];
// The real interpreter behind `python3` (a pyenv-style shim costs ~0.2 s per start).
const PYTHON = spawnSync("python3", ["-c", "import sys; print(sys.executable)"]).stdout.toString().trim() || "python3";

// OpenShift runs images as an arbitrary UID with no passwd entry, in group 0, HOME unset.
// Only root can take such a UID; and the interpreter must be usable by it (a pyenv under
// /root, mode 0700, is not), so find one or fall back to the current user with a note.
const OC_UID = 1000620000;
const OC_GID = 0;
const OTHER_UID = 1000610000; // "another user" owning the data dir (say, the image build's)
const AS_ROOT = process.getuid?.() === 0;

function pythonUsableBy(uid: number, gid: number): string | undefined {
    const candidates = [...new Set([PYTHON, "/usr/bin/python3", "/usr/local/bin/python3"])];
    return candidates.find(
        (py) =>
            spawnSync(py, ["-c", "import http.server, urllib.request"], {
                env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
                cwd: "/",
                stdio: "ignore",
                uid,
                gid,
            }).status === 0,
    );
}

const OC_PYTHON = AS_ROOT ? pythonUsableBy(OC_UID, OC_GID) : undefined;
/** How the OpenShift-style test runs: as OC_UID:OC_GID, or as the current user (and why). */
const OC_AS: { uid: number; gid: number; python: string } | undefined = OC_PYTHON
    ? { uid: OC_UID, gid: OC_GID, python: OC_PYTHON }
    : undefined;
const OC_NOTE = OC_AS
    ? `as uid ${OC_UID} gid ${OC_GID} (no passwd entry) with ${OC_AS.python}`
    : AS_ROOT
      ? `NOTE: as the current user (uid ${process.getuid?.()}): no python3 here is usable by uid ${OC_UID}`
      : `NOTE: as the current user (uid ${process.getuid?.()}): not root, so no arbitrary UID`;

// ---- small helpers (each images.*.spec.ts keeps its own: they are few lines) ----------

const children: ChildProcess[] = [];
const pidsToReap: number[] = [];
const tempDirs: string[] = [];

function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "app-test-"));
    tempDirs.push(dir);
    return dir;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.setTimeout(3000, () => req.destroy(new Error("timeout")));
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await cond()) return;
        } catch {
            // not yet
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

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

function exited(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal });
        });
    });
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
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));

    let kids: [number, string][] = [];
    await waitUntil("generator and echo to start", () => {
        if (child.exitCode !== null) throw new Error(`app.sh exited ${child.exitCode}: ${stderr}`);
        kids = childrenOf(child.pid!);
        return kids.some(([, c]) => c.includes("generator.sh")) && kids.some(([, c]) => c.includes("echo.py"));
    });
    const generatorPid = kids.find(([, c]) => c.includes("generator.sh"))![0];
    const echoPid = kids.find(([, c]) => c.includes("echo.py"))![0];
    pidsToReap.push(generatorPid, echoPid);
    await waitUntil("echo to answer", async () => {
        if (child.exitCode !== null) throw new Error(`app.sh exited ${child.exitCode}: ${stderr}`);
        return (await get(port, "/healthz")).status === 200;
    });
    return { child, port, env, dir: dataDir, script, generatorPid, echoPid };
}


// ---- the specs --------------------------------------------------------------------------

describe("images/app/app.sh", function () {
    // Scoped to this file's tests (a top-level hook would run after every spec).
    afterEach(function () {
        for (const c of children.splice(0)) {
            if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        }
        for (const pid of pidsToReap.splice(0)) {
            if (alive(pid)) process.kill(pid, "SIGKILL");
        }
        for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    it("serves the generator's numbers at /data", async function () {
        const app = await startApp();
        let lines: string[] = [];
        await waitUntil("a few numbers", async () => {
            const res = await get(app.port, "/data");
            lines = res.body.trim().split("\n");
            return res.status === 200 && lines.length >= 3;
        });
        for (const l of lines) {
            assert.match(l, /^\d+$/);
            assert.ok(Number(l) <= 32767);
        }
        assert.equal((await get(app.port, "/ready")).status, 200);
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
        let lines: string[] = [];
        await waitUntil("a few numbers", async () => {
            const res = await get(app.port, "/data");
            lines = res.body.trim().split("\n");
            return res.status === 200 && lines.length >= 3;
        });
        for (const l of lines) {
            assert.match(l, /^\d+$/);
            assert.ok(Number(l) <= 32767);
        }
        assert.equal((await get(app.port, "/ready")).status, 200);
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
