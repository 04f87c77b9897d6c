// The README's one diagram per coupling, checked against what the program deploys: the
// offline evaluation of each coupling gives the Deployments, their containers and ports,
// their volumes and mounts, the Services and what they route to, the URL echo reads, and
// the provider (cluster) of each object; the diagram must show exactly those.
//
// The diagrams use a small canonical subset of Mermaid's flowchart syntax, so they can be
// read here without a Mermaid dependency: one statement per line — `subgraph ID["label"]`,
// `end`, a node `ID["label"]` / `ID[("label")]` / `ID(("label"))`, an edge
// `A --> B` / `A -->|"label"| B` between nodes defined on their own lines. Labels say what
// a thing is by their first word: `cluster…`, `Deployment NAME ×1|×echoReplicas`,
// `container NAME [:port]`, `emptyDir VOLUME`, `PVC …`, `Service NAME :port [LoadBalancer]`.
import { strict as assert } from "assert";
import * as fs from "fs";
import { COUPLINGS, ECHO_IS_OWN_WORKLOAD } from "../components/config";
import { README } from "../scripts/docs";
import { containers, DEPLOYMENT, envOf, evaluate, Evaluation, minimalConfig, ofType, podSpec, PVC, Registered, selects, SERVICE } from "./harness";

interface Item { id: string; label: string; parents: string[] }
export interface Diagram {
    nodes: Map<string, Item>;
    subgraphs: Map<string, Item>;
    edges: { from: string; to: string; label: string }[];
}

