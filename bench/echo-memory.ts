// Benchmark: echo's peak memory while concurrent readers fetch the largest data file the
// config accepts (maxLines 10,000,000: about 57 MB), in file mode and in upstream mode.
//
//   npx ts-node --transpile-only bench/echo-memory.ts [--lines N] [--readers N] [--seconds S]
//       [--before PATH]     also measure another echo.py (e.g. an older one) in the same run
//
// "peak RSS" is the kernel's high-water mark of the process's resident set (VmHWM in
// /proc/PID/status), read after the load; "at rest" is VmRSS after start-up and the first
// GET. An in-memory copy (upstream mode without CACHE_DIR: a memfd) is shared memory that
// no mapping holds, so RSS leaves it out: "peak RSS + memfd" adds the memfd files' sizes,
// sampled every 20 ms during the load. Every response is checked: status 200 and exactly
// Content-Length bytes.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { MAX_LINES_LIMIT } from "../components/config";
import { freePort } from "../lib/net";
import { ECHO_PY, stop, waitFor200 } from "./echo-http";
import { formatTable } from "./table";


export interface MemoryOptions {
    lines?: number;
    readers?: number;
    seconds?: number;
    python?: string;
}

export interface MemoryRow {
    script: string;
    mode: string;
    requests: number;
    mebibytesServed: number;
    restMiB: number;
    peakMiB: number;
    /** Peak of RSS plus the process's memfd files, sampled. */
    peakWithMemfdMiB: number;
}

const MiB = 1024 * 1024;

function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!m) throw new Error(`no ${field} for ${pid}`);
    return Number(m[1]);
}

/** VmRSS plus the sizes of the memfd files the process holds open (each file once, however many descriptors), in KiB. */
function rssWithMemfdKiB(pid: number): number {
    const memfds = new Map<number, number>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        try {
            if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("/memfd:")) continue;
            const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
            memfds.set(st.ino, st.size);
        } catch {
            // closed meanwhile
        }
    }
    return statusKiB(pid, "VmRSS") + [...memfds.values()].reduce((a, b) => a + b, 0) / 1024;
}

/** One GET of url, body counted and dropped; resolves with the byte count, checked against Content-Length. */
function fetchCounted(url: string, agent: http.Agent): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get(url, { agent }, (res) => {
            let n = 0;
            res.on("data", (c: Buffer) => (n += c.length));
            res.on("end", () => {
                const expected = Number(res.headers["content-length"]);
                if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
                else if (n !== expected) reject(new Error(`${url}: ${n} bytes for Content-Length ${expected}`));
                else resolve(n);
            });
            res.on("error", reject);
        }).on("error", reject);
    });
}

/** `readers` clients fetching url back to back for `seconds`. */
async function load(url: string, readers: number, seconds: number): Promise<{ requests: number; bytes: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: readers });
    const until = Date.now() + seconds * 1000;
    let requests = 0;
    let bytes = 0;
    try {
        await Promise.all(Array.from({ length: readers }, async () => {
            while (Date.now() < until) {
                const n = await fetchCounted(url, agent);
                bytes += n;
                requests++;
            }
        }));
    } finally {
        agent.destroy();
    }
    return { requests, bytes };
}

async function startEcho(python: string, script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
    const port = await freePort();
    const child = spawn(python, [script], { env: { PATH: process.env.PATH, PORT: String(port), ...env }, stdio: ["ignore", "ignore", "inherit"] });
    const url = `http://127.0.0.1:${port}/data`;
    await waitFor200(url, child, 30_000);
    return { child, url };
}

