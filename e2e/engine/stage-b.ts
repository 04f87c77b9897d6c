// Stage B: the real engine and provider against real API servers (kwok clusters from the
// tool cache): every coupling deployed and re-deployed as a no-op, then the switch
// sequence on one stack, the retained claim, Pod Security admission, and destroy.
import * as fs from "fs";
import * as path from "path";
import { generatorNamespace } from "../../components/couplings/clusters";
import { imagesConfig } from "../lib/images";
import { firstDeployChecks } from "./first-deploy";
import { kubeEnv, stackOutputs, up } from "./kwok-stacks";
import { claims, Cluster, kubectl, kubectlJson, kubectlOk } from "../lib/kubectl";
import { createCluster, createStaticVolumes, startLoadBalancerStandIn } from "../lib/kwok";
import { assert, check, CheckError, record, secs, skip } from "../lib/ledger";
import { run, sleepSync, tail } from "../lib/processes";
import { assertNoChanges, ensureStack, pulumi, pulumiOk, REPO, Workspace, writeStackFile } from "../lib/workspace";
import { COUPLINGS, Coupling, FIRST_DEPLOY, NO_LB_LIMIT_S, UP_TIMEOUT_MS } from "./knobs";

interface Clusters { a: Cluster; b: Cluster }

/** A stage-B stack's config: coupling on cluster A (clusters: generator on A, echo on B). */
function clusterConfig(cs: Clusters, coupling: Coupling, images: Record<string, string>, retain: boolean): Record<string, unknown> {
    const config: Record<string, unknown> = {
        coupling, images, context: cs.a.context,
        storage: { size: "1Gi", accessMode: "ReadWriteOnce", retainOnDelete: retain },
    };
    if (coupling === "clusters") {
        // echo stays on the cluster the single-cluster couplings use (cluster A), as the
        // program's "app" site does; the generator side moves to cluster B
        config.clusters = {
            generator: { context: cs.b.context, kubeconfig: cs.b.kubeconfig },
            echo: { context: cs.a.context, kubeconfig: cs.a.kubeconfig },
            // kwok gives LoadBalancer Services no address: name the generator's URL
            generatorUrl: "http://generator.e2e.example:8080",
        };
    }
    return config;
}

/**
 * Where a coupling's workloads are: the stack's namespace on cluster A (echo, or both
 * programs), and with `clusters` the generator side's own namespace on cluster B
 * (components/couplings/clusters.ts, generatorNamespace).
 */
function placesOf(cs: Clusters, coupling: Coupling, namespace: string): [Cluster, string][] {
    return coupling === "clusters" ? [[cs.a, namespace], [cs.b, generatorNamespace(namespace)]] : [[cs.a, namespace]];
}

function assertDeploymentsReady(c: Cluster, namespace: string): number {
    const deps = kubectlJson<{ items: any[] }>(c, ["get", "deployments", "-n", namespace]).items; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const d of deps) {
        const want = d.spec?.replicas ?? 1;
        assert((d.status?.readyReplicas ?? 0) === want && (d.status?.updatedReplicas ?? 0) === want,
            `Deployment ${namespace}/${d.metadata.name} in ${c.context}: ${d.status?.readyReplicas ?? 0}/${want} ready, ${d.status?.updatedReplicas ?? 0} updated`);
    }
    return deps.length;
}

function echoService(c: Cluster, namespace: string): { name: string; uid: string } | undefined {
    const svcs = kubectlJson<{ items: any[] }>(c, ["get", "services", "-n", namespace]).items; // eslint-disable-line @typescript-eslint/no-explicit-any
    const echo = svcs.find((s) => s.metadata.labels?.["app-coupling/serves-echo"] === "true" || s.spec?.ports?.some((p: { port: number }) => p.port === 8000));
    return echo ? { name: echo.metadata.name, uid: echo.metadata.uid } : undefined;
}

/** What the program left in its namespace on one cluster (kind/name), the namespace first. */
function leftovers(c: Cluster, namespace: string): string[] {
    const ns = kubectl(c, ["get", "namespace", namespace, "-o", "json"]);
    if (ns.code !== 0) return [];
    const phase = JSON.parse(ns.stdout).status?.phase;
    const r = kubectlOk(c, ["get", "deployments,services,pvc,serviceaccounts,secrets,configmaps,poddisruptionbudgets,networkpolicies",
        "-n", namespace, "-o", "json"]);
    const items = JSON.parse(r.stdout).items as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const own = items.filter((o) => !(o.kind === "ServiceAccount" && o.metadata.name === "default") &&
        !(o.kind === "ConfigMap" && o.metadata.name === "kube-root-ca.crt"));
    return [`Namespace/${namespace} (${phase})`, ...own.map((o) => `${o.kind}/${o.metadata.name}`)];
}

