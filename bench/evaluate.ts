// How long one evaluation of the program takes under Pulumi's mocks (what every spec
// pays per config it checks), per coupling.
//
//   npx ts-node --transpile-only bench/evaluate.ts [--runs N] [--warmup W]
//
// Evaluations run one after another (the Pulumi runtime is process-global).
import { performance } from "perf_hooks";
import { COUPLINGS } from "../components/config";
import { evaluate, minimalConfig } from "../lib/evaluate";
import { formatTable } from "./table";

function option(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    const raw = i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase()}`];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < (name === "runs" ? 1 : 0)) {
        process.stderr.write(`bench/evaluate: --${name} ${raw}: expected a ${name === "runs" ? "positive" : "non-negative"} integer\n`);
        process.exit(2);
    }
    return n;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main(): Promise<void> {
    const runs = option("runs", 20);
    const warmup = option("warmup", 2);
    const rows: string[][] = [];
    for (const coupling of COUPLINGS) {
        let resources = 0;
        for (let i = 0; i < warmup; i++) await evaluate(minimalConfig(coupling));
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
            const start = performance.now();
            const e = await evaluate(minimalConfig(coupling));
            times.push(performance.now() - start);
            resources = e.resources.length;
        }
        times.sort((a, b) => a - b);
        const mean = times.reduce((a, b) => a + b, 0) / times.length;
        rows.push([coupling, String(resources), mean.toFixed(1), percentile(times, 50).toFixed(1), times[times.length - 1].toFixed(1)]);
    }
    const header = ["coupling", "resources", "mean ms", "p50 ms", "max ms"];
    console.log(`program evaluation under mocks: ${runs} runs per coupling after ${warmup} warm-up(s), node ${process.version}`);
    formatTable(header, rows).forEach((l) => console.log(l));
}

main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
});
