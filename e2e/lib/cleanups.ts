// What a layer started (clusters, processes, temporary directories), undone in reverse
// order: at the end, on failure and on SIGINT/SIGTERM/SIGHUP (see ledger.ts, startLayer).

const cleanups: { name: string; fn: () => void }[] = [];

/** Registers something to undo; run in reverse order at the end, on failure and on signals. */
export function onCleanup(name: string, fn: () => void): void {
    cleanups.push({ name, fn });
}

export function runCleanups(): void {
    while (cleanups.length) {
        const c = cleanups.pop()!;
        try {
            c.fn();
        } catch (err) {
            console.log(`  cleanup ${c.name} failed: ${(err as Error).message}`);
        }
    }
}