export async function benchEchoMemory(scripts: { name: string; path: string }[], opts: MemoryOptions = {}): Promise<MemoryRow[]> {
    const o: Required<MemoryOptions> = { lines: MAX_LINES_LIMIT, readers: 10, seconds: 5, python: "python3", ...opts };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "echo-memory-"));
    const rows: MemoryRow[] = [];
    const children: ChildProcess[] = [];
    try {
        const lines = Array.from({ length: o.lines }, () => String(Math.floor(Math.random() * 32768)));
        fs.writeFileSync(path.join(dir, "data"), lines.join("\n") + "\n");
        lines.length = 0;
        // The upstream for upstream mode: the current echo in file mode (what the adapter runs).
        const upstream = await startEcho(o.python, ECHO_PY, { DATA_DIR: dir });
        children.push(upstream.child);
        const upstreamBase = upstream.url.replace(/\/data$/, "");
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "echo-memory-cache-"));
        // A generous upstream timeout: this measures memory, not how fast 57 MB crosses loopback.
        const modes: { mode: string; env: Record<string, string> }[] = [
            { mode: "file", env: { DATA_DIR: dir } },
            { mode: "upstream, copy in CACHE_DIR", env: { UPSTREAM_URL: upstreamBase, CACHE_DIR: cacheDir, UPSTREAM_TIMEOUT_SECONDS: "10" } },
            { mode: "upstream, copy in memory", env: { UPSTREAM_URL: upstreamBase, UPSTREAM_TIMEOUT_SECONDS: "10" } },
        ];
        for (const script of scripts) {
            // an older echo.py knows no CACHE_DIR: its upstream mode is measured once
            for (const { mode, env } of modes.filter((m) => script.path === ECHO_PY || !m.env.CACHE_DIR)) {
                const echo = await startEcho(o.python, script.path, env);
                children.push(echo.child);
                const pid = echo.child.pid!;
                const rest = statusKiB(pid, "VmRSS");
                let peakWithMemfd = rssWithMemfdKiB(pid);
                const sampler = setInterval(() => (peakWithMemfd = Math.max(peakWithMemfd, rssWithMemfdKiB(pid))), 20);
                const done = await load(echo.url, o.readers, o.seconds).finally(() => clearInterval(sampler));
                rows.push({
                    script: script.name, mode, requests: done.requests, mebibytesServed: done.bytes / MiB,
                    restMiB: rest / 1024, peakMiB: statusKiB(pid, "VmHWM") / 1024, peakWithMemfdMiB: peakWithMemfd / 1024,
                });
                await stop(echo.child);
            }
        }
        const upstreamPeak = statusKiB(upstream.child.pid!, "VmHWM") / 1024;
        rows.push({ script: "echo.py (the upstream)", mode: "file", requests: NaN, mebibytesServed: NaN, restMiB: NaN, peakMiB: upstreamPeak, peakWithMemfdMiB: NaN });
        fs.rmSync(cacheDir, { recursive: true, force: true });
    } finally {
        await Promise.all(children.map(stop));
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
}

function option(name: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
    const opts: MemoryOptions = {};
    for (const key of ["lines", "readers", "seconds"] as const) {
        const raw = option(key);
        if (raw !== undefined) {
            const n = Number(raw);
            if (!(n > 0)) {
                process.stderr.write(`bench/echo-memory: --${key} ${raw}: expected a positive number\n`);
                process.exit(2);
            }
            opts[key] = n;
        }
    }
    const scripts = [{ name: "echo.py", path: ECHO_PY }];
    const before = option("before");
    if (before) scripts.unshift({ name: `before: ${before}`, path: path.resolve(before) });
    const o = { lines: MAX_LINES_LIMIT, readers: 10, seconds: 5, ...opts };
    benchEchoMemory(scripts, opts).then((rows) => {
        console.log(`echo memory: ${o.lines}-line file, ${o.readers} concurrent readers, ${o.seconds} s per mode`);
        const n = (x: number, digits: number) => (Number.isNaN(x) ? "" : x.toFixed(digits));
        formatTable(["script", "mode", "requests", "MiB served", "at rest MiB", "peak RSS MiB", "peak RSS + memfd MiB"], rows.map((r) => [
            r.script, r.mode, n(r.requests, 0), n(r.mebibytesServed, 0), n(r.restMiB, 1), n(r.peakMiB, 1), n(r.peakWithMemfdMiB, 1),
        ])).forEach((l) => console.log(l));
        process.exit(0);
    }, (e: unknown) => {
        console.error("benchmark failed:", e);
        process.exit(1);
    });
}
