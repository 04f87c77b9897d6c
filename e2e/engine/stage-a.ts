// Stage A: the real Pulumi CLI, language host and Kubernetes provider, no cluster. For
// every stack file and every coupling: `pulumi preview`, then `pulumi up` in render mode
// (renderYamlTo) with the policy pack, and the manifests the provider wrote compared with
// what `npm run render` prints for the same config. Then one bad config value must give
// one clean error.
import * as fs from "fs";
import * as path from "path";
import { diffObjectSets, normalize, parseYamlStream, readYamlTree } from "./objects";
import { ECHO_IS_OWN_WORKLOAD } from "../../components/config";
import { imagesConfig } from "../lib/images";
import { assert, check, CheckError } from "../lib/ledger";
import { run, tail } from "../lib/processes";
import { ensureStack, pulumi, pulumiOk, REPO, repoStackConfig, Workspace, writeStackFile } from "../lib/workspace";
import { COUPLINGS, Coupling, STACK_FILES } from "./knobs";

/** The stack file's config for one coupling, in render mode, deploying prebuilt images. */
export function renderConfig(ws: Workspace, stack: string, coupling: Coupling, images: Record<string, string>): Record<string, unknown> {
    const config: Record<string, unknown> = { ...repoStackConfig(stack), coupling, images };
    if (!ECHO_IS_OWN_WORKLOAD.includes(coupling)) delete config.echoReplicas;
    config.renderYamlTo = path.join(ws.dir, "rendered", `${stack}-${coupling}`);
    if (coupling === "clusters") {
        config.clusters = {
            generator: { context: "render-generator" },
            echo: { context: "render-echo" },
            generatorUrl: "http://generator.e2e.example:8080",
        };
    }
    return config;
}

export async function stageA(ws: Workspace): Promise<void> {
    const { images, source } = imagesConfig();
    console.log(`stage A: real engine, render mode, no cluster (images: ${source}; the staging/prod ESC \`environment:\` imports are dropped in the copies)`);
    await check("stage A: pulumi CLI logs in to a local file backend", () => {
        const v = pulumiOk(ws, ["version"]);
        console.log(`        pulumi ${v.stdout.trim()}`);
        pulumiOk(ws, ["login", ws.env.PULUMI_BACKEND_URL!]);
    });

    for (const stack of STACK_FILES) {
        for (const coupling of COUPLINGS) {
            const name = `${stack}-${coupling}`;
            const config = renderConfig(ws, stack, coupling, images);
            const label = `stage A ${stack}/${coupling}`;
            const ready = await check(`${label}: pulumi preview`, () => {
                ensureStack(ws, name);
                writeStackFile(ws, name, config);
                pulumiOk(ws, ["preview", "--stack", name, "--diff"]);
            });
            if (!ready) continue;
            const up = await check(`${label}: pulumi up (renderYamlTo, --policy-pack policy)`, () => {
                pulumiOk(ws, ["up", "--stack", name, "--yes", "--skip-preview", "--policy-pack", path.join(ws.project, "policy")]);
            });
            if (!up) continue;
            await check(`${label}: rendered objects equal \`npm run render\``, () => {
                const engine = readYamlTree(config.renderYamlTo as string);
                assert(engine.length > 0, `the provider wrote no manifests under ${config.renderYamlTo}`);
                const stackFile = path.join(ws.project, `Pulumi.${name}.yaml`);
                const r = run("npm", ["run", "-s", "render", "--", "--stack", stackFile], { cwd: REPO, env: ws.env });
                if (r.code !== 0) throw new CheckError(`npm run render --stack ${stackFile} exited ${r.code}:\n${tail(r.output, 20)}`);
                const rendered = parseYamlStream(r.stdout);
                const diff = diffObjectSets(normalize(engine), normalize(rendered), "engine", "render");
                assert(!diff, `engine-rendered and npm-run-render objects differ:\n${diff}`);
            });
        }
    }

    await check("stage A staging/pod: render mode with KUBECONFIG set in the environment (as on a developer's machine)", () => {
        const name = "staging-pod-kubeconfig-env";
        ensureStack(ws, name);
        writeStackFile(ws, name, { ...renderConfig(ws, "staging", "pod", images), renderYamlTo: path.join(ws.dir, "rendered", name) });
        const kubeconfig = path.join(ws.dir, "developer-kubeconfig");
        fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        pulumiOk(ws, ["preview", "--stack", name], { env: { KUBECONFIG: kubeconfig } });
    });

    await check("stage A: a bad config value prints one clean error", () => {
        const name = "dev-bad-config";
        ensureStack(ws, name);
        writeStackFile(ws, name, { ...renderConfig(ws, "dev", "pod", imagesConfig().images), coupling: "bogus" });
        const r = pulumi(ws, ["preview", "--stack", name]);
        assert(r.code !== 0, "pulumi preview with coupling=bogus succeeded");
        const out = r.output;
        const mentions = out.split("\n").filter((l) => l.includes("bogus"));
        assert(mentions.length >= 1, `no line names the bad value "bogus":\n${tail(out, 30)}`);
        const frames = out.split("\n").filter((l) => /^\s+at .+(:\d+:\d+\)?|\(node:)/.test(l));
        assert(frames.length === 0, `the error comes with a stack trace (${frames.length} frames):\n${tail(out, 40)}`);
        const distinct = new Set(mentions.map((l) => l.replace(/^\s*(error:)?\s*/, "").trim()));
        assert(distinct.size === 1, `the error is not one message (${distinct.size} different lines name the value):\n${[...distinct].join("\n")}`);
        fs.writeFileSync(path.join(ws.dir, "bad-config.txt"), out);
    });
}
