// The local file backend's checkpoint race, on the real engine (the tool cache's pulumi,
// language host; `npm run e2e:tools`): how often a first `pulumi up` fails with
// "failed to load checkpoint: EOF" when the program reads its own stack through a
// StackReference (as components/program.ts does) while the update saves checkpoints,
// with the backend URL `file://DIR` and with `file://DIR?metadata=skip`.
//
// gocloud.dev's fileblob, which the diy backend stores through, replaces a state file
// atomically (temp file + rename) but rewrites its `.attrs` sidecar in place (os.Create,
// then the JSON): a read that opens the sidecar in between decodes nothing, io.EOF.
// `metadata=skip` writes no sidecar. The program is a throwaway one, not this project's:
// many component registrations (each a checkpoint save) and --refs StackReferences to
// itself (each a read), to make the rare collision frequent enough to count.
//
//   npx ts-node --transpile-only bench/self-reference-race.ts [--runs N] [--refs R] [--components C] [--minutes M]
//
// Rounds alternate the two URLs, so the machine's load hits both alike; each run is a fresh
// state directory and stack; the bench stops at --minutes (default 10) and reports what ran.
// Needs no cluster and no lock. A bench, not a test: the counts are what it measures.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { onCleanup, runCleanups } from "../e2e/lib/cleanups";
import { run, tail } from "../e2e/lib/processes";
import { missingTools, tool, TOOLS_BIN } from "../e2e/lib/tools";
import { REPO } from "../e2e/lib/workspace";
import { formatTable } from "./table";

function count(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n < 1) {
        console.error(`self-reference-race: --${name} ${process.argv[i + 1]}: expected an integer >= 1`);
        process.exit(2);
    }
    return n;
}

const PROGRAM = `// many registrations (checkpoint saves) while reading this stack (checkpoint reads)
const pulumi = require("@pulumi/pulumi");
const self = \`\${pulumi.getOrganization()}/\${pulumi.getProject()}/\${pulumi.getStack()}\`;
for (let i = 0; i < Number(process.env.RACE_COMPONENTS); i++) new pulumi.ComponentResource("race:index:Thing", \`thing-\${i}\`, {});
const read = [];
for (let i = 0; i < Number(process.env.RACE_REFS); i++) read.push(new pulumi.StackReference(\`self-\${i}\`, { name: self }).getOutput("marker"));
exports.marker = "written";
exports.refs = pulumi.all(read).apply((r) => r.length);
`;

type Outcome = "ok" | "eof" | "other";

async function main(): Promise<void> {
    const runs = count("runs", 20), refs = count("refs", 40), components = count("components", 100), minutes = count("minutes", 10);
    const missing = missingTools(["pulumi", "pulumi-language-nodejs"]);
    if (missing.length) {
        console.log(`self-reference-race: skipped: ${missing.join(", ")} missing from ${TOOLS_BIN} (npm run e2e:tools)`);
        return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "self-reference-race-"));
    onCleanup("bench dir", () => fs.rmSync(dir, { recursive: true, force: true }));
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => { runCleanups(); process.exit(130); });
    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: self-reference-race\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
    fs.writeFileSync(path.join(project, "package.json"), '{"name": "self-reference-race", "private": true}\n');
    fs.writeFileSync(path.join(project, "index.js"), PROGRAM);
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));

    const modes = { "file://DIR": "", "file://DIR?metadata=skip": "?metadata=skip" };
    const tally = Object.fromEntries(Object.keys(modes).map((m) => [m, { ok: 0, eof: 0, other: 0, ms: 0 }]));
    const deadline = Date.now() + minutes * 60_000;
    let example = "";
    console.log(`self-reference-race: ${runs} first \`pulumi up\`s per URL, ${components} components and ${refs} self-references each; load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    let round = 0;
    for (; round < runs && Date.now() < deadline; round++) {
        for (const [mode, query] of Object.entries(modes)) {
            const runDir = fs.mkdtempSync(path.join(dir, "run-"));
            const state = path.join(runDir, "state");
            fs.mkdirSync(state);
            const env: NodeJS.ProcessEnv = {
                ...process.env,
                PATH: [TOOLS_BIN, process.env.PATH ?? ""].join(path.delimiter),
                PULUMI_HOME: path.join(runDir, "home"),
                PULUMI_BACKEND_URL: `file://${state}${query}`,
                PULUMI_CONFIG_PASSPHRASE: "self-reference-race",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
                NO_COLOR: "1",
                RACE_REFS: String(refs),
                RACE_COMPONENTS: String(components),
            };
            const pulumi = (args: string[]) => run(tool("pulumi"), [...args, "--non-interactive"], { cwd: project, env, timeoutMs: 120_000 });
            const init = pulumi(["stack", "init", "race", "--secrets-provider", "passphrase"]);
            const up = init.code === 0 ? pulumi(["up", "--yes", "--skip-preview", "--color", "never", "--stack", "race"]) : init;
            const outcome: Outcome = up.code === 0 ? "ok" : /failed to load checkpoint: EOF/.test(up.output) ? "eof" : "other";
            tally[mode][outcome]++;
            tally[mode].ms += up.ms;
            if (outcome === "other" && !example) example = `${mode}, run ${round + 1}:\n${tail(up.output, 15)}`;
            fs.rmSync(runDir, { recursive: true, force: true });
        }
    }
    const rows = Object.entries(tally).map(([mode, t]) => {
        const n = t.ok + t.eof + t.other;
        return [mode, String(n), String(t.eof), `${((100 * t.eof) / Math.max(1, n)).toFixed(0)}%`, String(t.other), `${(t.ms / Math.max(1, n) / 1000).toFixed(1)}s`];
    });
    for (const line of formatTable(["backend URL", "runs", "EOF", "EOF rate", "other failures", "mean up"], rows)) console.log(line);
    if (round < runs) console.log(`self-reference-race: stopped after ${round} rounds at --minutes ${minutes}`);
    if (example) console.log(`first other failure: ${example}`);
    console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    runCleanups();
}

main().catch((err) => {
    console.error(err);
    runCleanups();
    process.exit(1);
});
