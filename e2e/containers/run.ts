// npm run e2e:containers (through run.sh, which installs Docker and starts dockerd): the
// real-containers layer. The three images built from their unchanged Dockerfiles exactly as
// components/images.ts builds them (builds.ts), run as the program's own Deployment specs
// say, every coupling end to end (couplings.ts), faults (faults.ts), the largest maxLines
// under the emitted memory limits (memory.ts), a registry round trip
// (registry.ts) and the numbers (numbers.ts). Prints one line per check and closes with
// `e2e:containers: N passed, N failed, N skipped`, naming every skipped check and why.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { abort, close, note, onCleanup, runCleanups, skipLayer, startLayer } from "../lib/ledger";
import { stopProcess } from "../lib/processes";
import { CACHE } from "../lib/tools";
import { buildImages, ensureBases } from "./builds";
import { runCouplings } from "./couplings";
import { faults } from "./faults";
import { memoryAtLargestMaxLines } from "./memory";
import { writeAndPrintNumbers } from "./numbers";
import { Cluster, removeLeftovers } from "./pods";
import { evaluateAll } from "./program";
import { registry } from "./registry";

async function main(): Promise<void> {
    startLayer("containers");
    // the dockerd run.sh started for this run: stopped last, after everything that used it
    const dockerd = Number(process.env.E2E_STARTED_DOCKERD);
    if (dockerd) onCleanup(`the dockerd run.sh started (pid ${dockerd})`, () => {
        note(`stopping the dockerd run.sh started (pid ${dockerd})`);
        stopProcess(dockerd);
    });
    const work = process.env.E2E_WORK ?? fs.mkdtempSync(path.join(os.tmpdir(), "e2e-containers-"));
    fs.mkdirSync(CACHE, { recursive: true });
    const t0 = Date.now();

    if (process.env.E2E_NO_ENGINE) {
        skipLayer(`no Docker engine: ${process.env.E2E_NO_ENGINE}; run it as root (it installs docker.io and starts dockerd) or where a Docker engine answers`);
    }

    removeLeftovers();
    const evals = await evaluateAll();
    const bases = await ensureBases(work);
    if (!bases) close();
    const built = await buildImages(work, bases, evals);
    if (!built) close();

    const cluster = new Cluster(`e2e-ac-${Date.now().toString(36)}`, built.localByRepo);
    onCleanup("the containers, volumes and networks of this run", () => cluster.teardown());
    await runCouplings(cluster, evals);
    await faults(cluster, evals, built.refs);
    await memoryAtLargestMaxLines(cluster);
    await registry(cluster, built.refs, CACHE, work, built.builder, evals["pod/spec"].config.platform);
    runCleanups();

    writeAndPrintNumbers(CACHE, t0);
    close();
}

main().catch(abort);
