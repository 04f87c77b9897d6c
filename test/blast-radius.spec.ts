// "A re-run with nothing changed changes nothing, and a change to one program rebuilds
// only its image and rolls only the workloads that run it" (DESIGN.md, rules of the house),
// checked by evaluating the program over a temporary copy of images/ before and after
// editing one program there. The repository's own images/ is never touched.
//
// Expected blast radius of a change, per coupling (what a `pulumi up` would update):
// (an image is its Image, which builds, and its RegistryImage, which pushes: both change)
//   generator.sh  container: app image + app Deployment   (one image holds both programs)
//                 pod:       generator image + the pod    (one pod: any change restarts both — the trade-off)
//                 volume/service/clusters: generator image + generator Deployment only
//   echo.py       container: app image + app Deployment
//                 pod:       echo image + the pod
//                 volume:    echo image + echo Deployment only
//                 service/clusters: echo image + echo Deployment + generator Deployment, because the
//                 generator pod's adapter sidecar runs the echo image; its generator container is unchanged
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Coupling, COUPLINGS, ECHO_IS_OWN_WORKLOAD } from "../components/config";
import { DEFAULT_IMAGES_DIR } from "../components/images";
import { isDeepStrictEqual } from "util";
import { container, DEPLOYMENT, evaluate, Evaluation, IMAGE, minimalConfig, Registered } from "./harness";

function configFor(coupling: Coupling): Record<string, unknown> {
    return {
        ...minimalConfig(coupling),
        // echoReplicas > 1 so the echo PodDisruptionBudget exists and is checked too
        ...(ECHO_IS_OWN_WORKLOAD.includes(coupling) ? { echoReplicas: 3 } : {}),
        // ReadWriteOnce echo gets no budget (it would block a drain); ReadWriteMany does
        ...(coupling === "volume" ? { storage: { accessMode: "ReadWriteMany" } } : {}),
    };
}

/** What identifies a resource across evaluations, and what would be diffed. */
const snapshot = (e: Evaluation) => e.resources.map((r) => [`${r.urn} ${r.type} ${r.name}`, r.inputs] as const);

const byUrn = (e: Evaluation) => new Map(e.resources.map((r) => [r.urn, r]));

/** `Type::name` (with the parent component for disambiguation) of every resource whose inputs differ. */
function changed(before: Evaluation, after: Evaluation): string[] {
    const a = byUrn(before), b = byUrn(after);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), "the same resources must be registered");
    return [...a.values()]
        .filter((r) => !isDeepStrictEqual(r.inputs, b.get(r.urn)!.inputs))
        .map(label)
        .sort();
}

/** e.g. `Deployment generator@generator-side` (clusters' generator side) or `Deployment generator`. */
function label(r: Registered): string {
    const kind = r.type.split(":").pop();
    // the clusters coupling: which cluster (provider) the resource goes to
    const side = r.providerUrn?.match(/::(generator-side)$/)?.[1];
    return `${kind} ${r.name}${side ? `@${side}` : ""}`;
}

function tag(e: Evaluation, image: string): string {
    const found = e.resources.filter((r) => r.type === IMAGE && r.name === image);
    assert.equal(found.length, 1, `one ${image} image`);
    return String(found[0].inputs.imageName).split(":").pop()!;
}

function deployments(e: Evaluation, name: string): Registered[] {
    const found = e.resources.filter((r) => r.type === DEPLOYMENT && r.name === name);
    assert.equal(found.length, 1, `one ${name} Deployment`);
    return found;
}