/** `kubectl apply --server-side` of what `npm run render` prints for the same config, twice
 *  into a scratch namespace: the second apply is the no-op compared with `pulumi up`. */
function kubectlNoopApplyMs(ws: Workspace, c: Cluster, stackFile: string, coupling: Coupling): number {
    const scratch = `e2e-kubectl-${coupling}`;
    const out = path.join(ws.dir, "kubectl-apply", coupling);
    const r = run("npm", ["run", "-s", "render", "--", "--stack", stackFile, "--set", `namespace=${scratch}`, "--out", out],
        { cwd: REPO, env: ws.env });
    if (r.code !== 0) throw new CheckError(`npm run render --out exited ${r.code}:\n${tail(r.output, 20)}`);
    const apply = () => kubectlOk(c, ["apply", "--server-side", "--field-manager", "e2e-kubectl", "-R", "-f", out]);
    try {
        // the Namespace first, then the rest (one apply of everything races the namespace)
        for (const f of fs.readdirSync(out, { recursive: true }) as string[]) {
            if (/namespace-/.test(path.basename(f))) kubectlOk(c, ["apply", "--server-side", "--field-manager", "e2e-kubectl", "-f", path.join(out, f)]);
        }
        apply();
        const start = Date.now();
        const second = apply();
        const ms = Date.now() - start;
        assert(!/configured|created/.test(second.stdout.replace(/serverside-applied/g, "")), `the second kubectl apply changed something:\n${second.stdout}`);
        return ms;
    } finally {
        kubectl(c, ["delete", "namespace", scratch, "--wait=false"]);
    }
}

export async function stageB(ws: Workspace): Promise<void> {
    const { images, source } = imagesConfig();
    console.log(`stage B: real engine on kwok clusters (binary runtime, tools from the cache; images: ${source})`);
    let cs: Clusters | undefined;
    await check("stage B: two kwok clusters up (etcd, kube-apiserver with admission, controller-manager, scheduler, kwok)", () => {
        const start = Date.now();
        const a = createCluster(ws, "ac-e2e-a", 2);
        const b = createCluster(ws, "ac-e2e-b", 1);
        createStaticVolumes(a, 8, "5Gi");
        cs = { a, b };
        record(`two kwok clusters created in ${secs(Date.now() - start)}`);
    });
    if (!cs) {
        skip("stage B: every deployment check", "no kwok clusters");
        return;
    }
    const clusters = cs;
    pulumiOk(ws, ["login", ws.env.PULUMI_BACKEND_URL!]);

    // ---- clusters with generatorUrl, on clusters without a load-balancer controller -----
    // (kwok's, or any bare-metal cluster's): the URL is given, so nothing should wait for
    // a load-balancer address.
    await check(`stage B clusters: pulumi up with clusters.generatorUrl and no load-balancer controller completes (limit ${NO_LB_LIMIT_S}s)`, () => {
        const stack = "b-clusters-no-lb";
        ensureStack(ws, stack);
        writeStackFile(ws, stack, clusterConfig(clusters, "clusters", images, false));
        try {
            const r = pulumi(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: NO_LB_LIMIT_S * 1000, env: kubeEnv(ws) });
            const waiting = [clusters.a, clusters.b].flatMap((c) => kubectlJson<{ items: any[] }>(c, ["get", "services", "-A"]).items // eslint-disable-line @typescript-eslint/no-explicit-any
                .filter((s) => s.spec.type === "LoadBalancer" && !s.status?.loadBalancer?.ingress?.length)
                .map((s) => `${c.context}: ${s.metadata.namespace}/${s.metadata.name}`));
            assert(r.code === 0, `pulumi up did not complete (exit ${r.code}); LoadBalancer Services without an address: ${waiting.join(", ") || "none"}\n${tail(r.output, 15)}`);
        } finally {
            pulumi(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
        }
    });
    // issue 17: before the stand-ins below (its IPv6 check writes its own load-balancer address)
    if (FIRST_DEPLOY) await firstDeployChecks(ws, clusters, images);

    // from here on, a stand-in load-balancer controller gives LoadBalancer Services an address
    startLoadBalancerStandIn(clusters.a, "203.0.113.10");
    startLoadBalancerStandIn(clusters.b, "203.0.113.20");

    // ---- every coupling on its own stack ----------------------------------------------
    for (const coupling of COUPLINGS) {
        const stack = `b-${coupling}`;
        const label = `stage B ${coupling}`;
        let namespace = "";
        const deployed = await check(`${label}: pulumi up completes, Deployments Ready`, () => {
            ensureStack(ws, stack);
            writeStackFile(ws, stack, clusterConfig(clusters, coupling, images, false));
            const r = up(ws, stack);
            record(`${coupling}: pulumi up on kwok ${secs(r.ms)}`);
            namespace = String(stackOutputs(ws, stack).namespace ?? "");
            assert(namespace, "the stack has no namespace output");
            for (const [c, ns] of placesOf(clusters, coupling, namespace)) {
                assert(assertDeploymentsReady(c, ns) > 0, `no Deployments in ${ns} (${c.context})`);
            }
        });
        if (!deployed) continue;
        let noopMs = 0;
        await check(`${label}: a second pulumi up reports no changes`, () => {
            const r = up(ws, stack);
            noopMs = r.ms;
            assertNoChanges(r.output);
            record(`${coupling}: no-op pulumi up ${secs(r.ms)}`);
        });
        await check(`${label}: pulumi preview --expect-no-changes`, () => {
            pulumiOk(ws, ["preview", "--stack", stack, "--expect-no-changes"], { env: kubeEnv(ws) });
        });
        if (coupling === "clusters") {
            skip(`${label}: kubectl apply --server-side comparison`, "two clusters: measured on the single-cluster couplings");
        } else {
            await check(`${label}: no-op kubectl apply --server-side of the same rendered manifests (timing)`, () => {
                const ms = kubectlNoopApplyMs(ws, clusters.a, path.join(ws.project, `Pulumi.${stack}.yaml`), coupling);
                record(`${coupling}: no-op kubectl apply --server-side ${secs(ms)}` +
                    (noopMs ? `; no-op pulumi up / kubectl apply = ${(noopMs / ms).toFixed(1)}x` : ""));
            });
        }
        if (coupling === "pod") {
            await check(`${label}: Pod Security "restricted" is enforced by the API server's admission`, () => {
                const labels = kubectlJson(clusters.a, ["get", "namespace", namespace]).metadata.labels ?? {};
                assert(labels["pod-security.kubernetes.io/enforce"] === "restricted", `namespace ${namespace} is not labelled enforce=restricted`);
                const r = kubectl(clusters.a, ["run", "psa-probe", "-n", namespace, "--image", images.echo, "--restart=Never",
                    "--privileged", "--dry-run=server"]);
                assert(r.code !== 0 && /violates PodSecurity/.test(r.output), `a privileged pod was not refused by Pod Security admission:\n${tail(r.output, 10)}`);
            });
        }
        await check(`${label}: pulumi destroy`, () => {
            pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
        });
    }

    // ---- the switch sequence on one stack ---------------------------------------------
    await switchSequence(ws, clusters, images);
    // ---- retainOnDelete: volume -> pod -> volume, then destroy -------------------------
    await retainSequence(ws, clusters, images);
}

