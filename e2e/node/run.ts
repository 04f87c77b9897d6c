// npm run e2e:node — stage C: the real engine against a real node (issue 20). The
// node comes up (`npm run e2e:node -- up`: kubelet, containerd, kube-proxy, CoreDNS, the
// local-path provisioner), the program is deployed with the images `npm run e2e:containers`
// pushed to localhost:5001, and every check reads what the pods really serve, from this
// machine, through the echo Service's cluster address:
//   every single-cluster coupling: Deployments Ready, /data with numbers and more of them
//     a few seconds later, `service` through cluster DNS, `volume` on a bound claim of the
//     default WaitForFirstConsumer class, Pod Security admission, a no-op second up, destroy;
//   the retained claim: volume -> pod -> volume and destroy -> up, each well under a minute,
//     the numbers written before still served;
//   a switch under traffic: pod -> container -> volume -> service -> pod while a bounded
//     loop reads /data, failures counted per step;
//   `clusters` on two real nodes (`up --clusters 2`: node 2 in a network namespace of its
//     own): generator on node 2 behind a LoadBalancer address a stand-in gives it, echo on
//     node 1 serving the generator's numbers; service -> clusters -> service under traffic;
//     `down --node 2`;
//   and `npm run e2e:node -- down`, leaving the machine as it was before up.
// Closes with `e2e:node: N passed, N failed, N skipped` and, for the traffic, one line
// `switch under traffic: R requests, F failed`.
//
// Environment: E2E_NODE_BUDGET_MINUTES (default 25), E2E_NODE_COUPLINGS (e.g. "pod,volume"),
// E2E_NODE_PARTS (any of "couplings,retain,switch,clusters"; default all), E2E_NODE_RETAIN_LIMIT_SECONDS
// (default 60), E2E_NODE_RATE (requests a second, default 20), E2E_NODE_KEEP=1 (leave the
// node up at the end), APP_COUPLING_E2E_IMAGES, APP_COUPLING_TOOLS.
import { Resolver } from "dns/promises";
import * as fs from "fs";
import * as path from "path";
import { COUPLINGS as ALL_COUPLINGS, Coupling } from "../../components/config";
import { generatorNamespace } from "../../components/couplings/clusters";
import { imagesConfig, IMAGES_FILE } from "../lib/images";
import { startLoadBalancerStandIn } from "../lib/kwok";
import { claims, kubectl, kubectlJson } from "../lib/kubectl";
import { abort, assert, check, CheckError, close, note, onCleanup, record, secs, skip, skipLayer, startLayer } from "../lib/ledger";
import { background, run, sleepSync, stopGroup, tail } from "../lib/processes";
import { missingTools, TOOLS } from "../lib/tools";
import { assertNoChanges, ensureStack, ENGINE_TOOLS, makeWorkspace, pulumi, pulumiOk, REPO, Workspace, writeStackFile } from "../lib/workspace";
import {
    clusterScript, deploymentsReady, echoService, KObj, namespaceGone, Node, NODE2_DIR, NODE_DIR, pods, readNode, snapshotDiff, volumesOf,
    waitSettled,
} from "./node";
import { readOutcomes, request, summarize } from "./traffic";

const NODE_TOOLS = ["kubelet", "kube-proxy", "coredns", "local-path-provisioner", "kube-apiserver", "kube-controller-manager",
    "kube-scheduler", "kubectl", "etcd", "kwokctl"];
const UP_TIMEOUT_MS = 5 * 60_000;
const RETAIN_LIMIT_S = Number(process.env.E2E_NODE_RETAIN_LIMIT_SECONDS ?? 60);
const RATE = Number(process.env.E2E_NODE_RATE ?? 20);
const PARTS = (process.env.E2E_NODE_PARTS ?? "couplings,retain,switch,clusters").split(",");
const SINGLE: Coupling[] = ALL_COUPLINGS.filter((c) => c !== "clusters");
const COUPLINGS = process.env.E2E_NODE_COUPLINGS ? SINGLE.filter((c) => process.env.E2E_NODE_COUPLINGS!.split(",").includes(c)) : SINGLE;

function stackConfig(node: Node, coupling: Coupling, images: Record<string, string>, retain = false): Record<string, unknown> {
    // no storage class: the claim gets the cluster's default (`standard`, WaitForFirstConsumer)
    return { coupling, images, context: node.context, storage: { size: "1Gi", accessMode: "ReadWriteOnce", retainOnDelete: retain } };
}