describe("blast radius: what a change to one program touches", function () {
    let tmp: string;
    let imagesDir: string;
    const files = {
        generator: () => path.join(imagesDir, "generator", "generator.sh"),
        echo: () => path.join(imagesDir, "echo", "echo.py"),
    };
    const originals = new Map<string, Buffer>();

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "blast-radius-"));
        imagesDir = path.join(tmp, "images");
        fs.cpSync(DEFAULT_IMAGES_DIR, imagesDir, { recursive: true });
        for (const f of Object.values(files)) originals.set(f(), fs.readFileSync(f()));
    });
    // every test starts from pristine sources (the copy's, restored byte for byte)
    afterEach(() => { for (const [f, content] of originals) fs.writeFileSync(f, content); });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const run = (coupling: Coupling) => evaluate(configFor(coupling), { imagesDir });
    const edit = (program: keyof typeof files, line: string) => fs.appendFileSync(files[program](), line);

    it("the copy is faithful: same image tags as the repository's images/", async () => {
        for (const coupling of ["container", "pod"] as const) {
            const fromCopy = await run(coupling);
            const fromRepo = await evaluate(configFor(coupling));
            for (const image of fromCopy.resources.filter((r) => r.type === IMAGE)) {
                assert.equal(tag(fromCopy, image.name), tag(fromRepo, image.name), `${image.name} tag`);
            }
        }
    });

    describe("(a) nothing changed, nothing changes", () => {
        for (const coupling of COUPLINGS) {
            it(`${coupling}: two evaluations register identical inputs for every resource`, async () => {
                const first = await run(coupling);
                const second = await run(coupling);
                assert.ok(first.resources.length > 5, `${first.resources.length} resources`);
                assert.deepStrictEqual(snapshot(second), snapshot(first));
                assert.deepStrictEqual(second.outputs, first.outputs);
            });
        }
    });

    describe("(b) generator.sh changed", () => {
        const expected: Record<Coupling, string[]> = {
            container: ["Deployment app", "Image app", "RegistryImage app"],
            // one pod: the trade-off — a generator change restarts echo too
            pod: ["Deployment pod", "Image generator", "RegistryImage generator"],
            volume: ["Deployment generator", "Image generator", "RegistryImage generator"],
            service: ["Deployment generator", "Image generator", "RegistryImage generator"],
            clusters: ["Deployment generator@generator-side", "Image generator", "RegistryImage generator"],
        };
        for (const coupling of COUPLINGS) {
            it(`${coupling}: rebuilds ${expected[coupling][1].split(" ")[1]} and updates only ${expected[coupling][0]}`, async () => {
                const before = await run(coupling);
                edit("generator", "# a comment: a new build all the same\n");
                const after = await run(coupling);
                assert.deepEqual(changed(before, after), expected[coupling]);

                if (coupling === "container") {
                    assert.notEqual(tag(after, "app"), tag(before, "app"));
                    return;
                }
                assert.notEqual(tag(after, "generator"), tag(before, "generator"), "generator tag");
                assert.equal(tag(after, "echo"), tag(before, "echo"), "echo tag");
                const workload = coupling === "pod" ? "pod" : "generator";
                const [gBefore] = deployments(before, workload), [gAfter] = deployments(after, workload);
                assert.notEqual(container(gAfter, "generator").image, container(gBefore, "generator").image);
                if (coupling === "pod") {
                    // the echo container itself is untouched; the pod restarts because it is one pod
                    assert.deepStrictEqual(container(gAfter, "echo"), container(gBefore, "echo"));
                    return;
                }
                // echo's workloads: Deployment, Service, PDB, NetworkPolicies — all unchanged
                const echoSide = (e: Evaluation) => e.resources
                    .filter((r) => r.type.startsWith("kubernetes:") && (r.name === "echo" || r.name.endsWith("-ingress")))
                    .map((r) => [r.urn, r.inputs]);
                const echoBefore = echoSide(before);
                const names = new Set(before.resources.filter((r) => echoBefore.some(([u]) => u === r.urn)).map((r) => `${r.type.split(":").pop()} ${r.name}`));
                assert.ok(names.has("Deployment echo") && names.has("Service echo") && names.has("PodDisruptionBudget echo"), [...names].join(", "));
                if (coupling !== "volume") assert.ok(names.has("NetworkPolicy echo-ingress") && names.has("NetworkPolicy adapter-ingress"), [...names].join(", "));
                assert.deepStrictEqual(echoSide(after), echoBefore);
            });
        }
    });

    describe("(c) echo.py changed", () => {
        const expected: Record<Coupling, string[]> = {
            container: ["Deployment app", "Image app", "RegistryImage app"],
            pod: ["Deployment pod", "Image echo", "RegistryImage echo"],
            volume: ["Deployment echo", "Image echo", "RegistryImage echo"],
            // the adapter sidecar in the generator pod runs the echo image
            service: ["Deployment echo", "Deployment generator", "Image echo", "RegistryImage echo"],
            // the echo side is the program's one site ("app"), so its objects carry no @side
            clusters: ["Deployment echo", "Deployment generator@generator-side", "Image echo", "RegistryImage echo"],
        };
        for (const coupling of COUPLINGS) {
            it(`${coupling}: updates exactly ${expected[coupling].join(", ")}`, async () => {
                const before = await run(coupling);
                edit("echo", "# a comment: a new build all the same\n");
                const after = await run(coupling);
                assert.deepEqual(changed(before, after), expected[coupling]);
                if (coupling === "container") return;

                assert.notEqual(tag(after, "echo"), tag(before, "echo"), "echo tag");
                assert.equal(tag(after, "generator"), tag(before, "generator"), "generator tag");
                if (coupling === "pod") {
                    const [pBefore] = deployments(before, "pod"), [pAfter] = deployments(after, "pod");
                    assert.deepStrictEqual(container(pAfter, "generator"), container(pBefore, "generator"));
                    return;
                }
                const [gBefore] = deployments(before, "generator"), [gAfter] = deployments(after, "generator");
                if (coupling === "volume") {
                    assert.deepStrictEqual(gAfter.inputs, gBefore.inputs, "volume: generator Deployment unchanged");
                    return;
                }
                // service/clusters: the generator Deployment changes only through its adapter's image
                assert.deepStrictEqual(container(gAfter, "generator"), container(gBefore, "generator"), "generator container");
                assert.notEqual(container(gAfter, "adapter").image, container(gBefore, "adapter").image, "adapter image");
                assert.deepStrictEqual({ ...container(gAfter, "adapter"), image: undefined }, { ...container(gBefore, "adapter"), image: undefined });
            });
        }
    });
});