function namespaceState(c: Cluster, namespace: string): { uid: string; phase: string } | undefined {
    const r = kubectl(c, ["get", "namespace", namespace, "-o", "json"]);
    if (r.code !== 0) return undefined;
    const ns = JSON.parse(r.stdout);
    return { uid: ns.metadata.uid, phase: ns.status?.phase ?? "" };
}

/** After `pulumi up` returns: a few seconds later the namespace is still the same and Active,
 *  and the Deployments still Ready (catches deletions the engine started but did not wait for). */
function settle(c: Cluster, namespace: string): { uid: string; phase: string } {
    sleepSync(5000);
    const ns = namespaceState(c, namespace);
    assert(ns && ns.phase === "Active", `5 s after pulumi up, namespace ${namespace} in ${c.context} is ${ns ? ns.phase : "gone"}`);
    assertDeploymentsReady(c, namespace);
    return ns;
}

async function switchSequence(ws: Workspace, clusters: Clusters, images: Record<string, string>): Promise<void> {
    const stack = "b-switch";
    const sequence: Coupling[] = ["pod", "container", "volume", "service", "clusters", "pod"];
    const echoUids: { coupling: string; uid: string }[] = [];
    const namespaceUids: { step: string; uid: string }[] = [];
    let namespace = "";
    let switchOk = true;
    const seqStart = Date.now();
    ensureStack(ws, stack);
    for (const [i, coupling] of sequence.entries()) {
        const from = i === 0 ? "(new stack)" : sequence[i - 1];
        const ok = await check(`stage B switch ${from} -> ${coupling}: pulumi up completes, namespace kept, Deployments Ready`, () => {
            writeStackFile(ws, stack, clusterConfig(clusters, coupling, images, false));
            const r = up(ws, stack);
            record(`switch ${from} -> ${coupling}: ${secs(r.ms)}`);
            namespace = String(stackOutputs(ws, stack).namespace ?? "");
            for (const [c, ns] of placesOf(clusters, coupling, namespace)) {
                assert(assertDeploymentsReady(c, ns) > 0, `no Deployments in ${ns} (${c.context})`);
            }
            const ns = settle(clusters.a, namespace);
            namespaceUids.push({ step: coupling, uid: ns.uid });
            if (coupling === "clusters") settle(clusters.b, generatorNamespace(namespace));
            // echo never leaves cluster A in this sequence: its Service is the same object throughout
            const svc = echoService(clusters.a, namespace);
            assert(svc, `no echo Service in ${namespace} (${clusters.a.context})`);
            echoUids.push({ coupling: `${i}:${coupling}`, uid: svc.uid });
        });
        if (!ok) {
            switchOk = false;
            break;
        }
    }
    if (switchOk) record(`whole switch sequence ${sequence.join(" -> ")}: ${secs(Date.now() - seqStart)}`);
    if (echoUids.length === sequence.length) {
        await check(`stage B switch: the echo Service keeps its UID across ${sequence.join(" -> ")} (echo stays on ${clusters.a.context})`, () => {
            const uids = new Set(echoUids.map((e) => e.uid));
            assert(uids.size === 1, `the echo Service was replaced: ${echoUids.map((e) => `${e.coupling}=${e.uid}`).join(", ")}`);
        });
    } else {
        skip("stage B switch: echo Service UID unchanged", "the switch sequence did not complete");
    }
    if (namespaceUids.length >= 2) {
        await check(`stage B switch: the namespace in ${clusters.a.context} is never deleted and recreated`, () => {
            const uids = new Set(namespaceUids.map((n) => n.uid));
            assert(uids.size === 1, `namespace ${namespace} was recreated: ${namespaceUids.map((n) => `${n.step}=${n.uid.slice(0, 8)}`).join(", ")}`);
        });
    }
    await check("stage B switch: pulumi destroy leaves nothing behind", () => {
        pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
        const left = [...leftovers(clusters.a, namespace).map((l) => `${clusters.a.context}: ${l}`),
            ...leftovers(clusters.b, generatorNamespace(namespace)).map((l) => `${clusters.b.context}: ${l}`)]
            .filter((l) => !/\(Terminating\)$/.test(l));
        assert(left.length === 0, `left behind:\n${left.join("\n")}`);
    });
}

