// Every Kubernetes object the program would apply — for every coupling, the config
// variants that change what is emitted, and every Pulumi.<stack>.yaml in the repository —
// validates against the Kubernetes API's OpenAPI schema (kubernetes-models), and the
// OpenShift Route against a strict schema of its fields. And the validator can fail.
import { strict as assert } from "assert";
import * as path from "path";
import { COUPLINGS, Coupling, ECHO_IS_OWN_WORKLOAD } from "../components/config";
import { StackFile, stackFiles } from "./stacks";
import { evaluate, EvaluateOptions, minimalConfig } from "./harness";
import { echoBudgetWanted } from "../components/workload";
import { loadKubernetesSchemas, kubernetesObjectsOf, validateKubernetesObject } from "./k8s-schema";

before(loadKubernetesSchemas);


interface Case { title: string; values: Record<string, unknown>; opts?: EvaluateOptions }

const VARIANTS: { title: string; values: Record<string, unknown>; opts?: EvaluateOptions; only?: Coupling[] }[] = [
    { title: "defaults", values: {} },
    {
        title: "registry credentials", values: { registryUsername: "ci", registryPassword: "s3cret" },
        opts: { secretKeys: ["registryPassword"] },
    },
    { title: "echoReplicas 3", values: { echoReplicas: 3 }, only: ECHO_IS_OWN_WORKLOAD },
    { title: "serviceType NodePort", values: { serviceType: "NodePort" } },
    { title: "serviceType LoadBalancer", values: { serviceType: "LoadBalancer" } },
    { title: "openshift + LoadBalancer", values: { openshift: true, serviceType: "LoadBalancer" } },
    {
        title: "ReadWriteMany nfs storage, retained", only: ["volume"],
        values: { storage: { accessMode: "ReadWriteMany", storageClass: "nfs", size: "5Gi", retainOnDelete: true } },
    },
    {
        title: "everything at once",
        values: { registryUsername: "ci", registryPassword: "s3cret", openshift: true, serviceType: "LoadBalancer", maxLines: 500 },
        opts: { secretKeys: ["registryPassword"] },
    },
];

function couplingCases(): Case[] {
    return COUPLINGS.flatMap((coupling) => VARIANTS
        .filter((v) => !v.only || v.only.includes(coupling))
        .map((v) => ({
            title: `${coupling}: ${v.title}`,
            values: { ...minimalConfig(coupling), ...v.values },
            opts: v.opts,
        })));
}

/** A Pulumi.<stack>.yaml as `evaluate` arguments (see test/stacks.ts). */
function stackFileCase(f: StackFile): Case {
    return {
        title: `stack ${f.stack} (${path.basename(f.file)})`,
        values: f.values,
        opts: { stack: f.stack, secretKeys: f.secretKeys, stackOutputs: f.stackOutputs },
    };
}

async function assertAllValid(c: Case): Promise<void> {
    const e = await evaluate(c.values, c.opts);
    const objects = kubernetesObjectsOf(e);
    const kinds = objects.map((o) => o.object.kind);
    assert.ok(kinds.includes("Deployment"), `${c.title}: no Deployment at all — nothing meaningful validated`);
    // the variants must really emit what they are here to validate
    if (c.values.openshift === true && c.values.serviceType === "LoadBalancer") assert.ok(kinds.includes("Route"), `${c.title}: no Route`);
    if (c.values.registryUsername !== undefined) assert.ok(kinds.includes("Secret"), `${c.title}: no pull Secret`);
    if (c.values.coupling === "volume") assert.ok(kinds.includes("PersistentVolumeClaim"), `${c.title}: no claim`);
    if (echoBudgetWanted(e.config)) assert.ok(kinds.includes("PodDisruptionBudget"), `${c.title}: no PodDisruptionBudget`);
    const failures = objects
        .map(({ object, resource }) => ({ object, resource, errors: validateKubernetesObject(object) }))
        .filter((f) => f.errors.length);
    assert.deepEqual(failures.map(({ object, resource, errors }) =>
        `${object.kind}/${object.metadata?.name} (${resource.urn}):\n      ${errors.join("\n      ")}`), [],
    `${c.title}: objects failing schema validation`);
}

