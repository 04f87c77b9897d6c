// Stage B, issue 17 ("what a first real deployment would hit"): what depends on the real
// engine, provider and API server, on the kwok clusters of stage B —
//   1. a claim rename: refused while the claim is not retained (old claim and volume kept);
//      once retained, the engine's replacement leaves the old claim Bound to its volume;
//   2. a claim no StorageClass provisions fails at preview, read from a real API server;
//   3. kwok's nodes carry kubernetes.io/arch: pods pinned to amd64 run, arm64 is warned of;
//   5. an IPv6 load-balancer address (status written by a stand-in) becomes http://[addr]:port;
//   6. a LoadBalancer Service held by the cleanup finalizer: scripts/lib.sh releases it and
//      `pulumi destroy` completes;
//   7. one PodDisruptionBudget over echo's pods during a coupling switch, and an eviction
//      after it succeeds.
// Runs before stage B starts its own load-balancer stand-ins (check 5 gives its own address).
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { generatorNamespace } from "../../components/couplings/clusters";
import { Cluster, kubectl, kubectlJson, kubectlOk } from "../lib/kubectl";
import { startLoadBalancerStandIn } from "../lib/kwok";
import { assert, check, CheckError } from "../lib/ledger";
import { run, stopGroup, tail, waitForSync } from "../lib/processes";
import { TOOLS_BIN } from "../lib/tools";
import { ensureStack, pulumi, pulumiOk, REPO, Workspace, writeStackFile } from "../lib/workspace";
import { UP_TIMEOUT_MS } from "./knobs";
import { kubeEnv, stackOutputs as outputs, up } from "./kwok-stacks";

interface Clusters { a: Cluster; b: Cluster }
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function claimsOf(c: Cluster, namespace: string): { name: string; phase: string; volume: string }[] {
    return kubectlJson<{ items: Any[] }>(c, ["get", "pvc", "-n", namespace]).items
        .map((p) => ({ name: p.metadata.name, phase: p.status?.phase ?? "", volume: p.spec?.volumeName ?? "" }));
}

function volumePhase(c: Cluster, volume: string): string {
    return kubectlJson<Any>(c, ["get", "pv", volume]).status?.phase ?? "";
}

/** Writes `status.loadBalancer.ingress[0].ip` on every LoadBalancer Service without one, every second, until stopped. */
function loadBalancerAddresses(c: Cluster, address: string): () => void {
    const child = startLoadBalancerStandIn(c, address, 1);
    return () => stopGroup(child);
}

/** `pulumi up` in the background while `poll` runs every 300 ms; resolves with the up's exit code and output. */
function upWhilePolling(ws: Workspace, stack: string, poll: () => void): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        let output = "";
        const child: ChildProcess = spawn(path.join(TOOLS_BIN, "pulumi"),
            ["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive", "--color", "never"],
            { cwd: ws.project, env: { ...ws.env, ...kubeEnv(ws) } });
        child.stdout!.on("data", (d) => { output += d; });
        child.stderr!.on("data", (d) => { output += d; });
        const timer = setInterval(poll, 300);
        const limit = setTimeout(() => child.kill("SIGINT"), UP_TIMEOUT_MS);
        child.on("close", (code) => { clearInterval(timer); clearTimeout(limit); resolve({ code: code ?? 1, output }); });
    });
}

