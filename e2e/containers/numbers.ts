// The container layer's numbers: gathered by the checks, written to
// ~/.cache/app-coupling/e2e-containers-numbers.json and printed at the end.
import * as fs from "fs";
import * as path from "path";
import { Base } from "./bases";

export const numbers: {
    builder?: string;
    bases?: Base[];
    basesMs?: number;
    builds: Record<string, { coldMs?: number; warmMs?: number; sizeBytes?: number; warmReused?: boolean }>;
    startToReadyMs: Record<string, number>;
    reproducible?: { first: string; second: string; same: boolean };
    registry?: Record<string, string>;
    /** `<coupling>/<container>` at the largest maxLines: the emitted limit, the cgroup's peak (page cache included) and RSS after the load. */
    memory: Record<string, { limit: string; peakBytes?: number; rssBytes?: number }>;
} = { builds: {}, startToReadyMs: {}, memory: {} };

export function writeAndPrintNumbers(cacheDir: string, startedAt: number): void {
    const file = path.join(cacheDir, "e2e-containers-numbers.json");
    fs.writeFileSync(file, JSON.stringify(numbers, null, 2) + "\n");
    console.log(`\nnumbers (also in ${file}):`);
    console.log(`  builder: ${numbers.builder}; bases: ${(numbers.bases ?? []).map((b) => `${b.name} ${b.source}`).join(", ")}`);
    for (const [name, b] of Object.entries(numbers.builds)) {
        console.log(`  ${name}: cold ${((b.coldMs ?? 0) / 1000).toFixed(1)} s, warm ${((b.warmMs ?? 0) / 1000).toFixed(1)} s, ${((b.sizeBytes ?? 0) / 1e6).toFixed(1)} MB`);
    }
    for (const [k, ms] of Object.entries(numbers.startToReadyMs)) console.log(`  start-to-ready ${k}: ${(ms / 1000).toFixed(1)} s`);
    const mib = (b?: number) => (b === undefined || Number.isNaN(b) ? "n/a" : `${(b / 2 ** 20).toFixed(1)} MiB`);
    for (const [k, m] of Object.entries(numbers.memory)) console.log(`  memory at the largest maxLines, ${k}: limit ${m.limit}, peak ${mib(m.peakBytes)} (page cache included), rss ${mib(m.rssBytes)}`);
    console.log(`  whole run: ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}
