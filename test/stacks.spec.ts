import { strict as assert } from "assert";
import { violationsFor } from "../policy/rules";
import { DEPLOYMENT, evaluate, IMAGE, ofType, one, PVC, reveal, SECRET, SERVICE } from "./harness";
import { stackFiles } from "./stacks";

describe("stack files", () => {
    const stacks = stackFiles();

    it("has dev, staging and prod", () => {
        assert.deepEqual(stacks.map((s) => s.stack).sort(), ["dev", "prod", "staging"]);
    });

    for (const s of stackFiles()) {
        it(`${s.stack}: evaluates without error and passes the policy pack`, async () => {
            const e = await evaluate(s.values, { stack: s.stack, secretKeys: s.secretKeys });
            assert.ok(e.resources.length > 5);
            assert.deepEqual(e.resources.flatMap((r) => violationsFor(r.type, reveal(r.inputs), r.name)), []);
        });
    }

    it("dev: pod coupling on the local kind cluster and registry, no credentials", async () => {
        const dev = stacks.find((s) => s.stack === "dev")!;
        const e = await evaluate(dev.values, { stack: "dev" });
        assert.equal(e.config.coupling, "pod");
        assert.equal(e.config.context, "kind-app-coupling");
        assert.match(one(e, IMAGE, "generator").inputs.imageName, /^localhost:5001\//);
        assert.equal(ofType(e, SECRET).length, 0);
    });

    it("staging: service coupling, two echo replicas, credentials from its ESC environment", async () => {
        const staging = stacks.find((s) => s.stack === "staging")!;
        assert.deepEqual(staging.environments, ["app-coupling/staging"]);
        const e = await evaluate(staging.values, { stack: "staging", secretKeys: staging.secretKeys });
        assert.equal(e.config.coupling, "service");
        assert.equal(one(e, DEPLOYMENT, "echo").inputs.spec.replicas, 2);
        assert.equal(ofType(e, SECRET).length, 1);
    });

    it("prod: volume coupling, retained claim, three echo replicas behind a load balancer, credentials as secrets", async () => {
        const prod = stacks.find((s) => s.stack === "prod")!;
        assert.deepEqual(prod.environments, ["app-coupling/prod"]);
        const e = await evaluate(prod.values, { stack: "prod", secretKeys: prod.secretKeys });
        assert.equal(e.config.coupling, "volume");
        assert.equal(one(e, DEPLOYMENT, "echo").inputs.spec.replicas, 3);
        assert.equal(one(e, SERVICE, "echo").inputs.spec.type, "LoadBalancer");
        assert.equal(one(e, PVC, "data").retainOnDelete, true);
        assert.equal(one(e, "kubernetes:core/v1:Namespace", "app").retainOnDelete, true, "the claim's namespace is retained with it");
        // ReadWriteOnce: generator and echo pods all require the claim's node (issue 11.5), and no budget blocks its drain
        for (const name of ["generator", "echo"]) {
            const terms = one(e, DEPLOYMENT, name).inputs.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.equal(terms[0].topologyKey, "kubernetes.io/hostname", name);
        }
        assert.equal(ofType(e, "kubernetes:policy/v1:PodDisruptionBudget").length, 0);
        assert.equal(e.config.registryAuth?.username, "esc-robot");
        assert.equal(ofType(e, SECRET).length, 1);
        assert.equal(e.outputs.externalUrl, "http://203.0.113.10:8000/data");
    });

    it("no stack file holds a plain-text password", () => {
        for (const s of stacks) {
            const plain = Object.keys(s.values).filter((k) => /password|token/i.test(k) && !s.secretKeys.includes(k));
            assert.deepEqual(plain, [], s.file);
        }
    });
});