export async function firstDeployChecks(ws: Workspace, cs: Clusters, images: Record<string, string>): Promise<void> {
    const base = { images, context: cs.a.context };

    // ---- 1. claim rename ---------------------------------------------------------------
    {
        const stack = "b-rename";
        ensureStack(ws, stack);
        const config = (storage: Record<string, unknown>) => ({ ...base, coupling: "volume", storage: { size: "1Gi", ...storage } });
        let namespace = "";
        let first: { name: string; volume: string } | undefined;
        await check("issue 17.1: a claim rename while the claim is not retained is refused at preview; the claim and its volume stay", () => {
            writeStackFile(ws, stack, config({ retainOnDelete: false }));
            up(ws, stack);
            namespace = String(outputs(ws, stack).namespace);
            waitForSync("the claim Bound", () => claimsOf(cs.a, namespace).some((c) => c.phase === "Bound"), 60_000);
            first = claimsOf(cs.a, namespace)[0];
            writeStackFile(ws, stack, config({ retainOnDelete: false, claimName: "data-2" }));
            const refused = pulumi(ws, ["preview", "--stack", stack], { env: kubeEnv(ws) });
            assert(refused.code !== 0 && /storage\.claimName: the claim .* is not retained/.test(refused.output),
                `preview of the rename was not refused:\n${tail(refused.output, 20)}`);
            const upRefused = pulumi(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
            assert(upRefused.code !== 0, "pulumi up of the rename was not refused");
            const now = claimsOf(cs.a, namespace);
            assert(now.length === 1 && now[0].name === first.name && now[0].phase === "Bound" && now[0].volume === first.volume,
                `claims after the refused rename: ${JSON.stringify(now)} (was ${JSON.stringify(first)})`);
        });
        await check("issue 17.1: retained first, then renamed: a new claim, the old one still Bound to its volume, no longer in the stack", () => {
            assert(first, "no claim from the step before");
            writeStackFile(ws, stack, config({ retainOnDelete: true }));
            up(ws, stack);
            writeStackFile(ws, stack, config({ retainOnDelete: true, claimName: "data-2" }));
            const r = up(ws, stack);
            assert(/replace/.test(r.output), `the rename was not a replacement:\n${tail(r.output, 20)}`);
            waitForSync("data-2 Bound", () => claimsOf(cs.a, namespace).some((c) => c.name === "data-2" && c.phase === "Bound"), 60_000);
            const now = claimsOf(cs.a, namespace);
            const old = now.find((c) => c.name === first!.name);
            assert(old && old.phase === "Bound" && old.volume === first.volume, `the old claim: ${JSON.stringify(old)} (was ${JSON.stringify(first)})`);
            assert(volumePhase(cs.a, first.volume) === "Bound", `volume ${first.volume} is ${volumePhase(cs.a, first.volume)}`);
            const state = JSON.parse(pulumiOk(ws, ["stack", "export", "--stack", stack]).stdout);
            const inState = (state.deployment?.resources ?? []).filter((r: Any) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")
                .map((r: Any) => r.outputs?.metadata?.name);
            assert(JSON.stringify(inState) === JSON.stringify(["data-2"]), `claims in the stack's state: ${JSON.stringify(inState)}`);
            console.log(`        kept: ${namespace}/${first.name} Bound to ${first.volume}; new: data-2 Bound to ${now.find((c) => c.name === "data-2")!.volume}`);
            pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
            for (const name of [first.name, "data-2"]) kubectl(cs.a, ["delete", "pvc", "-n", namespace, name, "--wait=false"]);
            kubectl(cs.a, ["delete", "namespace", namespace, "--wait=false"]);
        });
    }

    // ---- 2. a claim no class provisions (cluster B: no class, no static volume) ----------
    {
        const stack = "b-class";
        ensureStack(ws, stack);
        const config = (storage: Record<string, unknown>) => ({ ...base, context: cs.b.context, coupling: "volume", storage: { size: "1Gi", ...storage } });
        await check("issue 17.2: no class named, no default class: preview fails naming storage.storageClass; a named missing class too", () => {
            writeStackFile(ws, stack, config({}));
            const r = pulumi(ws, ["preview", "--stack", stack], { env: kubeEnv(ws) });
            assert(r.code !== 0 && /storage\.storageClass: unset, and the cluster of context kwok-ac-e2e-b has no default StorageClass \(it has: none\)/.test(r.output),
                `preview did not fail as expected:\n${tail(r.output, 20)}`);
            writeStackFile(ws, stack, config({ storageClass: "gp3" }));
            const named = pulumi(ws, ["preview", "--stack", stack], { env: kubeEnv(ws) });
            assert(named.code !== 0 && /storage\.storageClass: "gp3" is not a StorageClass of the cluster of context kwok-ac-e2e-b/.test(named.output),
                `preview with a missing class did not fail as expected:\n${tail(named.output, 20)}`);
        });
        await check("issue 17.2: with a default StorageClass the same preview passes", () => {
            kubectlOk(cs.b, ["apply", "-f", "-"], JSON.stringify({
                apiVersion: "storage.k8s.io/v1", kind: "StorageClass",
                metadata: { name: "e2e-default", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "e2e.example/none", volumeBindingMode: "WaitForFirstConsumer",
            }));
            try {
                writeStackFile(ws, stack, config({}));
                pulumiOk(ws, ["preview", "--stack", stack], { env: kubeEnv(ws) });
            } finally {
                kubectl(cs.b, ["delete", "storageclass", "e2e-default"]);
            }
        });
    }

    // ---- 3, 5, 7, 6 on one stack: service -> clusters -> destroy -------------------------
    const stack = "b-first";
    ensureStack(ws, stack);
    const service = { ...base, coupling: "service", echoReplicas: 3, platform: "linux/amd64" };
    let namespace = "";
    await check("issue 17.3: a chosen platform no node has (arm64 on kwok's amd64 nodes) is warned of at preview", () => {
        writeStackFile(ws, stack, { ...service, platform: "linux/arm64" });
        const r = pulumiOk(ws, ["preview", "--stack", stack], { env: kubeEnv(ws) });
        assert(/platform: linux\/arm64 is set, but no node of the cluster of context kwok-ac-e2e-a has kubernetes\.io\/arch=arm64 \(its nodes are amd64\)/.test(r.output),
            `no such warning:\n${tail(r.output, 20)}`);
    });
    await check("issue 17.3: pods pinned to kubernetes.io/arch=amd64 (platform linux/amd64) run on kwok's nodes", () => {
        writeStackFile(ws, stack, service);
        up(ws, stack);
        namespace = String(outputs(ws, stack).namespace);
        for (const d of kubectlJson<{ items: Any[] }>(cs.a, ["get", "deployments", "-n", namespace]).items) {
            assert(d.spec.template.spec.nodeSelector?.["kubernetes.io/arch"] === "amd64", `${d.metadata.name}: nodeSelector ${JSON.stringify(d.spec.template.spec.nodeSelector)}`);
            assert(d.status?.readyReplicas === d.spec.replicas, `${d.metadata.name}: ${d.status?.readyReplicas ?? 0}/${d.spec.replicas} ready`);
        }
    });

    const clusters = {
        ...service, coupling: "clusters",
        clusters: { generator: { context: cs.b.context, kubeconfig: cs.b.kubeconfig }, echo: { context: cs.a.context, kubeconfig: cs.a.kubeconfig } },
    };
    await check("issue 17.7 + 17.5: service -> clusters: never two budgets over echo's pods; an IPv6 generator address becomes http://[fd00::1]:8080", async () => {
        const stop = loadBalancerAddresses(cs.b, "fd00::1");
        let most = 0;
        try {
            writeStackFile(ws, stack, clusters);
            const r = await upWhilePolling(ws, stack, () => {
                const got = kubectl(cs.a, ["get", "pdb", "-n", namespace, "-o", "name"]);
                if (got.code === 0) most = Math.max(most, got.stdout.split("\n").filter(Boolean).length);
            });
            if (r.code !== 0) throw new CheckError(`pulumi up exited ${r.code}:\n${tail(r.output, 30)}`);
        } finally {
            stop();
        }
        console.log(`        most PodDisruptionBudgets in ${namespace} at once during the switch: ${most}`);
        assert(most === 1, `${most} PodDisruptionBudgets over echo's pods at once during the switch`);
        const url = outputs(ws, stack).generatorUrl;
        assert(url === "http://[fd00::1]:8080", `generatorUrl output ${url}`);
        const echo = kubectlJson<{ items: Any[] }>(cs.a, ["get", "deployments", "-n", namespace, "-l", "app.kubernetes.io/component=echo"]).items[0];
        const upstream = echo.spec.template.spec.containers[0].env.find((e: Any) => e.name === "UPSTREAM_URL")?.value;
        assert(upstream === "http://[fd00::1]:8080", `echo's UPSTREAM_URL ${upstream}`);
    });
    await check("issue 17.7: after the switch an echo pod can be evicted (one budget, disruptions allowed)", () => {
        waitForSync("the budget to allow a disruption",
            () => (kubectlJson<{ items: Any[] }>(cs.a, ["get", "pdb", "-n", namespace]).items[0]?.status?.disruptionsAllowed ?? 0) >= 1, 60_000);
        const pod = kubectlJson<{ items: Any[] }>(cs.a, ["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=echo"]).items[0];
        const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod.metadata.name, namespace } };
        const r = kubectl(cs.a, ["create", "--raw", `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/eviction`, "-f", "-"], JSON.stringify(eviction));
        assert(r.code === 0, `eviction of ${pod.metadata.name} refused:\n${tail(r.output, 10)}`);
    });
    await check("issue 17.6: a LoadBalancer Service held by the cleanup finalizer (no controller): lib.sh releases it, pulumi destroy completes", () => {
        const gns = generatorNamespace(namespace);
        const svc = kubectlJson<{ items: Any[] }>(cs.b, ["get", "services", "-n", gns]).items.find((s) => s.spec.type === "LoadBalancer");
        assert(svc, `no LoadBalancer Service in ${gns}`);
        kubectlOk(cs.b, ["patch", "service", "-n", gns, svc.metadata.name, "--type=merge", "-p",
            JSON.stringify({ metadata: { finalizers: ["service.kubernetes.io/load-balancer-cleanup"] } })]);
        const release = run("bash", ["-c", `source scripts/lib.sh && STACK=${stack} LB_RELEASE_SECONDS=3 release_load_balancers ${cs.b.context}`], {
            cwd: REPO, env: { ...ws.env, ...kubeEnv(ws), PATH: `${TOOLS_BIN}:${ws.env.PATH}` }, timeoutMs: 120_000,
        });
        assert(release.code === 0 && /removing its service\.kubernetes\.io\/load-balancer-cleanup finalizer/.test(release.output),
            `release_load_balancers:\n${tail(release.output, 10)}`);
        const destroy = pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: 240_000, env: kubeEnv(ws) });
        console.log(`        pulumi destroy after the release: ${(destroy.ms / 1000).toFixed(1)}s`);
        assert(kubectl(cs.b, ["get", "service", "-n", gns, svc.metadata.name]).code !== 0, "the Service is still there");
    });
}
