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
} = { builds: {}, startToReadyMs: {} };

export function writeAndPrintNumbers(cacheDir: string, startedAt: number): void {
    const file = path.join(cacheDir, "e2e-containers-numbers.json");
    fs.writeFileSync(file, JSON.stringify(numbers, null, 2) + "\n");
    console.log(`\nnumbers (also in ${file}):`);
    console.log(`  builder: ${numbers.builder}; bases: ${(numbers.bases ?? []).map((b) => `${b.name} ${b.source}`).join(", ")}`);
    for (const [name, b] of Object.entries(numbers.builds)) {
        console.log(`  ${name}: cold ${((b.coldMs ?? 0) / 1000).toFixed(1)} s, warm ${((b.warmMs ?? 0) / 1000).toFixed(1)} s, ${((b.sizeBytes ?? 0) / 1e6).toFixed(1)} MB`);
    }
    for (const [k, ms] of Object.entries(numbers.startToReadyMs)) console.log(`  start-to-ready ${k}: ${(ms / 1000).toFixed(1)} s`);
    console.log(`  whole run: ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}
