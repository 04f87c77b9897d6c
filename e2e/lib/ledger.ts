// The check ledger every e2e layer prints through: one line per check (ok / FAIL / skip),
// numbers recorded on the way, the time budget, and the closing line
// `e2e:<layer>: N passed, N failed, N skipped` that scripts/e2e.sh adds up. One process
// runs one layer: startLayer names it once.
import { onCleanup, runCleanups } from "./cleanups";

export { onCleanup, runCleanups };

let layer = "";
let budgetMs = Infinity;
let budgetSetBy = "";
let startedAt = Date.now();

const results = { passed: 0, failed: 0, skipped: 0, failures: [] as string[], skips: [] as string[] };
const numbers: string[] = [];

/**
 * Names the layer (the `e2e:<layer>` of every line it prints), starts its time budget
 * (none unless given; `setBy` names the variable that sets it) and stops what was
 * started on SIGINT/SIGTERM/SIGHUP.
 */
export function startLayer(name: string, opts: { budget?: { minutes: number; setBy: string } } = {}): void {
    layer = name;
    startedAt = Date.now();
    budgetMs = opts.budget ? opts.budget.minutes * 60_000 : Infinity;
    budgetSetBy = opts.budget?.setBy ?? "";
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(sig, () => {
            console.log(`\n${tag()}: ${sig}: stopping what was started`);
            runCleanups();
            process.exit(130);
        });
    }
}

const tag = () => `e2e:${layer || "?"}`;
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

// ---- time budget -----------------------------------------------------------------------

export function pastDeadline(): boolean {
    return Date.now() - startedAt > budgetMs;
}
/** What is left of the budget (at least 10 s): commands are limited to it. */
export function remainingMs(): number {
    return Math.max(10_000, budgetMs - (Date.now() - startedAt));
}

// ---- checks ----------------------------------------------------------------------------

/** Thrown by a check that cannot run here: it is skipped with this message, not failed. */
export class Skip extends Error {}
export class CheckError extends Error {}

export function assert(cond: unknown, message: string): asserts cond {
    if (!cond) throw new CheckError(message);
}

export function indent(text: string, prefix: string): string {
    return text.split("\n").map((l) => prefix + l).join("\n");
}

/**
 * Runs one check: a thrown Skip skips it, any other throw fails it, anything else passes
 * it (a returned string is printed as its detail). Past the time budget it is skipped.
 */
export async function check(name: string, fn: () => unknown | Promise<unknown>): Promise<boolean> {
    // let the event loop run between checks, so a SIGINT/SIGTERM handler gets its turn
    await new Promise((resolve) => setImmediate(resolve));
    if (pastDeadline()) {
        skip(name, `the suite's time budget (${budgetSetBy}) is used up`);
        return false;
    }
    const start = Date.now();
    try {
        const detail = await fn();
        results.passed++;
        console.log(`  ok    ${name} (${secs(Date.now() - start)}${typeof detail === "string" && detail ? `; ${detail}` : ""})`);
        return true;
    } catch (err) {
        if (err instanceof Skip) {
            skip(name, err.message);
            return false;
        }
        fail(name, err, Date.now() - start);
        return false;
    }
}

export function skip(name: string, reason: string): void {
    results.skipped++;
    results.skips.push(`${name}: ${reason}`);
    console.log(`  skip  ${name}: ${reason}`);
}

function fail(name: string, err: unknown, ms?: number): void {
    results.failed++;
    const message = err instanceof Error ? err.message : String(err);
    results.failures.push(`${name}: ${message}`);
    console.log(`  FAIL  ${name}${ms === undefined ? "" : ` (${secs(ms)})`}\n${indent(message, "        ")}`);
}

/** A number measured on the way: printed now and again in the summary. */
export function record(line: string): void {
    numbers.push(line);
    console.log(`  time  ${line}`);
}

/** A line of context under the checks (what was used, logs of a failure). */
export function note(text: string): void {
    console.log(indent(text, "        "));
}

// ---- the end ---------------------------------------------------------------------------

/** Cleans up, prints the summary and the closing line; exits 1 when a check failed. */
export function close(): never {
    runCleanups();
    if (numbers.length) console.log(`\nnumbers:\n${numbers.map((n) => `  ${n}`).join("\n")}`);
    if (results.failures.length) console.log(`\nfailed:\n${results.failures.map((f) => `  ${f.split("\n")[0]}`).join("\n")}`);
    if (results.skips.length) console.log(`\nskipped:\n${results.skips.map((s) => `  ${s}`).join("\n")}`);
    console.log(`\n${tag()}: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
    process.exit(results.failed ? 1 : 0);
}

/** The layer stopped by an unexpected error: one failure, then the closing line. */
export function abort(err: unknown): never {
    fail("suite aborted", (err as Error)?.stack ?? err);
    close();
}

/**
 * A layer that cannot run at all here: one line saying why and how to get it, and the
 * closing line with the layer counted as one skip. Exit 0: nothing failed.
 */
export function skipLayer(why: string): never {
    runCleanups();
    console.log(`${tag()}: not run: ${why}`);
    console.log(`${tag()}: 0 passed, 0 failed, 1 skipped`);
    process.exit(0);
}