/** Parses the canonical subset described above; anything else is an error (keeps the diagrams simple). */
export function parseDiagram(source: string): Diagram {
    const d: Diagram = { nodes: new Map(), subgraphs: new Map(), edges: [] };
    const stack: string[] = [];
    const lines = source.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("%%"));
    assert.match(lines.shift() ?? "", /^flowchart (LR|RL|TB|TD|BT)$/, "a diagram starts with `flowchart LR`");
    for (const line of lines) {
        let m: RegExpMatchArray | null;
        if ((m = line.match(/^subgraph (\w+)\["([^"]*)"\]$/))) {
            assert.ok(!d.subgraphs.has(m[1]) && !d.nodes.has(m[1]), `duplicate id ${m[1]}`);
            d.subgraphs.set(m[1], { id: m[1], label: m[2], parents: [...stack] });
            stack.push(m[1]);
        } else if (line === "end") {
            assert.ok(stack.pop(), "`end` without `subgraph`");
        } else if ((m = line.match(/^(\w+)(?:\["([^"]*)"\]|\[\("([^"]*)"\)\]|\(\("([^"]*)"\)\))$/))) {
            assert.ok(!d.subgraphs.has(m[1]) && !d.nodes.has(m[1]), `duplicate id ${m[1]}`);
            d.nodes.set(m[1], { id: m[1], label: m[2] ?? m[3] ?? m[4], parents: [...stack] });
        } else if ((m = line.match(/^(\w+) -->(?:\|"([^"]*)"\|)? (\w+)$/))) {
            for (const id of [m[1], m[3]]) assert.ok(d.nodes.has(id), `edge "${line}": ${id} is not a node defined before it`);
            d.edges.push({ from: m[1], to: m[3], label: m[2] ?? "" });
        } else {
            assert.fail(`not in the canonical subset: "${line}"`);
        }
    }
    assert.equal(stack.length, 0, "unclosed subgraph");
    return d;
}

/** The one ```mermaid block under the README heading "### `coupling`…". */
export function couplingDiagram(readme: string, coupling: string): string {
    const section = readme.split(/^### /m).find((s) => s.startsWith(`\`${coupling}\``));
    assert.ok(section, `README has no "### \`${coupling}\`" section`);
    const blocks = [...section.split(/^## /m)[0].matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((b) => b[1]);
    assert.equal(blocks.length, 1, `the ${coupling} section has ${blocks.length} mermaid diagrams, expected 1`);
    return blocks[0];
}

const named = (prefix: string, label: string) => label.match(new RegExp(`^${prefix} ([\\w-]+)`))?.[1];
const sorted = (xs: Iterable<string>) => [...xs].sort();

function checkDiagram(d: Diagram, e: Evaluation): void {
    const inside = (item: Item, subgraph: string) => item.parents.includes(subgraph);
    const nodesOf = (prefix: string) => [...d.nodes.values()].filter((n) => n.label.startsWith(`${prefix} `));
    const subgraphOf = (prefix: string, name: string) => {
        const found = [...d.subgraphs.values()].filter((s) => named(prefix, s.label) === name);
        assert.equal(found.length, 1, `expected one subgraph "${prefix} ${name}", found ${found.length}`);
        return found[0];
    };
    const edgesFrom = (id: string, to: (n: Item) => boolean) => d.edges.filter((x) => x.from === id && to(d.nodes.get(x.to)!));
    const isVolume = (n: Item) => n.label.startsWith("emptyDir ") || n.label.startsWith("PVC ");
    const isService = (n: Item) => n.label.startsWith("Service ");

    const deployments = ofType(e, DEPLOYMENT);
    const services = ofType(e, SERVICE);
    assert.deepEqual(sorted([...d.subgraphs.values()].map((s) => named("Deployment", s.label)).filter((x) => x) as string[]),
        sorted(deployments.map((x) => x.name)), "Deployments");
    assert.deepEqual(sorted(nodesOf("Service").map((n) => named("Service", n.label)!)), sorted(services.map((s) => s.name)), "Services");
    assert.equal(nodesOf("PVC").length, ofType(e, PVC).length, "claims");

    // Which diagram node stands for each container, per Deployment.
    const containerNode = new Map<any, Item>();
    for (const dep of deployments) {
        const sub = subgraphOf("Deployment", dep.name);
        const replicas = dep.inputs.spec.replicas;
        assert.ok(sub.label.includes(replicas === 1 ? "×1" : "×echoReplicas"), `"${sub.label}": ${replicas} replicas`);
        const drawn = nodesOf("container").filter((n) => inside(n, sub.id));
        assert.deepEqual(sorted(drawn.map((n) => named("container", n.label)!)), sorted(containers(dep).map((c) => c.name)),
            `containers of Deployment ${dep.name}`);
        const emptyDirs = (podSpec(dep).volumes ?? []).filter((v: any) => v.emptyDir);
        assert.equal(nodesOf("emptyDir").filter((n) => inside(n, sub.id)).length, emptyDirs.length, `emptyDirs of ${dep.name}`);
        for (const c of containers(dep)) {
            const node = drawn.find((n) => named("container", n.label) === c.name)!;
            containerNode.set(c, node);
            for (const p of c.ports ?? []) assert.ok(node.label.includes(`:${p.containerPort}`), `"${node.label}" shows port ${p.containerPort}`);
            // exactly one edge per mount, to the volume it mounts, saying read-only or writes
            const mounts = (c.volumeMounts ?? []).map((m: any) => {
                const volume = podSpec(dep).volumes.find((v: any) => v.name === m.name);
                const target = volume.emptyDir
                    ? nodesOf("emptyDir").find((n) => inside(n, sub.id) && named("emptyDir", n.label) === volume.name)
                    : nodesOf("PVC")[0];
                assert.ok(target, `no node for volume ${volume.name} of Deployment ${dep.name}`);
                return { target: target.id, readOnly: !!m.readOnly };
            });
            const edges = edgesFrom(node.id, isVolume);
            assert.deepEqual(sorted(edges.map((x) => x.to)), sorted(mounts.map((m: any) => m.target)), `volume edges of container ${c.name}`);
            for (const m of mounts) {
                const label = edges.find((x) => x.to === m.target)!.label;
                assert.ok(m.readOnly ? label.includes("read-only") : label.includes("writes") && !label.includes("read-only"),
                    `${c.name} -> ${m.target}: "${label}" for a ${m.readOnly ? "read-only" : "read-write"} mount`);
            }
        }
    }

    for (const svc of services) {
        const node = nodesOf("Service").find((n) => named("Service", n.label) === svc.name)!;
        const port = svc.inputs.spec.ports[0];
        assert.ok(node.label.includes(`:${port.port}`), `"${node.label}" shows port ${port.port}`);
        assert.equal(node.label.includes("LoadBalancer"), svc.inputs.spec.type === "LoadBalancer", `"${node.label}" type ${svc.inputs.spec.type}`);
        // routes to the containers of the pods it selects that own its target port
        const backends = deployments.filter((dep) => selects(svc.inputs.spec.selector, dep.inputs.spec.template.metadata.labels))
            .flatMap((dep) => containers(dep))
            .filter((c) => (c.ports ?? []).some((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort));
        assert.ok(backends.length > 0, `Service ${svc.name} selects no container`);
        assert.deepEqual(sorted(d.edges.filter((x) => x.from === node.id).map((x) => x.to)), sorted(backends.map((c) => containerNode.get(c)!.id)),
            `what Service ${svc.name} routes to`);
    }
    const echo = nodesOf("Service").find((n) => named("Service", n.label) === "echo")!;
    assert.ok(d.edges.some((x) => x.to === echo.id && d.nodes.get(x.from)!.label === "client"), "the client reaches the echo Service");

    // A container reading an upstream URL has an edge to the Service behind that URL, and no other.
    for (const [c, node] of containerNode) {
        const url = envOf(c).UPSTREAM_URL;
        const upstream = url === undefined ? [] : services.filter((s) =>
            url.includes(`//${s.state.metadata.name}.`) || (s.state.status?.loadBalancer?.ingress ?? []).some((i: any) => url.includes(`//${i.ip}:`)));
        assert.equal(upstream.length, url === undefined ? 0 : 1, `the Service behind ${c.name}'s UPSTREAM_URL ${url}`);
        assert.deepEqual(edgesFrom(node.id, isService).map((x) => named("Service", d.nodes.get(x.to)!.label)), upstream.map((s) => s.name),
            `upstream edges of container ${c.name}`);
    }

    // One cluster subgraph per Kubernetes provider, holding that provider's objects.
    const clusterOf = (item: Item) => item.parents.filter((p) => d.subgraphs.get(p)!.label.startsWith("cluster")).pop();
    const drawnAs = (r: Registered): Item => r.type === DEPLOYMENT ? subgraphOf("Deployment", r.name)
        : r.type === SERVICE ? nodesOf("Service").find((n) => named("Service", n.label) === r.name)! : nodesOf("PVC")[0];
    const clusterFor = new Map<string, string>();
    for (const r of [...deployments, ...services, ...ofType(e, PVC)]) {
        const cluster = clusterOf(drawnAs(r));
        assert.ok(cluster, `${r.type} ${r.name} is drawn outside any cluster`);
        assert.ok(r.providerUrn, `${r.name} has an explicit provider`);
        if (!clusterFor.has(r.providerUrn!)) clusterFor.set(r.providerUrn!, cluster!);
        assert.equal(clusterFor.get(r.providerUrn!), cluster, `${r.type} ${r.name} is drawn in another cluster than its provider's other objects`);
    }
    assert.equal(new Set(clusterFor.values()).size, clusterFor.size, "two providers drawn as one cluster");
    assert.equal([...d.subgraphs.values()].filter((s) => s.label.startsWith("cluster")).length, clusterFor.size, "clusters drawn");
}

describe("README diagrams", function () {
    const readme = fs.readFileSync(README, "utf8");

    for (const coupling of COUPLINGS) {
        it(`the ${coupling} diagram shows what the ${coupling} coupling deploys`, async () => {
            // echoReplicas 2 where echo is its own workload, so the diagram must say which count follows it
            const e = await evaluate({ ...minimalConfig(coupling), ...(ECHO_IS_OWN_WORKLOAD.includes(coupling) ? { echoReplicas: 2 } : {}) });
            checkDiagram(parseDiagram(couplingDiagram(readme, coupling)), e);
        });
    }

    it("catches a diagram that is not true: a missing container, a writable read-only mount, a wrong cluster", async () => {
        const e = await evaluate({ ...minimalConfig("service"), echoReplicas: 2 });
        const good = couplingDiagram(readme, "service");
        const broken = [
            good.replace(/^\s*c_adapter\[.*$/m, "").replace(/^.*c_adapter.*$/gm, ""),
            good.replace(/reads \/data, read-only/, "writes /data"),
            // the generator Deployment drawn in a cluster of its own, apart from its Service
            good.replace(/^(\s*subgraph dep_generator)/m, "  end\n  subgraph other[\"cluster: other\"]\n$1"),
        ];
        for (const diagram of broken) {
            assert.throws(() => checkDiagram(parseDiagram(diagram), e), assert.AssertionError, diagram);
        }
    });
});
