// Benchmark: echo.py vs `python3 -m http.server` serving the same 10,000-line file.
//
//   npx ts-node --transpile-only bench/echo-http.ts
//
// Both servers get identical autocannon settings against GET /data; the table shows
// requests/s, p50/p99 latency and the echo/http.server throughput ratio.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { freePort, sleep } from "../lib/net";
import { formatTable } from "./table";

// autocannon ships no type declarations (and there is no @types/autocannon in this
// project), so describe the small part we use and load it with require.
interface AutocannonResult {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
}
type Autocannon = (opts: {
    url: string;
    connections: number;
    duration: number;
    pipelining?: number;
}) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require("autocannon");

export interface BenchOptions {
    lines?: number; // lines in the data file
    connections?: number;
    durationSeconds?: number; // measured run per server
    warmupSeconds?: number; // unmeasured run per server before it
    python?: string;
}

export interface BenchRow {
    server: string;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    errors: number;
    non2xx: number;
}

export interface BenchResult {
    echo: BenchRow;
    httpServer: BenchRow;
    ratio: number; // echo req/s divided by http.server req/s
}

export const ECHO_PY = path.resolve(__dirname, "..", "images", "echo", "echo.py");

// Not the shared request(): this takes a URL, keeps the body as bytes (compared
// byte for byte below) and gives up after 2 s.
function get(url: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.setTimeout(2000, () => req.destroy(new Error("timeout")));
    });
}

export async function waitFor200(url: string, child: ChildProcess, timeoutMs = 10000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
        try {
            const res = await get(url);
            if (res.status === 200) return res.body;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
        await sleep(100);
    }
}

async function measure(name: string, url: string, o: Required<BenchOptions>): Promise<BenchRow> {
    if (o.warmupSeconds > 0) {
        await autocannon({ url, connections: o.connections, duration: o.warmupSeconds });
    }
    const r = await autocannon({ url, connections: o.connections, duration: o.durationSeconds });
    return {
        server: name,
        requestsPerSecond: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        requests: r.requests.total,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx,
    };
}

export function stop(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
        child.once("exit", () => {
            clearTimeout(timer);
            resolve();
        });
        child.kill("SIGTERM");
    });
}

export async function benchEchoVsHttpServer(opts: BenchOptions = {}): Promise<BenchResult> {
    const o: Required<BenchOptions> = {
        lines: 10000,
        connections: 10,
        durationSeconds: 5,
        warmupSeconds: 1,
        python: "python3",
        ...opts,
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "echo-bench-"));
    const lines = Array.from({ length: o.lines }, () => String(Math.floor(Math.random() * 32768)));
    fs.writeFileSync(path.join(dir, "data"), lines.join("\n") + "\n");

    let echo: ChildProcess | undefined;
    let plain: ChildProcess | undefined;
    try {
        const [echoPort, plainPort] = [await freePort(), await freePort()];
        echo = spawn(o.python, [ECHO_PY], {
            env: { ...process.env, PORT: String(echoPort), DATA_DIR: dir },
            stdio: ["ignore", "ignore", "inherit"],
        });
        plain = spawn(
            o.python,
            ["-m", "http.server", "--bind", "127.0.0.1", String(plainPort), "--directory", dir],
            { stdio: "ignore" }, // it logs every request to stderr
        );
        const echoUrl = `http://127.0.0.1:${echoPort}/data`;
        const plainUrl = `http://127.0.0.1:${plainPort}/data`;
        const [a, b] = await Promise.all([waitFor200(echoUrl, echo), waitFor200(plainUrl, plain)]);
        if (!a.equals(b)) throw new Error("echo and http.server returned different bodies");

        // One after the other, never concurrently, so they do not compete for CPU.
        const echoRow = await measure("echo.py", echoUrl, o);
        const plainRow = await measure("python3 -m http.server", plainUrl, o);
        return { echo: echoRow, httpServer: plainRow, ratio: echoRow.requestsPerSecond / plainRow.requestsPerSecond };
    } finally {
        await Promise.all([stop(echo), stop(plain)]);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function printTable(r: BenchResult, o: BenchOptions): void {
    const rows = [r.echo, r.httpServer];
    const header = ["server", "req/s", "p50 ms", "p99 ms", "requests", "errors", "non-2xx"];
    const cells = rows.map((x) => [
        x.server,
        x.requestsPerSecond.toFixed(0),
        String(x.p50Ms),
        String(x.p99Ms),
        String(x.requests),
        String(x.errors),
        String(x.non2xx),
    ]);
    console.log(
        `GET /data, ${o.lines ?? 10000}-line file, ${o.connections ?? 10} connections, ` +
            `${o.durationSeconds ?? 5} s per server (after ${o.warmupSeconds ?? 1} s warm-up)`,
    );
    formatTable(header, cells).forEach((l) => console.log(l));
    console.log(`echo/http.server req/s ratio: ${r.ratio.toFixed(2)}`);
}

if (require.main === module) {
    const opts: BenchOptions = {};
    benchEchoVsHttpServer(opts)
        .then((r) => {
            printTable(r, opts);
            process.exit(0);
        })
        .catch((e: unknown) => {
            console.error("benchmark failed:", e);
            process.exit(1);
        });
}
