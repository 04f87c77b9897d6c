// echo.py as a real process serving real files (and a real upstream) on 127.0.0.1.
// See DESIGN.md, "The images' contract".
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { cleanupRegistry, exited, freePort, GiveUp, OC_UID, openShiftRun, OTHER_UID, python, request, sleep, waitUntil } from "./processes";

const ECHO = path.resolve(__dirname, "..", "images", "echo", "echo.py");
const PYTHON = python();
// As OC_UID with no passwd entry, group 0, no HOME, if this machine allows (see ./processes.ts).
const { as: OC_AS, note: OC_NOTE } = openShiftRun();

// ---- helpers (the process and HTTP ones are shared, in ./processes.ts) -----------------

const { tempDir, trackChild, trackServer, cleanup } = cleanupRegistry("echo-test-");

interface Echo {
    child: ChildProcess;
    port: number;
    stderr: () => string;
}

/** How to run echo: which interpreter and script, as whom, from where. */
interface RunAs {
    python?: string;
    script?: string;
    uid?: number;
    gid?: number;
    cwd?: string;
}

function spawnOptions(run: RunAs) {
    return {
        ...(run.cwd ? { cwd: run.cwd } : {}),
        ...(run.uid !== undefined ? { uid: run.uid, gid: run.gid } : {}),
    };
}

async function startEcho(env: Record<string, string>, run: RunAs = {}): Promise<Echo> {
    const port = await freePort();
    const child = spawn(run.python ?? PYTHON, [run.script ?? ECHO], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port), ...env },
        stdio: ["ignore", "ignore", "pipe"],
        ...spawnOptions(run),
    });
    trackChild(child);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    await waitUntil(`echo on port ${port}`, async () => {
        if (child.exitCode !== null) throw new GiveUp(`echo exited ${child.exitCode}: ${stderr}`);
        return (await request(port, "/healthz")).status === 200;
    });
    return { child, port, stderr: () => stderr };
}

async function probe(port: number, urlPath: string, run: RunAs = {}): Promise<number | null> {
    const child = spawn(run.python ?? PYTHON, [run.script ?? ECHO, "--probe", urlPath], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port) },
        stdio: "ignore",
        ...spawnOptions(run),
    });
    trackChild(child);
    return (await exited(child, 5000)).code;
}


// ---- the specs --------------------------------------------------------------------------

