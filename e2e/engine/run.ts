// npm run e2e:engine — the real-engine end-to-end suite (issue 14):
//   stage A: the real Pulumi CLI, language host and Kubernetes provider in render mode;
//   stage B: the same against kwok clusters (real etcd, kube-apiserver, controllers).
// The tools come from the cache `npm run e2e:tools` builds; this never builds them.
// Prints one line per check and closes with `N passed, N failed, N skipped`.
//
// Environment: APP_COUPLING_TOOLS (tool cache), E2E_ENGINE_STAGES (e.g. "A" or "B"; default
// both), E2E_ENGINE_BUDGET_MINUTES (default 75), E2E_ENGINE_UP_TIMEOUT_SECONDS (one
// `pulumi up`, default 420), E2E_ENGINE_KEEP=1 (keep the temporary directory),
// APP_COUPLING_E2E_IMAGES (the digests file `npm run e2e:containers` writes).
import * as fs from "fs";
import * as path from "path";
import {
    makeWorkspace, missingTools, numbers, results, runCleanups, skip, STAGE_A_TOOLS, STAGE_B_TOOLS, TOOLS,
} from "./lib";
import { stageA } from "./stage-a";
import { stageB } from "./stage-b";

function close(): never {
    runCleanups();
    if (numbers.length) console.log(`\nnumbers:\n${numbers.map((n) => `  ${n}`).join("\n")}`);
    if (results.failures.length) console.log(`\nfailed:\n${results.failures.map((f) => `  ${f.split("\n")[0]}`).join("\n")}`);
    if (results.skips.length) console.log(`\nskipped:\n${results.skips.map((s) => `  ${s}`).join("\n")}`);
    console.log(`\n${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
    process.exit(results.failed ? 1 : 0);
}

async function main(): Promise<void> {
    const stages = (process.env.E2E_ENGINE_STAGES ?? "AB").toUpperCase();
    if (!fs.existsSync(path.join(TOOLS, "versions")) && missingTools(STAGE_A_TOOLS).length) {
        console.log(`e2e:engine: stage A and stage B skipped: no tool cache at ${TOOLS} (\`npm run e2e:tools\` builds it, tens of minutes on two cores)`);
        results.skipped += 2;
        results.skips.push("stage A: no tool cache", "stage B: no tool cache");
        console.log(`\n0 passed, 0 failed, 2 skipped`);
        return;
    }
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(sig, () => {
            console.log(`\ne2e:engine: ${sig}: stopping what was started`);
            runCleanups();
            process.exit(130);
        });
    }
    const ws = makeWorkspace();
    console.log(`e2e:engine: tools ${TOOLS}, workspace ${ws.dir}`);
    try {
        const missingA = missingTools(STAGE_A_TOOLS);
        if (!stages.includes("A")) skip("stage A", "not in E2E_ENGINE_STAGES");
        else if (missingA.length) skip("stage A", `tools missing from ${TOOLS}/bin: ${missingA.join(", ")} (npm run e2e:tools)`);
        else await stageA(ws);

        const missingB = missingTools(STAGE_B_TOOLS);
        if (!stages.includes("B")) skip("stage B", "not in E2E_ENGINE_STAGES");
        else if (missingB.length) skip("stage B", `tools missing from ${TOOLS}/bin: ${missingB.join(", ")} (npm run e2e:tools)`);
        else await stageB(ws);
    } catch (err) {
        results.failed++;
        results.failures.push(`suite aborted: ${(err as Error)?.stack ?? err}`);
        console.log(`  FAIL  suite aborted: ${(err as Error)?.stack ?? err}`);
    }
    close();
}

main();