const kubeEnv = (node: Node) => ({ KUBECONFIG: node.kubeconfig });

function up(ws: Workspace, node: Node, stack: string, timeoutMs = UP_TIMEOUT_MS) {
    return pulumiOk(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs, env: kubeEnv(node) });
}

function destroy(ws: Workspace, node: Node, stack: string) {
    return pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(node) });
}

function outputs(ws: Workspace, stack: string): Record<string, unknown> {
    return JSON.parse(pulumiOk(ws, ["stack", "output", "--stack", stack, "--json"]).stdout);
}

/** GET /data through the echo Service's cluster address, from this machine. */
async function readData(node: Node, namespace: string): Promise<string[]> {
    const svc = echoService(node, namespace);
    const o = await request(svc.clusterIP, svc.port, 3000, true);
    if (o.error) throw new CheckError(`GET http://${svc.clusterIP}:${svc.port}/data: ${o.error}`);
    return o.body!.split("\n").filter(Boolean);
}

/** Polls /data until it answers with numbers; the ms it took. */
async function firstData(node: Node, namespace: string, timeoutMs = 60_000): Promise<number> {
    const t0 = Date.now();
    let last = "";
    for (;;) {
        try {
            if ((await readData(node, namespace)).length > 0) return Date.now() - t0;
        } catch (e) {
            last = (e as Error).message;
        }
        if (Date.now() - t0 > timeoutMs) throw new CheckError(`no numbers from /data within ${timeoutMs / 1000}s (last: ${last})`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

async function numbersGrow(node: Node, namespace: string): Promise<string> {
    const first = await readData(node, namespace);
    assert(first.length > 0 && first.every((l) => /^\d+$/.test(l) && Number(l) <= 32767), `/data is not numbers 0-32767: ${first.slice(0, 5).join(",")}`);
    await new Promise((r) => setTimeout(r, 5000));
    const second = await readData(node, namespace);
    assert(second.length > first.length, `/data did not grow in 5 s: ${first.length} then ${second.length} numbers`);
    return `${first.length} numbers, ${second.length} five seconds later`;
}

// ---- every coupling on its own stack ---------------------------------------------------------

async function couplings(ws: Workspace, node: Node, images: Record<string, string>): Promise<void> {
    for (const coupling of COUPLINGS) {
        const stack = `c-${coupling}`;
        const label = `stage C ${coupling}`;
        let namespace = "";
        let upMs = 0;
        const deployed = await check(`${label}: pulumi up completes with every Deployment Ready (pods running on the node)`, () => {
            ensureStack(ws, stack);
            writeStackFile(ws, stack, stackConfig(node, coupling, images));
            upMs = up(ws, node, stack).ms;
            namespace = String(outputs(ws, stack).namespace ?? "");
            const deps = deploymentsReady(node, namespace);
            record(`${coupling}: pulumi up ${secs(upMs)}`);
            return deps.map((d: KObj) => d.metadata.name).join(", ");
        });
        if (!deployed) {
            note(tail(kubectl(node, ["get", "pods,events", "-n", namespace || "default", "-o", "wide"]).output, 20));
            if (namespace) pulumi(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(node) });
            continue;
        }
        await check(`${label}: GET /data from the host through the echo Service's cluster address returns numbers, and more 5 s later`, async () => {
            const ms = await firstData(node, namespace);
            record(`${coupling}: first /data ${secs(upMs + ms)} after pulumi up started (${secs(ms)} after it returned)`);
            return numbersGrow(node, namespace);
        });
        if (coupling === "service") {
            await check(`${label}: echo reads the generator at <svc>.<ns>.svc, resolved by the cluster's DNS`, async () => {
                const echo = kubectlJson(node, ["get", "deployments", "-n", namespace]).items
                    .find((d: KObj) => d.spec.template.spec.containers.some((c: KObj) => c.name === "echo"));
                const env = echo.spec.template.spec.containers.find((c: KObj) => c.name === "echo").env as { name: string; value: string }[];
                const url = env.find((e) => e.name === "UPSTREAM_URL")?.value ?? "";
                const m = /^http:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc:(\d+)$/.exec(url);
                assert(m && m[2] === namespace, `echo's UPSTREAM_URL is ${JSON.stringify(url)}, not http://<svc>.${namespace}.svc:<port>`);
                const svc = kubectlJson(node, ["get", "service", m[1], "-n", namespace]);
                // the name the pod's resolver completes it to (search path <ns>.svc.cluster.local), asked
                // of the kube-dns Service the pods use
                const resolver = new Resolver({ timeout: 2000, tries: 2 });
                resolver.setServers([node.env.DNS_IP]);
                const answer = await resolver.resolve4(`${m[1]}.${m[2]}.svc.cluster.local`);
                assert(answer.includes(svc.spec.clusterIP), `kube-dns answers ${answer.join(",")} for ${m[1]}.${m[2]}.svc, the Service is ${svc.spec.clusterIP}`);
                const ready = pods(node, namespace).filter((p: KObj) => p.metadata.labels?.["app.kubernetes.io/component"] === "echo");
                assert(ready.length > 0 && ready.every((p: KObj) => p.status.containerStatuses?.every((s: KObj) => s.ready)),
                    "echo pods are not Ready (their /ready needs a copy of the generator's data)");
                return `${url} -> ${answer.join(",")}`;
            });
        }
        if (coupling === "volume") {
            await check(`${label}: both Deployments mount the claim, Bound by the local-path provisioner on the default WaitForFirstConsumer class`, () => {
                const cl = claims(node, namespace);
                assert(cl.length === 1 && cl[0].phase === "Bound", `claims: ${JSON.stringify(cl)}`);
                const klass = kubectlJson(node, ["get", "storageclass", cl[0].className]);
                assert(klass.volumeBindingMode === "WaitForFirstConsumer" && klass.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
                    `the claim's class ${cl[0].className} is not the default WaitForFirstConsumer class`);
                assert(cl[0].selectedNode === node.nodeName, `the claim has no selected-node annotation for ${node.nodeName}: ${cl[0].selectedNode}`);
                const pv = kubectlJson(node, ["get", "pv", cl[0].volume]);
                assert(pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] === "rancher.io/local-path", `volume ${cl[0].volume} was not provisioned by rancher.io/local-path`);
                const users = pods(node, namespace).filter((p: KObj) => p.spec.volumes?.some((v: KObj) => v.persistentVolumeClaim?.claimName === cl[0].name));
                const components = new Set(users.map((p: KObj) => p.metadata.labels?.["app.kubernetes.io/component"]));
                assert(components.has("generator") && components.has("echo"), `pods mounting ${cl[0].name}: ${[...components].join(", ")}`);
                return `claim ${cl[0].name} -> ${cl[0].volume} (${cl[0].className}), node ${cl[0].selectedNode}`;
            });
        }
        if (coupling === "pod") {
            await check(`${label}: kubectl logs and exec reach the kubelet through the API server (the kubelet refuses anonymous callers)`, () => {
                const deploy = deploymentsReady(node, namespace)[0].metadata.name;
                const logs = kubectl(node, ["logs", "-n", namespace, `deployment/${deploy}`, "-c", "echo"]);
                assert(logs.code === 0 && /echo: serving/.test(logs.output), `kubectl logs: ${tail(logs.output, 5)}`);
                const exec = kubectl(node, ["exec", "-n", namespace, `deployment/${deploy}`, "-c", "echo", "--", "python3", "-c", "print('exec ok')"]);
                assert(exec.code === 0 && /exec ok/.test(exec.stdout), `kubectl exec: ${tail(exec.output, 5)}`);
                const anonymous = run("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", `https://${node.env.NODE_IP}:10250/pods`], { timeoutMs: 10_000 });
                assert(anonymous.stdout === "401", `an anonymous request to the kubelet answered ${anonymous.stdout}, not 401`);
            });
            await check(`${label}: Pod Security "restricted" is enforced by admission (a privileged pod is refused)`, () => {
                const labels = kubectlJson(node, ["get", "namespace", namespace]).metadata.labels ?? {};
                assert(labels["pod-security.kubernetes.io/enforce"] === "restricted", `namespace ${namespace} is not labelled enforce=restricted`);
                const r = kubectl(node, ["run", "psa-probe", "-n", namespace, "--image", images.echo, "--restart=Never", "--privileged", "--dry-run=server"]);
                assert(r.code !== 0 && /violates PodSecurity "restricted/.test(r.output), `a privileged pod was not refused:\n${tail(r.output, 10)}`);
                return tail(r.output, 1).slice(0, 140);
            });
        }
        await check(`${label}: a second pulumi up changes nothing`, () => {
            const r = up(ws, node, stack);
            assertNoChanges(r.output);
            record(`${coupling}: no-op pulumi up ${secs(r.ms)}`);
        });
        await check(`${label}: pulumi destroy leaves nothing (namespace and its volumes gone)`, () => {
            const r = destroy(ws, node, stack);
            const t0 = Date.now();
            while ((!namespaceGone(node, namespace) || volumesOf(node, namespace).length) && Date.now() - t0 < 90_000) sleepSync(1000);
            assert(namespaceGone(node, namespace), `namespace ${namespace} still there 90 s after destroy`);
            const left = volumesOf(node, namespace);
            assert(left.length === 0, `volumes of ${namespace} left: ${left.join(", ")}`);
            return `destroy ${secs(r.ms)}, then ${secs(Date.now() - t0)} until the volumes were reclaimed`;
        });
    }
}

// ---- the retained claim on the default WaitForFirstConsumer class ----------------------------

async function retained(ws: Workspace, node: Node, images: Record<string, string>): Promise<void> {
    const stack = "c-retain";
    ensureStack(ws, stack);
    let namespace = "";
    let claim: { name: string; uid: string; volume: string } | undefined;
    let before: string[] = [];
    onCleanup("retained claim", () => {
        if (!namespace) return;
        pulumi(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(node) });
        kubectl(node, ["delete", "namespace", namespace, "--wait=false"]);
    });
    const steps: { name: string; coupling: Coupling; destroyFirst?: boolean }[] = [
        { name: "volume (storage.retainOnDelete)", coupling: "volume" },
        { name: "volume -> pod", coupling: "pod" },
        { name: "pod -> volume", coupling: "volume" },
        { name: "destroy -> up (volume)", coupling: "volume", destroyFirst: true },
    ];
    for (const [i, step] of steps.entries()) {
        const limit = i === 0 ? UP_TIMEOUT_MS : RETAIN_LIMIT_S * 1000;
        const ok = await check(`stage C retain: ${step.name}` + (i === 0 ? ": the claim Bound, numbers served" :
            `: pulumi up within ${RETAIN_LIMIT_S}s, the same claim and volume` + (step.coupling === "volume" ? ", the numbers written before still served" : "")), async () => {
            if (step.destroyFirst) {
                destroy(ws, node, stack);
                const cl = claims(node, namespace).find((c) => c.name === claim!.name);
                assert(cl && cl.uid === claim!.uid && cl.phase === "Bound", `destroy did not keep the claim ${claim!.name} Bound: ${JSON.stringify(cl)}`);
            }
            writeStackFile(ws, stack, stackConfig(node, step.coupling, images, true));
            const r = pulumi(ws, ["up", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: limit, env: kubeEnv(node) });
            assert(r.code === 0, `pulumi up did not complete within ${limit / 1000}s (exit ${r.code}):\n${tail(r.output, 25)}`);
            record(`retain ${step.name}: pulumi up ${secs(r.ms)}`);
            namespace = String(outputs(ws, stack).namespace ?? "");
            deploymentsReady(node, namespace);
            const cl = claims(node, namespace);
            if (!claim) {
                assert(cl.length === 1 && cl[0].phase === "Bound", `expected one Bound claim, got ${JSON.stringify(cl)}`);
                claim = cl[0];
                await firstData(node, namespace);
                await new Promise((res) => setTimeout(res, 3000));
                before = await readData(node, namespace);
                return `claim ${claim.name} on ${claim.volume}; ${before.length} numbers written`;
            }
            const c = cl.find((x) => x.name === claim!.name);
            assert(c && c.uid === claim.uid, `claim ${claim.name} was recreated or lost: ${JSON.stringify(cl)}`);
            assert(c.phase === "Bound" && c.volume === claim.volume, `claim ${claim.name}: ${c.phase}, volume ${c.volume} (was ${claim.volume})`);
            if (step.coupling !== "volume") return `the claim kept (${c.phase}) while ${step.coupling} runs`;
            await firstData(node, namespace);
            const now = await readData(node, namespace);
            assert(now.length >= before.length && before.every((n, j) => now[j] === n),
                `the data file is not the one written before: it was ${before.length} numbers (${before.slice(0, 5).join(",")}...), now ${now.length} (${now.slice(0, 5).join(",")}...)`);
            return `${before.length} numbers from before still first of ${now.length}`;
        });
        if (!ok) {
            note(tail(kubectl(node, ["get", "pvc,pods,events", "-n", namespace || "default"]).output, 15));
            break;
        }
    }
}