describe("images/echo/echo.py", function () {
    // Scoped to this file's tests (a top-level hook would run after every spec).
    afterEach(function () {
        return cleanup();
    });

    describe("file mode", function () {
        it("serves the exact file at /data; /healthz is 200; /ready follows the file", async function () {
            const dir = tempDir();
            const echo = await startEcho({ DATA_DIR: dir });

            assert.equal((await request(echo.port, "/healthz")).body, "ok\n");
            assert.equal((await request(echo.port, "/ready")).status, 503, "no file yet");
            assert.equal((await request(echo.port, "/data")).status, 503, "no file yet");

            const content = Array.from({ length: 1000 }, (_, i) => String((i * 7919) % 32768)).join("\n") + "\n";
            fs.writeFileSync(path.join(dir, "data"), content);
            assert.equal((await request(echo.port, "/ready")).status, 200);
            const res = await request(echo.port, "/data");
            assert.equal(res.status, 200);
            assert.equal(res.body, content);
            assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
            assert.equal(res.headers["content-length"], String(Buffer.byteLength(content)));
            assert.equal(res.headers["cache-control"], "no-store");
        });

        it("notices appends and atomic replacement of the file (no stale cache)", async function () {
            const dir = tempDir();
            const file = path.join(dir, "data");
            fs.writeFileSync(file, "1\n");
            const echo = await startEcho({ DATA_DIR: dir });
            assert.equal((await request(echo.port, "/data")).body, "1\n");
            fs.appendFileSync(file, "2\n");
            assert.equal((await request(echo.port, "/data")).body, "1\n2\n");
            // Same size, new inode: what the generator's trim (write temp + rename) does.
            fs.writeFileSync(path.join(dir, "tmp"), "3\n4\n");
            fs.renameSync(path.join(dir, "tmp"), file);
            assert.equal((await request(echo.port, "/data")).body, "3\n4\n");
        });

        it("answers 404 for every other path: no listing, no traversal", async function () {
            const dir = tempDir();
            fs.writeFileSync(path.join(dir, "data"), "7\n");
            fs.writeFileSync(path.join(dir, "secret"), "do not serve\n");
            const echo = await startEcho({ DATA_DIR: dir });
            for (const p of ["/", "/data/", "/../etc/passwd", "/foo", "/secret", "/data/../secret", "/data%2f", "/%2e%2e/etc/passwd"]) {
                const res = await request(echo.port, p);
                assert.equal(res.status, 404, `${p} should be 404`);
                assert.ok(!res.body.includes("do not serve") && !res.body.includes("root:"), `${p} leaked`);
            }
        });

        it("supports HEAD with the same headers and no body", async function () {
            const dir = tempDir();
            fs.writeFileSync(path.join(dir, "data"), "123\n456\n");
            const echo = await startEcho({ DATA_DIR: dir });
            const head = await request(echo.port, "/data", "HEAD");
            assert.equal(head.status, 200);
            assert.equal(head.body, "");
            assert.equal(head.headers["content-length"], "8");
            assert.equal((await request(echo.port, "/healthz", "HEAD")).status, 200);
            assert.equal((await request(echo.port, "/ready", "HEAD")).status, 200);
            assert.equal((await request(echo.port, "/nope", "HEAD")).status, 404);
        });

        it("keeps connections alive (HTTP/1.1)", async function () {
            const dir = tempDir();
            fs.writeFileSync(path.join(dir, "data"), "5\n");
            const echo = await startEcho({ DATA_DIR: dir });
            const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
            const sockets = new Set<net.Socket>();
            try {
                for (let i = 0; i < 3; i++) {
                    await new Promise<void>((resolve, reject) => {
                        const req = http.get({ host: "127.0.0.1", port: echo.port, path: "/data", agent }, (res) => {
                            sockets.add(res.socket);
                            res.resume();
                            res.on("end", () => resolve());
                        });
                        req.on("error", reject);
                    });
                }
            } finally {
                agent.destroy();
            }
            assert.equal(sockets.size, 1, "three requests should share one connection");
        });

        it("exits 0 within 1 s of SIGTERM, even with an idle keep-alive connection open", async function () {
            const dir = tempDir();
            const echo = await startEcho({ DATA_DIR: dir });
            const idle = net.connect(echo.port, "127.0.0.1");
            idle.on("error", () => undefined);
            await new Promise((r) => idle.once("connect", r));
            const t0 = Date.now();
            echo.child.kill("SIGTERM");
            assert.equal((await exited(echo.child, 1000)).code, 0);
            assert.ok(Date.now() - t0 < 1000);
            idle.destroy();
        });

        it("--probe PATH exits 0 on 200 and 1 otherwise", async function () {
            const dir = tempDir();
            const echo = await startEcho({ DATA_DIR: dir });
            assert.equal(await probe(echo.port, "/healthz"), 0);
            assert.equal(await probe(echo.port, "healthz"), 0, "the leading slash is optional");
            assert.equal(await probe(echo.port, "/ready"), 1, "503 before the file exists");
            assert.equal(await probe(echo.port, "/nope"), 1);
            echo.child.kill("SIGTERM");
            await exited(echo.child, 1000);
            assert.equal(await probe(echo.port, "/healthz"), 1, "nothing listening");
        });

        it(`works OpenShift-style ${OC_NOTE}: no HOME, data dir of another user, group 0, group-readable`, async function () {
            const base = tempDir();
            fs.chmodSync(base, 0o755);
            // The script sits where any UID can read it (the repo may not be traversable).
            const script = path.join(base, "echo.py");
            fs.copyFileSync(ECHO, script);
            fs.chmodSync(script, 0o755);
            // A data dir owned by someone else, group 0, readable (not writable) by the group:
            // echo must need nothing but group read access.
            const dir = path.join(base, "data-dir");
            fs.mkdirSync(dir);
            fs.chmodSync(dir, 0o750);
            if (OC_AS) fs.chownSync(dir, OTHER_UID, 0);
            const run: RunAs = { python: OC_AS?.python ?? PYTHON, script, cwd: "/", ...(OC_AS ? { uid: OC_AS.uid, gid: OC_AS.gid } : {}) };
            // Env: PATH and the app's own variables only; HOME deliberately absent.
            const echo = await startEcho({ DATA_DIR: dir }, run);
            if (OC_AS) {
                const status = fs.readFileSync(`/proc/${echo.child.pid}/status`, "utf8");
                assert.match(status, new RegExp(`^Uid:\\s+${OC_UID}\\s`, "m"), "echo runs as the arbitrary UID");
                assert.match(status, /^Gid:\s+0\s/m, "echo runs in group 0");
            }
            assert.equal((await request(echo.port, "/ready")).status, 503, "no file yet");

            const file = path.join(dir, "data");
            fs.writeFileSync(file, "12\n345\n6789\n");
            fs.chmodSync(file, 0o640);
            if (OC_AS) fs.chownSync(file, OTHER_UID, 0);
            await waitUntil("ready", async () => (await request(echo.port, "/ready")).status === 200);
            const res = await request(echo.port, "/data");
            assert.equal(res.status, 200, echo.stderr());
            assert.equal(res.body, "12\n345\n6789\n");
            assert.equal((await request(echo.port, "/healthz")).status, 200);
            // The probe the kubelet would exec runs as the same UID, with the same nothing.
            assert.equal(await probe(echo.port, "/ready", run), 0);
            echo.child.kill("SIGTERM");
            assert.equal((await exited(echo.child, 1000)).code, 0);
            assert.deepEqual(fs.readdirSync(dir), ["data"], "echo wrote nothing");
        });

        it("refuses a bad PORT with exit code 2", async function () {
            const child = spawn(PYTHON, [ECHO], { env: { PATH: process.env.PATH, PORT: "http" }, stdio: "ignore" });
            trackChild(child);
            assert.equal((await exited(child, 5000)).code, 2);
        });
    });

    describe("signals and listening", function () {
        it("catches SIGTERM before its slow start-up imports, even where SIGTERM starts out ignored (PID 1)", async function () {
            // As PID 1 in a container a signal without a handler is dropped: a pod stopped
            // right after start used to wait for SIGKILL. `trap '' TERM` + exec gives python
            // the same starting point. A stand-in `socketserver` module first on PYTHONPATH
            // (one of the imports that follow the handlers, and pure Python) marks that start-up has reached the
            // imports and then blocks there, so the SIGTERM below arrives mid-import however
            // fast or slow the machine is; echo must exit 0 at once, never having served.
            const preloaded = spawnSync(PYTHON, ["-c", "import sys; print('socketserver' in sys.modules)"], { encoding: "utf8" });
            if (preloaded.stdout.trim() !== "False") this.skip(); // this Python's site already imports it: no stand-in possible
            const dir = tempDir();
            const shim = tempDir();
            const reached = path.join(shim, "reached-imports");
            fs.writeFileSync(path.join(shim, "socketserver.py"),
                `import time\nopen(${JSON.stringify(reached)}, "w").close()\ntime.sleep(60)\n`);
            const port = await freePort();
            const child = spawn("sh", ["-c", "trap '' TERM; exec \"$0\" \"$@\"", PYTHON, ECHO], {
                env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port), DATA_DIR: dir, PYTHONPATH: shim },
                stdio: ["ignore", "ignore", "pipe"],
            });
            trackChild(child);
            let stderr = "";
            child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
            await waitUntil("echo reaching its imports", () => {
                if (child.exitCode !== null) throw new GiveUp(`echo exited before it reached its imports: ${stderr}`);
                return fs.existsSync(reached);
            }, 60_000, 20);
            child.kill("SIGTERM");
            const done = await exited(child, 5000);
            assert.deepEqual(done, { code: 0, signal: null }, stderr);
            assert.ok(!stderr.includes("serving"), `echo served before it stopped: ${stderr}`);
        });

        it("listens on IPv6 and IPv4 (one dual-stack socket)", async function () {
            const hasV6 = await new Promise<boolean>((resolve) => {
                const s = net.createServer().once("error", () => resolve(false));
                s.listen(0, "::1", () => s.close(() => resolve(true)));
            });
            if (!hasV6) this.skip(); // no IPv6 loopback on this machine
            const dir = tempDir();
            fs.writeFileSync(path.join(dir, "data"), "7\n");
            const echo = await startEcho({ DATA_DIR: dir });
            for (const host of ["127.0.0.1", "::1"]) {
                const body = await new Promise<string>((resolve, reject) => {
                    http.get({ host, port: echo.port, path: "/data" }, (res) => {
                        let b = "";
                        res.on("data", (d: Buffer) => (b += d.toString()));
                        res.on("end", () => resolve(`${res.statusCode} ${b}`));
                    }).on("error", reject);
                });
                assert.equal(body, "200 7\n", `over ${host}`);
            }
        });
    });

    describe("upstream mode (UPSTREAM_URL)", function () {
        // A tiny upstream we can stop at will; it counts the requests it serves.
        async function startUpstream(body: string): Promise<{ port: number; hits: () => number; server: http.Server }> {
            let hits = 0;
            const server = http.createServer((req, res) => {
                hits++;
                if (req.url !== "/data") {
                    res.writeHead(404).end();
                    return;
                }
                res.writeHead(200, { "Content-Type": "text/plain" }).end(body);
            });
            trackServer(server);
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            return { port: (server.address() as net.AddressInfo).port, hits: () => hits, server };
        }

        it("serves the upstream's /data, cached, then the last good copy with a Warning when it is gone", async function () {
            const up = await startUpstream("11\n22\n");
            const echo = await startEcho({
                UPSTREAM_URL: `http://127.0.0.1:${up.port}/`, // a trailing slash is tolerated
                UPSTREAM_CACHE_SECONDS: "0.3",
                UPSTREAM_TIMEOUT_SECONDS: "0.5",
            });
            // the first copy is fetched in the background: /ready turns 200 without waiting on it
            await waitUntil("ready", async () => (await request(echo.port, "/ready")).status === 200);
            const fresh = await request(echo.port, "/data");
            assert.equal(fresh.status, 200);
            assert.equal(fresh.body, "11\n22\n");
            assert.equal(fresh.headers.warning, undefined);

            // Within the cache period echo does not call the upstream again.
            const before = up.hits();
            for (let i = 0; i < 5; i++) await request(echo.port, "/data");
            assert.ok(up.hits() - before <= 1, `upstream hit ${up.hits() - before} times for 5 requests`);

            up.server.closeAllConnections();
            await new Promise((r) => up.server.close(r));
            await sleep(400); // let the cache expire
            const stale = await request(echo.port, "/data");
            assert.equal(stale.status, 200);
            assert.equal(stale.body, "11\n22\n");
            assert.equal(stale.headers.warning, '110 - "stale: upstream unavailable"');
            assert.equal((await request(echo.port, "/ready")).status, 200, "it has data to serve");
        });

        it("answers /ready at once from what it holds while the upstream accepts and never answers", async function () {
            const held: net.Socket[] = [];
            const silent = net.createServer((sock) => held.push(sock)); // accept, say nothing
            trackServer(silent as unknown as http.Server);
            await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
            const port = (silent.address() as net.AddressInfo).port;
            try {
                const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${port}`, UPSTREAM_TIMEOUT_SECONDS: "1" });
                for (let i = 0; i < 3; i++) {
                    const t0 = Date.now();
                    assert.equal((await request(echo.port, "/ready")).status, 503);
                    assert.ok(Date.now() - t0 < 200, `/ready took ${Date.now() - t0} ms`);
                }
                const t0 = Date.now();
                assert.equal((await request(echo.port, "/data")).status, 502);
                assert.ok(Date.now() - t0 < 1500, `/data took ${Date.now() - t0} ms (timeout 1 s)`);
            } finally {
                for (const sock of held) sock.destroy();
            }
        });

        it("bounds /data by the timeout even when name resolution hangs", async function () {
            // A resolver that never answers, in-process: getaddrinfo blocks for 30 s.
            const port = await freePort();
            const hang = "import runpy, socket, sys, time\n" +
                "socket.getaddrinfo = lambda *a, **k: time.sleep(30)\n" +
                `sys.argv = [${JSON.stringify(ECHO)}]\n` +
                `runpy.run_path(${JSON.stringify(ECHO)}, run_name="__main__")\n`;
            const child = spawn(PYTHON, ["-c", hang], {
                env: {
                    PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port),
                    UPSTREAM_URL: "http://upstream.invalid:8080", UPSTREAM_TIMEOUT_SECONDS: "0.5",
                },
                stdio: "ignore",
            });
            trackChild(child);
            await waitUntil(`echo on port ${port}`, async () => (await request(port, "/healthz")).status === 200);
            const t0 = Date.now();
            assert.equal((await request(port, "/data")).status, 502);
            assert.ok(Date.now() - t0 < 1500, `/data took ${Date.now() - t0} ms (timeout 0.5 s)`);
            const t1 = Date.now();
            assert.equal((await request(port, "/ready")).status, 503);
            assert.ok(Date.now() - t1 < 200, `/ready took ${Date.now() - t1} ms`);
        });

        it("works against another echo in file mode", async function () {
            const dir = tempDir();
            fs.writeFileSync(path.join(dir, "data"), "31\n32767\n0\n");
            const upstream = await startEcho({ DATA_DIR: dir });
            const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${upstream.port}` });
            const res = await request(echo.port, "/data");
            assert.equal(res.status, 200);
            assert.equal(res.body, "31\n32767\n0\n");
        });

        it("returns 502 and is not ready when the upstream never answered", async function () {
            const deadPort = await freePort(); // nothing listens there
            const echo = await startEcho({
                UPSTREAM_URL: `http://127.0.0.1:${deadPort}`,
                UPSTREAM_TIMEOUT_SECONDS: "0.5",
            });
            assert.equal((await request(echo.port, "/data")).status, 502);
            assert.equal((await request(echo.port, "/ready")).status, 503);
            assert.equal((await request(echo.port, "/healthz")).status, 200, "alive all the same");
            assert.equal(await probe(echo.port, "/ready"), 1);
        });

        it("treats an upstream error status as a failure (502 without a good copy)", async function () {
            const server = http.createServer((_req, res) => res.writeHead(500).end("boom"));
            trackServer(server);
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            const port = (server.address() as net.AddressInfo).port;
            const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${port}` });
            const res = await request(echo.port, "/data");
            assert.equal(res.status, 502);
            assert.ok(!res.body.includes("boom"));
        });

        it(`works OpenShift-style ${OC_NOTE}: no HOME, nothing writable`, async function () {
            const up = await startUpstream("4\n8\n15\n");
            const base = tempDir();
            fs.chmodSync(base, 0o755);
            const script = path.join(base, "echo.py");
            fs.copyFileSync(ECHO, script);
            fs.chmodSync(script, 0o755);
            const run: RunAs = { python: OC_AS?.python ?? PYTHON, script, cwd: "/", ...(OC_AS ? { uid: OC_AS.uid, gid: OC_AS.gid } : {}) };
            // No DATA_DIR either, and cwd "/": in upstream mode echo writes nowhere (as the
            // arbitrary UID nothing it can see is writable: base is root's, mode 0755).
            const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${up.port}` }, run);
            if (OC_AS) {
                const status = fs.readFileSync(`/proc/${echo.child.pid}/status`, "utf8");
                assert.match(status, new RegExp(`^Uid:\\s+${OC_UID}\\s`, "m"), "echo runs as the arbitrary UID");
            }
            await waitUntil("ready", async () => (await request(echo.port, "/ready")).status === 200);
            const res = await request(echo.port, "/data");
            assert.equal(res.status, 200, echo.stderr());
            assert.equal(res.body, "4\n8\n15\n");
            assert.equal(await probe(echo.port, "/ready", run), 0);
            echo.child.kill("SIGTERM");
            assert.equal((await exited(echo.child, 1000)).code, 0);
            assert.deepEqual(fs.readdirSync(base), ["echo.py"], "echo wrote nothing");
        });

        it("treats a body cut short of its Content-Length as a failure, and keeps fetching", async function () {
            let cut = true;
            const server = http.createServer((req, res) => {
                if (cut) {
                    req.socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n1\n2\n"); // then hangs up
                } else {
                    res.writeHead(200).end("1\n2\n3\n");
                }
            });
            trackServer(server);
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            const echo = await startEcho({
                UPSTREAM_URL: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
                UPSTREAM_CACHE_SECONDS: "0.1", UPSTREAM_TIMEOUT_SECONDS: "1",
            });
            assert.equal((await request(echo.port, "/data")).status, 502, "a truncated copy is no copy");
            cut = false;
            await waitUntil("a whole copy after the cut-off one", async () => (await request(echo.port, "/data")).body === "1\n2\n3\n");
        });
    });

    // The largest accepted maxLines is 10,000,000 lines (57 MB); a scaled-down file makes the
    // same point quickly: what echo holds must not grow with the file or with the readers.
    describe("large files: memory does not grow with the file or the readers", function () {
        const READERS = 10;
        const LINES = 3_000_000; // about 17 MB

        function bigFile(dir: string, seed = 1): { file: string; size: number; sha: string } {
            const block = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${(i * 7919 + seed) % 32768}\n`).join(""));
            const content = Buffer.concat([Buffer.from(`${seed}\n`), ...Array.from({ length: LINES / 1000 }, () => block)]);
            const file = path.join(dir, "data");
            fs.writeFileSync(file, content);
            return { file, size: content.length, sha: crypto.createHash("sha256").update(content).digest("hex") };
        }

        /** One GET, the body hashed as it streams (never held whole here). */
        function getHashed(port: number): Promise<{ status: number; length: number; contentLength: number; sha: string }> {
            return new Promise((resolve, reject) => {
                const req = http.get({ host: "127.0.0.1", port, path: "/data", agent: false }, (res) => {
                    const hash = crypto.createHash("sha256");
                    let length = 0;
                    res.on("data", (c: Buffer) => { hash.update(c); length += c.length; });
                    res.on("end", () => resolve({
                        status: res.statusCode ?? 0, length, contentLength: Number(res.headers["content-length"]), sha: hash.digest("hex"),
                    }));
                    res.on("error", reject);
                });
                req.on("error", reject);
                req.setTimeout(60_000, () => req.destroy(new Error("GET /data: no progress for 60 s")));
            });
        }

        const statusKiB = (pid: number, field: string) =>
            Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

        /** READERS concurrent GETs, twice each; returns how far echo's resident set rose above where it was before /data was asked. */
        async function riseUnderReaders(echo: Echo, expected: { size: number; sha: string }): Promise<number> {
            const before = statusKiB(echo.child.pid!, "VmRSS");
            for (let round = 0; round < 2; round++) {
                const replies = await Promise.all(Array.from({ length: READERS }, () => getHashed(echo.port)));
                for (const r of replies) assert.deepEqual(r, { status: 200, length: expected.size, contentLength: expected.size, sha: expected.sha });
            }
            return (statusKiB(echo.child.pid!, "VmHWM") - before) * 1024;
        }

        before(function () {
            if (!fs.existsSync("/proc/self/status")) this.skip(); // resident set sizes come from /proc
        });

        it(`file mode: ${READERS} concurrent readers of a ${LINES}-line file raise echo's memory by far less than the file`, async function () {
            this.timeout(120_000);
            const dir = tempDir();
            const data = bigFile(dir);
            const echo = await startEcho({ DATA_DIR: dir });
            const rise = await riseUnderReaders(echo, data);
            assert.ok(rise < data.size / 4, `resident set rose ${(rise / 2 ** 20).toFixed(1)} MiB serving a ${(data.size / 2 ** 20).toFixed(1)} MiB file`);
        });

        it(`upstream mode with CACHE_DIR: ${READERS} concurrent readers raise echo's memory by far less than the file`, async function () {
            this.timeout(120_000);
            const dir = tempDir();
            const data = bigFile(dir);
            const upstream = await startEcho({ DATA_DIR: dir });
            const cache = tempDir();
            const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${upstream.port}`, CACHE_DIR: cache, UPSTREAM_TIMEOUT_SECONDS: "30" });
            await waitUntil("ready", async () => (await request(echo.port, "/ready")).status === 200, 30_000);
            const rise = await riseUnderReaders(echo, data);
            assert.ok(rise < data.size / 4, `resident set rose ${(rise / 2 ** 20).toFixed(1)} MiB serving a ${(data.size / 2 ** 20).toFixed(1)} MiB copy`);
            assert.deepEqual(fs.readdirSync(cache), [], "the copy is an unnamed file: nothing left behind to clean up");
        });

        it("upstream mode in memory: never more than two copies, however slow the readers and frequent the fetches", async function () {
            this.timeout(120_000);
            const dir = tempDir();
            const data = bigFile(dir);
            const upstream = await startEcho({ DATA_DIR: dir });
            const echo = await startEcho({ UPSTREAM_URL: `http://127.0.0.1:${upstream.port}`, UPSTREAM_CACHE_SECONDS: "0", UPSTREAM_TIMEOUT_SECONDS: "30" });
            await waitUntil("ready", async () => (await request(echo.port, "/ready")).status === 200, 30_000);
            const copies = () => {
                const inodes = new Set<number>();
                for (const fd of fs.readdirSync(`/proc/${echo.child.pid}/fd`)) {
                    try {
                        if (fs.readlinkSync(`/proc/${echo.child.pid}/fd/${fd}`).startsWith("/memfd:")) inodes.add(fs.statSync(`/proc/${echo.child.pid}/fd/${fd}`).ino);
                    } catch { /* closed meanwhile */ }
                }
                return inodes.size;
            };
            let most = 0;
            const sampler = setInterval(() => (most = Math.max(most, copies())), 25);
            // /ready starts a fetch in the background whenever none runs: fetches go on all the time
            const poker = setInterval(() => void request(echo.port, "/ready").catch(() => undefined), 20);
            try {
                // readers that pause mid-body, so that older copies stay in use while fetches go on
                await Promise.all(Array.from({ length: READERS }, () => new Promise<void>((resolve, reject) => {
                    http.get({ host: "127.0.0.1", port: echo.port, path: "/data", agent: false }, (res) => {
                        let length = 0;
                        let paused = false;
                        res.on("data", (c: Buffer) => {
                            length += c.length;
                            if (paused || length < data.size / 2) return;
                            paused = true; // once, half-way: this copy stays in use meanwhile
                            res.pause();
                            setTimeout(() => res.resume(), 500);
                        });
                        res.on("end", () => (length === data.size ? resolve() : reject(new Error(`${length} of ${data.size} bytes`))));
                    }).on("error", reject);
                })));
            } finally {
                clearInterval(sampler);
                clearInterval(poker);
            }
            assert.ok(most >= 1, "the copy is a memfd");
            assert.ok(most <= 2, `${most} copies held at once`);
        });

        it("sends a consistent snapshot: the file replaced or appended to mid-response changes nothing in it", async function () {
            this.timeout(120_000);
            const dir = tempDir();
            const data = bigFile(dir);
            const echo = await startEcho({ DATA_DIR: dir });
            for (const change of ["rename", "append"] as const) {
                const reply = await new Promise<{ length: number; contentLength: number; sha: string }>((resolve, reject) => {
                    http.get({ host: "127.0.0.1", port: echo.port, path: "/data", agent: false }, (res) => {
                        const hash = crypto.createHash("sha256");
                        let length = 0;
                        let changed = false;
                        res.on("data", (c: Buffer) => {
                            hash.update(c);
                            length += c.length;
                            if (changed) return;
                            changed = true; // with most of the body still to come
                            if (change === "rename") {
                                fs.writeFileSync(path.join(dir, "next"), "1\n2\n");
                                fs.renameSync(path.join(dir, "next"), data.file);
                            } else {
                                fs.appendFileSync(data.file, "7\n".repeat(1000));
                            }
                        });
                        res.on("end", () => resolve({ length, contentLength: Number(res.headers["content-length"]), sha: hash.digest("hex") }));
                    }).on("error", reject);
                });
                assert.deepEqual(reply, { length: data.size, contentLength: data.size, sha: data.sha }, change);
                Object.assign(data, bigFile(dir, 2)); // a fresh file for the next change
            }
        });
    });
});