describe("Kubernetes schema validation of every emitted object", function () {

    describe("couplings and config variants", () => {
        for (const c of couplingCases()) {
            it(c.title, () => assertAllValid(c));
        }
    });

    describe("the repository's stack files", () => {
        const files = stackFiles();
        it("finds at least the dev stack", () => {
            assert.ok(files.some((f) => f.stack === "dev"), `stack files found: ${files.map((f) => f.file).join(", ")}`);
        });
        for (const file of files) {
            const c = stackFileCase(file);
            it(c.title, () => assertAllValid(c));
        }
    });
});

describe("the schema validator itself", () => {
    const deployment = () => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "echo", namespace: "ns" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "echo" } },
            template: {
                metadata: { labels: { app: "echo" } },
                spec: { containers: [{ name: "echo", image: "registry.example.test/echo@sha256:" + "a".repeat(64) }] },
            },
        },
    });
    const route = () => ({
        apiVersion: "route.openshift.io/v1",
        kind: "Route",
        metadata: { name: "echo", namespace: "ns", labels: { app: "echo" } },
        spec: {
            to: { kind: "Service", name: "echo", weight: 100 },
            port: { targetPort: "http" },
            tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
        },
    });

    it("accepts well-formed objects", () => {
        assert.deepEqual(validateKubernetesObject(deployment()), []);
        assert.deepEqual(validateKubernetesObject(route()), []);
        assert.deepEqual(validateKubernetesObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } }), []);
    });

    it("rejects a Deployment with spec.replicas \"three\"", () => {
        const d = deployment() as any;
        d.spec.replicas = "three";
        assert.deepEqual(validateKubernetesObject(d), ["/spec/replicas must be integer"]);
    });

    it("rejects a container without a name", () => {
        const d = deployment() as any;
        delete d.spec.template.spec.containers[0].name;
        const errors = validateKubernetesObject(d);
        assert.equal(errors.length, 1, errors.join("; "));
        assert.match(errors[0], /^\/spec\/template\/spec\/containers\/0 .*name/);
    });

    it("rejects a bad enum and a wrong type in core/v1 objects", () => {
        const service = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: "eighty" }], type: "Balanced" } };
        const errors = validateKubernetesObject(service);
        assert.ok(errors.some((e) => e.startsWith("/spec/ports/0/port")), errors.join("; "));
        assert.ok(errors.some((e) => e.startsWith("/spec/type")), errors.join("; "));
    });

    it("rejects kinds it has no schema for instead of skipping them", () => {
        assert.deepEqual(validateKubernetesObject({ apiVersion: "v1", kind: "Deploymnet", metadata: { name: "x" } }), ["no schema for v1/Deploymnet"]);
        assert.deepEqual(validateKubernetesObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } }),
            ["no schema for example.com/v1/Widget"]);
        assert.deepEqual(validateKubernetesObject({ apiVersion: "route.openshift.io/v1", kind: "RouteList", items: [] }),
            ["no schema for route.openshift.io/v1/RouteList"]);
        assert.equal(validateKubernetesObject({ metadata: { name: "x" } }).length, 1);
        assert.deepEqual(validateKubernetesObject("not an object"), ["not an object"]);
    });

    it("rejects typos and bad enums in an OpenShift Route", () => {
        const typo = route() as any;
        typo.spec.tls.terminaton = "edge";
        delete typo.spec.tls.termination;
        const typoErrors = validateKubernetesObject(typo);
        assert.ok(typoErrors.some((e) => e.includes("\"terminaton\"")), typoErrors.join("; "));
        assert.ok(typoErrors.some((e) => e.includes("termination")), typoErrors.join("; "));

        const badEnum = route() as any;
        badEnum.spec.tls.insecureEdgeTerminationPolicy = "Redirct";
        assert.match(validateKubernetesObject(badEnum).join("; "), /insecureEdgeTerminationPolicy must be equal to one of the allowed values/);

        const notService = route() as any;
        notService.spec.to.kind = "Deployment";
        assert.match(validateKubernetesObject(notService).join("; "), /\/spec\/to\/kind/);

        const noTo = route() as any;
        delete noTo.spec.to;
        assert.match(validateKubernetesObject(noTo).join("; "), /must have required property 'to'/);
    });
});