// ---- a coupling switch under live traffic -------------------------------------------------------

interface TrafficWalk {
    stack: string;
    /** the couplings in order; the stack starts at the first */
    sequence: Coupling[];
    /** the check names' prefix, and the summary line's */
    label: string;
    summary: string;
    config: (coupling: Coupling) => Record<string, unknown>;
}

async function switchUnderTraffic(ws: Workspace, node: Node, dir: string, walk: TrafficWalk): Promise<void> {
    const { stack, sequence, label } = walk;
    ensureStack(ws, stack);
    let namespace = "";
    let target: { clusterIP: string; port: number; uid: string } | undefined;
    onCleanup(`${stack} stack`, () => pulumi(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"], { timeoutMs: UP_TIMEOUT_MS, env: kubeEnv(node) }));
    const started = await check(`${label}: ${sequence[0]} deployed, echo Service answering`, async () => {
        writeStackFile(ws, stack, walk.config(sequence[0]));
        up(ws, node, stack);
        namespace = String(outputs(ws, stack).namespace ?? "");
        target = echoService(node, namespace);
        await firstData(node, namespace);
    });
    if (!started || !target) return;
    const log = path.join(dir, `${stack}-traffic.jsonl`);
    const loop = background(`${stack} traffic loop`, path.join(REPO, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", path.join(__dirname, "traffic.ts"), target.clusterIP, String(target.port), log, String(RATE), "900"],
        { log: path.join(dir, `${stack}-traffic.log`) });
    const t = Date.now();
    while (readOutcomes(log).length < RATE && Date.now() - t < 20_000) sleepSync(200);
    let total = { requests: 0, failed: 0 };
    for (const [i, coupling] of sequence.entries()) {
        if (i === 0) continue;
        const from = sequence[i - 1];
        await check(`${label} ${from} -> ${coupling} under ${RATE} requests/s: pulumi up, old pods gone, no failed request`, () => {
            const t0 = Date.now();
            writeStackFile(ws, stack, walk.config(coupling));
            const r = up(ws, node, stack);
            const settleMs = waitSettled(node, namespace, 90_000);
            sleepSync(1000);
            const s = summarize(readOutcomes(log, t0, Date.now()));
            total = { requests: total.requests + s.requests, failed: total.failed + s.failed };
            record(`${walk.summary.replace(/ under traffic$/, "")} ${from} -> ${coupling}: pulumi up ${secs(r.ms)}, old pods gone ${secs(settleMs)} later; ${s.text}`);
            assert(echoService(node, namespace).uid === target!.uid, "the echo Service was replaced");
            deploymentsReady(node, namespace);
            assert(s.requests > 0, "the request loop sent nothing");
            assert(s.failed === 0, s.text);
        });
    }
    stopGroup(loop);
    console.log(`${walk.summary}: ${total.requests} requests, ${total.failed} failed`);
}

// ---- `clusters` on two real nodes ---------------------------------------------------------------

/** Why two nodes cannot be had here, or "" when they can. */
function twoNodesUnavailable(): string {
    for (const [cmd, args] of [["nsenter", ["--version"]], ["python3", ["--version"]], ["ip", ["netns", "list"]]] as const) {
        const r = run(cmd, [...args], { timeoutMs: 10_000 });
        if (r.code !== 0) return `\`${cmd} ${args.join(" ")}\` failed (${tail(r.output, 1) || `exit ${r.code}`}): node 2 needs a network namespace of its own`;
    }
    return "";
}

/**
 * The stack config for node 1 (echo) and node 2 (generator). Echo's side names only node
 * 1's context, its kubeconfig being $KUBECONFIG as for the single-cluster couplings, so a
 * switch between `service` and `clusters` keeps echo's provider, namespace and Service.
 */
function twoClustersConfig(node: Node, node2: Node, coupling: Coupling, images: Record<string, string>): Record<string, unknown> {
    return {
        ...stackConfig(node, coupling, images),
        clusters: { generator: { context: node2.context, kubeconfig: node2.kubeconfig }, echo: { context: node.context } },
    };
}

/** The first host address of an IPv4 /24 (or wider) range: "10.246.1.0/24" -> "10.246.1.1". */
function firstAddress(cidr: string): string {
    const [a, b, c, d] = cidr.split("/")[0].split(".").map(Number);
    return [a, b, c, d + 1].join(".");
}

async function twoClusters(ws: Workspace, node: Node, images: Record<string, string>, dir: string, keep: boolean): Promise<void> {
    const group = "stage C clusters";
    const why = twoNodesUnavailable();
    if (why) {
        skip(`${group}: two real nodes`, why);
        return;
    }
    const before = clusterScript("snapshot", 30_000).stdout;
    const down2 = () => clusterScript("down", 5 * 60_000, ["--node", "2"]);
    onCleanup("node 2", () => {
        if (!keep) down2();
    });
    let node2: Node | undefined;
    await check(`${group}: npm run e2e:node -- up --clusters 2: node 2 Ready in a network namespace of its own, beside node 1`, () => {
        const r = clusterScript("up", 5 * 60_000, ["--clusters", "2"]);
        if (r.code !== 0) throw new CheckError(`exited ${r.code}:\n${tail(r.output, 25)}`);
        node2 = readNode(2);
        record(`node 2 bring-up ${secs(r.ms)} (npm run e2e:node -- up --clusters 2, node 1 already up)`);
        const ready = kubectlJson(node2, ["get", "node", node2.nodeName]).status.conditions.find((c: KObj) => c.type === "Ready");
        assert(ready?.status === "True", `node ${node2.nodeName} is not Ready: ${JSON.stringify(ready)}`);
        return `${node2.nodeName} ${node2.env.NODE_IP} in network namespace ${node2.env.NETNS}, load-balancer range ${node2.env.LOADBALANCER_CIDR}`;
    });
    if (!node2) {
        skip(`${group}: deploy, /data across the clusters, switch`, "no node 2");
        return;
    }
    const n2 = node2;
    const lbAddress = firstAddress(n2.env.LOADBALANCER_CIDR);
    const standIn = startLoadBalancerStandIn(n2, lbAddress);
    const config = (coupling: Coupling) => twoClustersConfig(node, n2, coupling, images);

    const stack = "c-clusters";
    let namespace = "", generatorNs = "", generatorUrl = "", upMs = 0;
    const deployed = await check(`${group}: pulumi up (generator on node 2, echo on node 1) completes with every Deployment Ready on both nodes`, () => {
        ensureStack(ws, stack);
        writeStackFile(ws, stack, config("clusters"));
        upMs = up(ws, node, stack).ms;
        const out = outputs(ws, stack);
        namespace = String(out.namespace ?? "");
        generatorNs = generatorNamespace(namespace);
        generatorUrl = String(out.generatorUrl ?? "");
        assert(generatorUrl === `http://${lbAddress}:8080`, `generatorUrl is ${generatorUrl}, not the load-balancer address http://${lbAddress}:8080`);
        const echoSide = deploymentsReady(node, namespace).map((d: KObj) => d.metadata.name);
        const generatorSide = deploymentsReady(n2, generatorNs).map((d: KObj) => d.metadata.name);
        record(`clusters: pulumi up ${secs(upMs)}`);
        return `node 1 ${namespace}: ${echoSide.join(", ")}; node 2 ${generatorNs}: ${generatorSide.join(", ")}`;
    });
    if (deployed) {
        await check(`${group}: GET /data from the host through echo's Service on node 1 returns numbers, more 5 s later, and they are the generator's on node 2`, async () => {
            const ms = await firstData(node, namespace);
            record(`clusters: first /data ${secs(upMs + ms)} after pulumi up started (${secs(ms)} after it returned)`);
            const grown = await numbersGrow(node, namespace);
            const echoed = await readData(node, namespace);
            // the adapter's file on node 2, read through the address echo reads it from
            const o = await request(lbAddress, 8080, 3000, true);
            if (o.error) throw new CheckError(`GET ${generatorUrl}/data: ${o.error}`);
            const source = o.body!.split("\n").filter(Boolean);
            assert(echoed.length > 0 && echoed.length <= source.length && echoed.every((n, i) => source[i] === n),
                `echo's ${echoed.length} numbers (${echoed.slice(0, 5).join(",")}...) are not the first of the generator's ${source.length} (${source.slice(0, 5).join(",")}...)`);
            return `${grown}; echo's ${echoed.length} numbers are the first of the ${source.length} the adapter on node 2 serves at ${generatorUrl}`;
        });
        await check(`${group}: kube-proxy in node 2's namespace serves the load-balancer address; this machine's iptables hold nothing of node 2's Services`, () => {
            const svc = kubectlJson(n2, ["get", "services", "-n", generatorNs]).items.find((x: KObj) => x.spec.type === "LoadBalancer");
            assert(svc?.status?.loadBalancer?.ingress?.[0]?.ip === lbAddress, `the generator Service's ingress is ${JSON.stringify(svc?.status?.loadBalancer)}`);
            const save = path.join(TOOLS, "node-bin", "iptables-save");
            const r = run("nsenter", [`--net=${n2.env.NETNS}`, "--", save, "-t", "nat"], { timeoutMs: 20_000 });
            assert(r.code === 0, `iptables-save in node 2's namespace exited ${r.code}: ${tail(r.output, 3)}`);
            const inside = r.stdout;
            assert(inside.split("\n").some((l) => l.includes(`-d ${lbAddress}/32`) && l.includes("loadbalancer IP")),
                `no "loadbalancer IP" rule for ${lbAddress} in node 2's nat table:\n${tail(inside.split("\n").filter((l) => /KUBE-(SERVICES|FW)/.test(l)).join("\n"), 12)}`);
            const here = run(save, ["-t", "nat"], { timeoutMs: 20_000 }).stdout;
            for (const address of [lbAddress, svc.spec.clusterIP]) assert(!here.includes(address), `this machine's nat table mentions ${address}`);
            return `${svc.metadata.name}: ${lbAddress}:8080 and ${svc.spec.clusterIP} in node 2's nat table only`;
        });
        await check(`${group}: a second pulumi up changes nothing`, () => {
            const r = up(ws, node, stack);
            assertNoChanges(r.output);
            record(`clusters: no-op pulumi up ${secs(r.ms)}`);
        });
        await check(`${group}: pulumi destroy leaves nothing (the namespaces on both nodes gone)`, () => {
            const r = destroy(ws, node, stack);
            const t0 = Date.now();
            while ((!namespaceGone(node, namespace) || !namespaceGone(n2, generatorNs)) && Date.now() - t0 < 90_000) sleepSync(1000);
            assert(namespaceGone(node, namespace) && namespaceGone(n2, generatorNs), `${namespace} or ${generatorNs} still there 90 s after destroy`);
            return `destroy ${secs(r.ms)}`;
        });
    }
    if (PARTS.includes("switch")) {
        await switchUnderTraffic(ws, node, dir, {
            stack: "c-clusters-switch", sequence: ["service", "clusters", "service"],
            label: `${group} switch`, summary: "clusters switch under traffic", config,
        });
        destroy(ws, node, "c-clusters-switch");
    }
    stopGroup(standIn);
    if (!keep) {
        await check(`${group}: npm run e2e:node -- down --node 2 leaves nothing of node 2 (processes, namespaces, mounts, cgroups, links, routes), node 1 still up`, () => {
            const r = down2();
            assert(r.code === 0, `down --node 2 exited ${r.code}:\n${tail(r.output, 20)}`);
            record(`node 2 teardown ${secs(r.ms)} (npm run e2e:node -- down --node 2)`);
            const left = clusterScript("snapshot", 30_000, ["--node", "2"]).stdout.trim();
            assert(left === "", `node 2 left:\n${left}`);
            // node 1's pods, their namespaces and Service chains come and go with its stacks
            const diff = snapshotDiff(before, clusterScript("snapshot", 30_000).stdout).filter((l) => !/^. (process|chain|rule|mount \/(var\/)?run\/netns\/cni-)/.test(l));
            assert(diff.length === 0, `differs from before up --clusters 2:\n${diff.join("\n")}`);
            assert(clusterScript("status", 20_000).code === 0, "node 1 is no longer Ready");
        });
    }
}

// ---- the layer ----------------------------------------------------------------------------------

async function main(): Promise<void> {
    startLayer("node", { budget: { minutes: Number(process.env.E2E_NODE_BUDGET_MINUTES ?? 25), setBy: "E2E_NODE_BUDGET_MINUTES" } });
    if (process.getuid?.() !== 0) skipLayer("a real node needs root (containerd, kubelet, iptables, links, sysctls); run as root");
    const missing = [...missingTools([...ENGINE_TOOLS, ...NODE_TOOLS]),
        ...["node-bin/containerd", "images/pause.tar"].filter((f) => !fs.existsSync(path.join(TOOLS, f)))];
    if (missing.length) skipLayer(`tools missing from ${TOOLS}: ${missing.join(", ")} (build them once with \`flock /tmp/app-coupling-tools.lock npm run e2e:tools\`, tens of minutes)`);
    const { images, source } = imagesConfig();
    if (source !== IMAGES_FILE) skipLayer(`no images to deploy: ${source} (\`npm run e2e:containers\` builds and pushes them)`);

    const ws = makeWorkspace();
    console.log(`e2e:node: tools ${TOOLS}, workspace ${ws.dir}, images from ${source}`);
    // E2E_NODE_KEEP=1: a node that is up is used as it is, and left up at the end (for iterating)
    const keep = !!process.env.E2E_NODE_KEEP;
    const alreadyUp = clusterScript("status", 20_000).code === 0;
    let before = "";
    let node: Node | undefined;
    if (!(keep && alreadyUp)) {
        if (alreadyUp || fs.existsSync(path.join(NODE_DIR, "baseline")) || fs.existsSync(NODE2_DIR)) {
            note("a node was left up (or half down) by an earlier run: taking it down first");
            clusterScript("down");
        }
        before = clusterScript("snapshot", 30_000).stdout;
        onCleanup("node", () => {
            if (keep) return;
            const r = clusterScript("down");
            if (r.code !== 0) console.log(`  cleanup: npm run e2e:node -- down exited ${r.code}:\n${tail(r.output, 15)}`);
        });
    }
    await check("stage C: npm run e2e:node -- up: node Ready, DNS, storage, registry", () => {
        const r = keep && alreadyUp ? undefined : clusterScript("up");
        if (r && r.code !== 0) throw new CheckError(`exited ${r.code}:\n${tail(r.output, 25)}`);
        node = readNode();
        if (r) record(`node bring-up ${secs(r.ms)} (npm run e2e:node -- up, to node Ready)`);
        for (const ref of new Set(Object.values(images))) assert(inRegistry(ref), `the registry on localhost:5001 does not hold ${ref} (npm run e2e:containers pushes it)`);
        return `kubeconfig ${node.kubeconfig}${r ? "" : " (kept from before: E2E_NODE_KEEP)"}`;
    });
    if (!node) {
        skip("stage C: every deployment", "no node");
        close();
    }
    pulumiOk(ws, ["login", ws.env.PULUMI_BACKEND_URL!]);
    if (PARTS.includes("couplings")) await couplings(ws, node, images);
    if (PARTS.includes("retain")) await retained(ws, node, images);
    if (PARTS.includes("switch")) {
        await switchUnderTraffic(ws, node, ws.dir, {
            stack: "c-switch", sequence: ["pod", "container", "volume", "service", "pod"],
            label: "stage C switch", summary: "switch under traffic", config: (c) => stackConfig(node!, c, images),
        });
    }
    if (PARTS.includes("clusters")) await twoClusters(ws, node, images, ws.dir, keep);

    if (!keep) {
        await check("stage C: npm run e2e:node -- down leaves the machine as before up (processes, mounts, cgroups, KUBE-* chains, links, routes, sysctls)", () => {
            const r = clusterScript("down");
            assert(r.code === 0, `down exited ${r.code}:\n${tail(r.output, 20)}`);
            record(`node teardown ${secs(r.ms)} (npm run e2e:node -- down)`);
            const diff = snapshotDiff(before, clusterScript("snapshot", 30_000).stdout);
            assert(diff.length === 0, `differs from before up:\n${diff.join("\n")}`);
        });
        await check("stage C: down after a crash (kubelet and containerd killed with a pod running) leaves the machine as before up", async () => {
            const r = clusterScript("up");
            assert(r.code === 0, `up exited ${r.code}:\n${tail(r.output, 15)}`);
            const n = readNode();
            kubectl(n, ["run", "crash-probe", "--image", images.echo, "--restart=Never", "--env", "DATA_DIR=/tmp"]);
            kubectl(n, ["wait", "--for=condition=Ready", "pod/crash-probe", "--timeout=60s"]);
            for (const name of ["kubelet", "containerd"]) process.kill(Number(fs.readFileSync(path.join(NODE_DIR, "run", `${name}.pid`), "utf8")), "SIGKILL");
            const d = clusterScript("down");
            assert(d.code === 0, `down exited ${d.code}:\n${tail(d.output, 20)}`);
            const diff = snapshotDiff(before, clusterScript("snapshot", 30_000).stdout);
            assert(diff.length === 0, `differs from before up:\n${diff.join("\n")}`);
            return `down ${secs(d.ms)}`;
        });
    }
    close();
}

/** Whether the local registry holds a digest-pinned reference (a HEAD of its manifest). */
function inRegistry(ref: string): boolean {
    const m = /^localhost:5001\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
    if (!m) return false;
    const accept = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"].join(", ");
    return run("curl", ["-sfI", "-o", "/dev/null", "-H", `Accept: ${accept}`, `http://127.0.0.1:5001/v2/${m[1]}/manifests/${m[2]}`], { timeoutMs: 10_000 }).code === 0;
}

main().catch(abort);