async function retainSequence(ws: Workspace, clusters: Clusters, images: Record<string, string>): Promise<void> {
    const stack = "b-retain";
    ensureStack(ws, stack);
    let namespace = "";
    let claim: { name: string; uid: string; volume: string } | undefined;
    const steps: Coupling[] = ["volume", "pod", "volume"];
    for (const [i, coupling] of steps.entries()) {
        const ok = await check(`stage B retain (storage.retainOnDelete): ${i === 0 ? "" : `${steps[i - 1]} -> `}${coupling}` +
            (i === 0 ? ", the claim Bound" : ", the same claim kept, Bound to the same volume"), () => {
            writeStackFile(ws, stack, clusterConfig(clusters, coupling, images, true));
            up(ws, stack);
            namespace = String(stackOutputs(ws, stack).namespace ?? "");
            settle(clusters.a, namespace);
            const cl = claims(clusters.a, namespace);
            if (!claim) {
                assert(cl.length === 1 && cl[0].phase === "Bound", `expected one Bound claim, got ${JSON.stringify(cl)}`);
                claim = cl[0];
                return;
            }
            const c = cl.find((x) => x.name === claim!.name);
            assert(c, `claim ${claim.name} is gone from ${namespace}; claims now: ${JSON.stringify(cl)}`);
            assert(c.uid === claim.uid, `claim ${claim.name} was recreated (uid ${claim.uid} -> ${c.uid})`);
            assert(c.phase === "Bound" && c.volume === claim.volume, `claim ${claim.name}: ${c.phase}, volume ${c.volume} (was ${claim.volume})`);
            assert(cl.length === 1, `more than one claim: ${cl.map((x) => x.name).join(", ")}`);
        });
        if (!ok) break;
    }
    await check("stage B retain: pulumi destroy leaves nothing behind but the retained claim", () => {
        pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(ws) });
        sleepSync(3000);
        const left = leftovers(clusters.a, namespace);
        const unexpected = left.filter((l) => !/^(PersistentVolumeClaim|Namespace)\//.test(l));
        assert(unexpected.length === 0, `left behind:\n${left.join("\n")}`);
        if (claim) {
            assert(left.some((l) => l === `PersistentVolumeClaim/${claim!.name}`) && left.some((l) => /\(Active\)$/.test(l)),
                `the retained claim ${claim.name} did not survive destroy; left: ${left.join(", ") || "(nothing)"}`);
        }
        console.log(`        left (retained): ${left.join(", ") || "(nothing)"}`);
    });
}
