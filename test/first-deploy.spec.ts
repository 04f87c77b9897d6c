// Issue 17, "What a first real deployment to kind, EKS or GKE would hit". Layer: mocks —
// the program's own decisions, read from what it registers (lib/evaluate.ts). Where the
// outcome depends on the engine, the provider or the API server, the expectation cites the
// source it mirrors, and e2e/engine stage B shows it on the real engine against kwok.
import { strict as assert } from "assert";
import { notices } from "../components/site";
import { httpOrigin } from "../components/workload";
import { DEPLOYMENT, engineUrn, evaluate, Evaluation, ofType, one, PDB, selects, TWO_CLUSTERS } from "./harness";

describe("issue 17: what a first real deployment would hit", () => {
    beforeEach(() => { notices.length = 0; });

    describe("5. an IPv6 load-balancer address becomes a usable URL", () => {
        it("httpOrigin writes hosts as the WHATWG URL standard does", () => {
            assert.equal(httpOrigin("fd00::1", 8080), "http://[fd00::1]:8080");
            assert.equal(httpOrigin("2001:db8:0:0::7", 8000), "http://[2001:db8::7]:8000");
            assert.equal(httpOrigin("203.0.113.7", 8080), "http://203.0.113.7:8080");
            assert.equal(httpOrigin("ab12.elb.eu-west-1.amazonaws.com", 8080), "http://ab12.elb.eu-west-1.amazonaws.com:8080");
            for (const url of [httpOrigin("fd00::1", 8080), httpOrigin("203.0.113.7", 8080)]) assert.equal(new URL(url).origin, url);
        });

        const upstreamOf = (e: Evaluation) =>
            one(e, DEPLOYMENT, "echo").inputs.spec.template.spec.containers[0].env.find((v: { name: string }) => v.name === "UPSTREAM_URL").value;

        it("clusters: echo's UPSTREAM_URL and the generatorUrl output bracket an IPv6 generator address", async () => {
            const e = await evaluate({ coupling: "clusters", clusters: TWO_CLUSTERS }, { loadBalancerIngress: { ip: "fd00::1" } });
            assert.equal(e.outputs.generatorUrl, "http://[fd00::1]:8080");
            assert.equal(upstreamOf(e), "http://[fd00::1]:8080");
            assert.doesNotThrow(() => new URL(`${upstreamOf(e)}/data`));
        });

        it("serviceType LoadBalancer: externalUrl brackets an IPv6 echo address, and a host name stays as it is", async () => {
            const v6 = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" }, { loadBalancerIngress: { ip: "fd00::2" } });
            assert.equal(v6.outputs.externalUrl, "http://[fd00::2]:8000/data");
            const named = await evaluate({ coupling: "pod", serviceType: "LoadBalancer" }, { loadBalancerIngress: { hostname: "echo.lb.example.test" } });
            assert.equal(named.outputs.externalUrl, "http://echo.lb.example.test:8000/data");
        });
    });

    describe("7. one disruption budget over echo's pods, whatever the coupling", () => {
        // Two budgets selecting one pod make its eviction fail outright (kubernetes
        // pkg/registry/core/pod/storage/eviction.go: `if len(pdbs) > 1` -> 500 "This pod has
        // more than one PodDisruptionBudget, which the eviction subresource does not
        // support."). A budget whose URN changes with the coupling is created before the old
        // one is deleted (it is auto-named, so create-before-delete), so during every switch
        // two of them select echo's pods. One URN means the switch updates it in place.
        const WITH_BUDGET: [string, Record<string, unknown>][] = [
            ["volume (ReadWriteMany)", { coupling: "volume", storage: { accessMode: "ReadWriteMany" } }],
            ["service", { coupling: "service" }],
            ["clusters (echo in the same cluster)", { coupling: "clusters", clusters: { generator: { context: "kind-a" }, echo: { context: "kind-b" } } }],
        ];

        it("volume, service and clusters register it with the same URN, and it selects each coupling's echo pods", async () => {
            const urns = new Set<string>();
            for (const [title, values] of WITH_BUDGET) {
                const e = await evaluate({ ...values, echoReplicas: 3 });
                const budgets = ofType(e, PDB);
                assert.equal(budgets.length, 1, title);
                urns.add(engineUrn(e, budgets[0]));
                const echo = one(e, DEPLOYMENT, "echo");
                assert.ok(selects(budgets[0].inputs.spec.selector.matchLabels, echo.inputs.spec.template.metadata.labels), title);
                for (const d of ofType(e, DEPLOYMENT).filter((x) => x !== echo)) {
                    assert.ok(!selects(budgets[0].inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels), `${title}: ${d.name}`);
                }
            }
            assert.deepEqual([...urns], ["app-coupling:index:Cluster$kubernetes:policy/v1:PodDisruptionBudget::echo"]);
        });

        it("none where echo is not its own Deployment or shares one ReadWriteOnce node, whatever echoReplicas says", async () => {
            for (const coupling of ["pod", "container", "volume"]) {
                // echoReplicas is kept for a later switch where echo is not its own workload (issue 18), or refused
                const e = await evaluate({ coupling, echoReplicas: 3 }).catch((err: Error) => {
                    assert.equal(err.name, "ConfigError", String(err));
                    return undefined;
                });
                if (e) assert.equal(ofType(e, PDB).length, 0, coupling);
            }
        });
    });
});

