// npm run e2e:engine — the real-engine layer (issue 14):
//   stage A: the real Pulumi CLI, language host and Kubernetes provider in render mode;
//   stage B: the same against kwok clusters (real etcd, kube-apiserver, controllers).
// The tools come from the cache `npm run e2e:tools` builds; this never builds them.
// Prints one line per check and closes with `e2e:engine: N passed, N failed, N skipped`.
// Knobs: knobs.ts and e2e/README.md.
import { abort, close, skip, skipLayer, startLayer } from "../lib/ledger";
import { KWOK_TOOLS } from "../lib/kwok";
import { missingTools, toolCacheBuilt, TOOLS } from "../lib/tools";
import { ENGINE_TOOLS, makeWorkspace } from "../lib/workspace";
import { BUDGET_MINUTES, STAGES } from "./knobs";
import { stageA } from "./stage-a";
import { stageB } from "./stage-b";

const STAGE_A_TOOLS = ENGINE_TOOLS;
const STAGE_B_TOOLS = [...ENGINE_TOOLS, ...KWOK_TOOLS];

async function main(): Promise<void> {
    startLayer("engine", { budget: { minutes: BUDGET_MINUTES, setBy: "E2E_ENGINE_BUDGET_MINUTES" } });
    if (!toolCacheBuilt() && missingTools(STAGE_A_TOOLS).length) {
        skipLayer(`stage A and stage B need the tool cache at ${TOOLS}; \`npm run e2e:tools\` builds it (tens of minutes on two cores)`);
    }
    const ws = makeWorkspace();
    console.log(`e2e:engine: tools ${TOOLS}, workspace ${ws.dir}`);
    const missingA = missingTools(STAGE_A_TOOLS);
    if (!STAGES.includes("A")) skip("stage A", "not in E2E_ENGINE_STAGES");
    else if (missingA.length) skip("stage A", `tools missing from ${TOOLS}/bin: ${missingA.join(", ")} (npm run e2e:tools)`);
    else await stageA(ws);

    const missingB = missingTools(STAGE_B_TOOLS);
    if (!STAGES.includes("B")) skip("stage B", "not in E2E_ENGINE_STAGES");
    else if (missingB.length) skip("stage B", `tools missing from ${TOOLS}/bin: ${missingB.join(", ")} (npm run e2e:tools)`);
    else await stageB(ws);
    close();
}

main().catch(abort);
