// A bounded request loop against echo's /data, run as a process of its own while the
// suite's synchronous `pulumi up`s run: RATE requests a second, each on a new connection
// (so every request is routed afresh, as a new client's would be), at most MAX_SECONDS
// and MAX_REQUESTS, one JSON line per request appended to OUT. Stops on SIGTERM after
// the requests in flight have ended. Only for addresses of this machine's own cluster.
//
//   ts-node e2e/node/traffic.ts HOST PORT OUT [RATE=20] [MAX_SECONDS=900]
import * as fs from "fs";
import * as http from "http";

/** One request's outcome. `error` is set for everything that counts as a failure. */
export interface Outcome {
    /** start, ms since the epoch */
    t: number;
    ms: number;
    status: number;
    lines: number;
    error?: string;
}

const NUMBERS = /^(\d+\n)+$/;

/** One GET /data on a new connection; with `keepBody`, the body comes back too. */
export function request(host: string, port: number, timeoutMs: number, keepBody = false): Promise<Outcome & { body?: string }> {
    const t = Date.now();
    return new Promise((resolve) => {
        const done = (o: Omit<Outcome, "t" | "ms"> & { body?: string }) => resolve({ t, ms: Date.now() - t, ...o });
        const req = http.request({ host, port, path: "/data", method: "GET", agent: false, headers: { Connection: "close" } }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("error", (e) => done({ status: res.statusCode ?? 0, lines: 0, error: `response: ${e.message}` }));
            res.on("end", () => {
                const lines = body ? body.split("\n").length - 1 : 0;
                if (res.statusCode !== 200) done({ status: res.statusCode ?? 0, lines, error: `HTTP ${res.statusCode}` });
                else if (!body) done({ status: 200, lines: 0, error: "empty body" });
                else if (!NUMBERS.test(body)) done({ status: 200, lines, error: `not numbers: ${JSON.stringify(body.slice(0, 40))}` });
                else done({ status: 200, lines, ...(keepBody ? { body } : {}) });
            });
        });
        req.on("error", (e: NodeJS.ErrnoException) => done({ status: 0, lines: 0, error: e.code ?? e.message }));
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: `timeout after ${timeoutMs} ms` })));
        req.end();
    });
}

/** Outcomes read back from OUT, optionally those started in [from, to). */
export function readOutcomes(file: string, from = 0, to = Infinity): Outcome[] {
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Outcome)
        .filter((o) => o.t >= from && o.t < to);
}

/** "R requests, F failed (reasons)" */
export function summarize(outcomes: Outcome[]): { requests: number; failed: number; text: string } {
    const failed = outcomes.filter((o) => o.error);
    const reasons = new Map<string, number>();
    for (const f of failed) reasons.set(f.error!, (reasons.get(f.error!) ?? 0) + 1);
    const why = [...reasons].map(([r, n]) => `${n}x ${r}`).join(", ");
    return { requests: outcomes.length, failed: failed.length, text: `${outcomes.length} requests, ${failed.length} failed${why ? ` (${why})` : ""}` };
}

async function main(argv: string[]): Promise<void> {
    const [host, portText, out, rateText = "20", maxText = "900"] = argv;
    const port = Number(portText), rate = Number(rateText), maxSeconds = Number(maxText);
    if (!host || !(port > 0) || !out || !(rate > 0 && rate <= 100) || !(maxSeconds > 0 && maxSeconds <= 3600)) {
        console.error("usage: traffic.ts HOST PORT OUT [RATE (1-100)] [MAX_SECONDS (1-3600)]");
        process.exit(2);
    }
    const maxRequests = Math.ceil(rate * maxSeconds);
    const fd = fs.openSync(out, "a");
    let stopping = false, sent = 0, inFlight = 0;
    const end = Date.now() + maxSeconds * 1000;
    process.on("SIGTERM", () => (stopping = true));
    process.on("SIGINT", () => (stopping = true));
    const interval = 1000 / rate;
    let next = Date.now();
    while (!stopping && sent < maxRequests && Date.now() < end) {
        sent++;
        inFlight++;
        void request(host, port, 2000).then((o) => {
            fs.writeSync(fd, JSON.stringify(o) + "\n");
            inFlight--;
        });
        next += interval;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
    fs.closeSync(fd);
}

if (require.main === module) void main(process.argv.slice(2));
