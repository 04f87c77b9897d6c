// generator.sh as a real process under dash (and busybox ash when available), writing
// real files in temp dirs. See DESIGN.md, "The images' contract".
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AS_ROOT, cleanupRegistry, finished, Finished, OC_GID, OC_UID, sleep, waitUntil } from "./processes";

const GENERATOR = path.resolve(__dirname, "..", "images", "generator", "generator.sh");

// ---- helpers (the process ones are shared, in ./processes.ts) ---------------------------

const { tempDir, trackChild, cleanup } = cleanupRegistry("generator-test-");

function hasCommand(cmd: string[]): boolean {
    return spawnSync(cmd[0], [...cmd.slice(1), "-c", "exit 0"], { stdio: "ignore" }).status === 0;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    // Only PATH from the parent: the scripts must not depend on anything else.
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

function start(shell: string[], args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(shell[0], [...shell.slice(1), GENERATOR, ...args], {
        env: baseEnv(env),
        stdio: ["ignore", "pipe", "pipe"],
    });
    return trackChild(child);
}

function run(shell: string[], args: string[], env: Record<string, string>): Promise<Finished> {
    return finished(start(shell, args, env), 60_000);
}

// The generator is fast to start: poll often.
const waitFor = (what: string, cond: () => boolean) => waitUntil(what, cond, undefined, 25);

function readLines(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

function assertNumbers(lines: string[]): void {
    for (const line of lines) {
        assert.match(line, /^\d+$/, `not an integer line: ${JSON.stringify(line)}`);
        const n = Number(line);
        assert.ok(n >= 0 && n <= 32767, `out of range: ${n}`);
    }
}


// ---- the specs --------------------------------------------------------------------------

// The image runs busybox ash; dash is the strict POSIX shell we always have here.
const shells = [
    { name: "dash", cmd: ["dash"] },
    { name: "busybox ash", cmd: ["busybox", "sh"] },
].map((s) => ({ ...s, available: hasCommand(s.cmd) }));

describe("images/generator/generator.sh", function () {
    // Scoped to this file's tests (a top-level hook would run after every spec).
    afterEach(function () {
        return cleanup();
    });

    it("is present, executable and has a /bin/sh shebang; sh and dash exist", function () {
        const st = fs.statSync(GENERATOR);
        assert.ok(st.mode & 0o111, "generator.sh must be executable");
        assert.equal(fs.readFileSync(GENERATOR, "utf8").split("\n")[0], "#!/bin/sh");
        assert.ok(hasCommand(["sh"]), "sh is required to run these tests");
        assert.ok(hasCommand(["dash"]), "dash is required to run these tests");
    });

    for (const shell of shells) {
        const title = shell.available
            ? `under ${shell.name}`
            : `under ${shell.name} (SKIPPED: \`${shell.cmd.join(" ")}\` is not available here; tests install nothing)`;
        describe(title, function () {
            before(function () {
                if (!shell.available) this.skip();
            });

            it("appends integers 0..32767 at roughly the configured rate", async function () {
                const dir = tempDir();
                const file = path.join(dir, "data");
                start(shell.cmd, [], { DATA_DIR: dir, INTERVAL_SECONDS: "0.1" });
                await waitFor("data file", () => fs.existsSync(file));
                const t0 = Date.now();
                const n0 = readLines(file).length;
                await sleep(2000);
                const lines = readLines(file);
                const elapsed = (Date.now() - t0) / 1000;
                assertNumbers(lines);
                // Nominally 10 lines/s; process start-up per beat slows it a little, a
                // loaded machine more. Assert a generous range, not an exact count.
                const rate = (lines.length - n0) / elapsed;
                assert.ok(rate >= 4 && rate <= 12, `rate ${rate.toFixed(1)} lines/s, expected ~10`);
                // Values vary (uniform over 0..32767: 20 equal draws is ~impossible).
                assert.ok(new Set(lines).size > 1, "numbers should be random");
            });

            it("trims to the newest MAX_LINES atomically and never shows a partial file", async function () {
                const dir = tempDir();
                const file = path.join(dir, "data");
                fs.writeFileSync(file, "1\n2\n3\n"); // existing data is kept, then trimmed
                const child = start(shell.cmd, [], { DATA_DIR: dir, INTERVAL_SECONDS: "0.05", MAX_LINES: "5" });
                const seen: string[][] = [];
                const deadline = Date.now() + 1500;
                while (Date.now() < deadline) {
                    const text = fs.readFileSync(file, "utf8");
                    assert.ok(text === "" || text.endsWith("\n"), `partial line seen: ${JSON.stringify(text)}`);
                    const lines = readLines(file);
                    assert.ok(lines.length <= 5, `file has ${lines.length} lines, MAX_LINES is 5`);
                    assertNumbers(lines);
                    seen.push(lines);
                    await sleep(10);
                }
                assert.deepEqual(seen[0].slice(0, 3), ["1", "2", "3"], "existing lines are kept at start");
                const last = seen[seen.length - 1];
                assert.equal(last.length, 5);
                // The oldest lines are the ones dropped: the last snapshot is a suffix of the
                // sequence, so its first line must not be the seeded "1" any more.
                assert.notDeepEqual(last.slice(0, 3), ["1", "2", "3"]);
                child.kill("SIGTERM");
                await finished(child, 1000);
                const leftovers = fs.readdirSync(dir).filter((f) => f !== "data");
                assert.deepEqual(leftovers, [], "no temp files are left behind");
            });

            for (const signal of ["SIGTERM", "SIGINT"] as const) {
                it(`exits 0 within 1 s of ${signal}`, async function () {
                    const dir = tempDir();
                    // A long interval: the signal arrives while the script sleeps.
                    const child = start(shell.cmd, [], { DATA_DIR: dir, INTERVAL_SECONDS: "30" });
                    await waitFor("data file", () => fs.existsSync(path.join(dir, "data")));
                    await sleep(200);
                    const t0 = Date.now();
                    child.kill(signal);
                    const done = await finished(child, 1000);
                    assert.equal(done.code, 0, `exit code (stderr: ${done.stderr})`);
                    assert.ok(Date.now() - t0 < 1000);
                });
            }

            it("--check passes on a fresh file and fails on a stale or missing one", async function () {
                const dir = tempDir();
                const file = path.join(dir, "data");
                const env = { DATA_DIR: dir, INTERVAL_SECONDS: "2" };

                const missing = await run(shell.cmd, ["--check"], env);
                assert.equal(missing.code, 1);
                assert.match(missing.stdout, /does not exist/);

                fs.writeFileSync(file, "42\n");
                assert.equal((await run(shell.cmd, ["--check"], env)).code, 0);

                // Default limit is max(10, ceil(5 * INTERVAL_SECONDS)) = 10 s here.
                const old = Date.now() / 1000 - 60;
                fs.utimesSync(file, old, old);
                const stale = await run(shell.cmd, ["--check"], env);
                assert.equal(stale.code, 1);
                assert.match(stale.stdout, /last modified \d+s ago \(limit 10s\)/);

                // A slower generator gets a longer limit: 5 * 13 = 65 s.
                assert.equal((await run(shell.cmd, ["--check"], { ...env, INTERVAL_SECONDS: "13" })).code, 0);
                // And STALE_AFTER_SECONDS overrides it.
                assert.equal((await run(shell.cmd, ["--check"], { ...env, STALE_AFTER_SECONDS: "120" })).code, 0);
            });

            it("--check passes while the generator runs", async function () {
                const dir = tempDir();
                const env = { DATA_DIR: dir, INTERVAL_SECONDS: "0.1" };
                start(shell.cmd, [], env);
                await waitFor("data file", () => fs.existsSync(path.join(dir, "data")));
                const check = await run(shell.cmd, ["--check"], env);
                assert.equal(check.code, 0, check.stdout);
            });

            const badEnv: [string, string][] = [
                ["INTERVAL_SECONDS", "abc"],
                ["INTERVAL_SECONDS", "0"],
                ["INTERVAL_SECONDS", "-1"],
                ["INTERVAL_SECONDS", "1.2.3"],
                ["MAX_LINES", "0"],
                ["MAX_LINES", "1.5"],
                ["MAX_LINES", "ten"],
            ];
            for (const [name, value] of badEnv) {
                it(`exits 2 naming the variable when ${name}=${value}`, async function () {
                    const dir = tempDir();
                    const done = await run(shell.cmd, [], { DATA_DIR: dir, [name]: value });
                    assert.equal(done.code, 2);
                    assert.ok(done.stderr.includes(name), `stderr should name ${name}: ${done.stderr}`);
                    assert.ok(!fs.existsSync(path.join(dir, "data")), "nothing is written on bad config");
                });
            }

            it("exits 1 saying so when it cannot create the data file (not the bad-config 2)", async function () {
                // `data` is a directory: the first write fails even for root. Under dash a failed
                // redirection on the special built-in `:` used to end the shell with status 2
                // before the diagnostic printed.
                const dir = tempDir();
                fs.mkdirSync(path.join(dir, "data"));
                const done = await run(shell.cmd, [], { DATA_DIR: dir });
                assert.equal(done.code, 1, done.stderr);
                assert.match(done.stderr, /generator: cannot create .*\/data \(is .* writable by uid \d+ gid \d+\?\)/);
            });

            it("reports a failed write, keeps running and recovers (a full volume is not a crash)", async function () {
                const dir = tempDir();
                const file = path.join(dir, "data");
                const child = start(shell.cmd, [], { DATA_DIR: dir, INTERVAL_SECONDS: "0.05" });
                let stderr = "";
                child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
                await waitFor("a line", () => fs.existsSync(file) && readLines(file).length >= 1);
                // Make the next appends fail: the data file becomes a directory.
                fs.rmSync(file);
                fs.mkdirSync(file);
                await waitFor("the failure reported", () => stderr.includes("cannot append"));
                await sleep(300);
                assert.equal(child.exitCode, null, `generator exited: ${stderr}`);
                assert.equal(stderr.split("cannot append").length - 1, 1, `reported once: ${stderr}`);
                fs.rmdirSync(file);
                await waitFor("writing again", () => fs.existsSync(file) && readLines(file).length >= 2);
                await waitFor("the recovery reported", () => stderr.includes("again"));
                assertNumbers(readLines(file));
                child.kill("SIGTERM");
                assert.equal((await finished(child, 1000)).code, 0);
            });

            it("works OpenShift-style: no HOME, arbitrary UID in group 0, group-writable data dir", async function () {
                const base = tempDir();
                // A group-0-writable data dir, as the images create /data (chgrp 0, chmod g=u).
                const dir = path.join(base, "data-dir");
                fs.mkdirSync(dir);
                fs.chmodSync(base, 0o755);
                fs.chmodSync(dir, 0o775);
                const script = path.join(base, "generator.sh");
                fs.copyFileSync(GENERATOR, script);
                fs.chmodSync(script, 0o755);
                if (AS_ROOT) fs.chownSync(dir, 0, 0);
                const child = spawn(shell.cmd[0], [...shell.cmd.slice(1), script], {
                    // HOME deliberately absent; as root we can also take an arbitrary UID.
                    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DATA_DIR: dir, INTERVAL_SECONDS: "0.1" },
                    cwd: "/",
                    stdio: ["ignore", "pipe", "pipe"],
                    ...(AS_ROOT ? { uid: OC_UID, gid: OC_GID } : {}),
                });
                trackChild(child);
                const file = path.join(dir, "data");
                await waitFor("two lines", () => fs.existsSync(file) && readLines(file).length >= 2);
                assertNumbers(readLines(file));
                const st = fs.statSync(file);
                if (AS_ROOT) assert.equal(st.uid, OC_UID);
                assert.ok(st.mode & 0o020, "the data file is group-writable for the next arbitrary UID");
                child.kill("SIGTERM");
                assert.equal((await finished(child, 1000)).code, 0);
            });
        });
    }

    // The image's tools are busybox applets (Alpine). busybox `tail -n N` holds the N lines
    // in memory (57 MB at the largest maxLines, 10,000,000), where the generator container
    // gets 32Mi; the trim must stream. Shown with busybox's own tools first on PATH and an
    // address-space limit far below the file's size.
    describe("under busybox ash with busybox's own tools, as in the image", function () {
        const busybox = shells.find((x) => x.name === "busybox ash")!;
        let bin = "";
        before(function () {
            if (!busybox.available) this.skip();
            bin = path.join(tempDir(), "bin");
            fs.mkdirSync(bin);
            if (spawnSync("busybox", ["--install", "-s", bin]).status !== 0 || !fs.existsSync(path.join(bin, "tail"))) this.skip();
            // The child's PATH is only the applets, and spawn looks the command up in the
            // child's PATH: name busybox itself there too.
            fs.symlinkSync(fs.realpathSync(path.join(bin, "tail")), path.join(bin, "busybox"));
        });

        it("trims a file far larger than its memory limit: memory does not grow with MAX_LINES", async function () {
            this.timeout(30_000);
            const dir = tempDir();
            const file = path.join(dir, "data");
            const lines = 2_000_000; // 11 MB, under an 8 MiB address-space limit
            const block = Array.from({ length: 1000 }, (_, i) => `${i}\n`).join("");
            fs.writeFileSync(file, "32767\n" + block.repeat(lines / 1000 - 1) + block.split("\n").slice(1).join("\n"));
            assert.equal(readLines(file).length, lines);
            const child = spawn("busybox", ["sh", "-c", 'ulimit -v 8192 && exec sh "$0"', GENERATOR], {
                env: { PATH: bin, DATA_DIR: dir, INTERVAL_SECONDS: "0.1", MAX_LINES: String(lines) },
                stdio: ["ignore", "pipe", "pipe"],
            });
            trackChild(child);
            let stderr = "";
            child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
            // the seeded first line goes with the first trim
            await waitUntil("a trim", () => !fs.readFileSync(file, "utf8").startsWith("32767\n"), 20_000, 100);
            child.kill("SIGTERM");
            assert.equal((await finished(child, 2000)).code, 0, stderr);
            assert.doesNotMatch(stderr, /out of memory|cannot rewrite/);
            const after = readLines(file);
            assert.equal(after.length, lines, "still MAX_LINES lines");
            // the oldest lines went first: the file starts a few lines into the seeded 0, 1, 2, ...
            const first = Number(after[0]);
            assert.ok(first < 900 && after[1] === String(first + 1) && after[2] === String(first + 2), after.slice(0, 3).join(","));
            assertNumbers(after.slice(-1));
        });
    });
});
