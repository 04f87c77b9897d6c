// scripts/render.ts: its main() run in-process (one evaluation each, no compile per run),
// its YAML parsed back; and the CLI itself run as the user runs it (a child process: exit
// codes, stdout and stderr), a few times, side by side with the in-process runs.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main } from "../scripts/render";
import { loadKubernetesSchemas, validateKubernetesObject } from "./k8s-schema";

before(loadKubernetesSchemas);

const repoRoot = path.resolve(__dirname, "..");

interface Run { args: string[]; status: number | null; stdout: string; stderr: string }

/** render's main() in this process, its output captured. */
async function render(...args: string[]): Promise<Run> {
    let stdout = "", stderr = "";
    const status = await main(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
    return { args, status, stdout, stderr };
}

/** `npm run -s render -- ARGS` as a child process (what the npm script runs, without npm's start-up). */
function cli(...args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/render.ts", ...args],
            { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.stderr.on("data", (d) => { stderr += d; });
        child.on("error", reject);
        child.on("close", (status) => resolve({ args, status, stdout, stderr }));
    });
}

interface Doc { source: string; cluster: string; object: Record<string, any> }

function parseDocs(yaml: string): Doc[] {
    return YAML.parseAllDocuments(yaml).map((d) => {
        assert.deepEqual(d.errors, [], `YAML errors: ${d.errors.join("; ")}`);
        // where the yaml parser attaches a leading comment depends on what precedes it: the
        // document (after a blank line), the contents node (after `---`) or the first key
        const contents = d.contents as { commentBefore?: string; items?: { key?: { commentBefore?: string } }[] } | null;
        const comment = [d.commentBefore, contents?.commentBefore, contents?.items?.[0]?.key?.commentBefore].join("\n");
        return {
            source: /Source: (\S+)/.exec(comment)?.[1] ?? "",
            cluster: /Cluster: (.+)/.exec(comment)?.[1] ?? "",
            object: d.toJS() as Record<string, any>,
        };
    });
}

const ok = (run: Run) => {
    assert.equal(run.status, 0, `render ${run.args.join(" ")} exited ${run.status}:\n${run.stderr}`);
    return parseDocs(run.stdout);
};
const kinds = (docs: Doc[]) => docs.map((d) => d.object.kind).sort();
const named = (docs: Doc[], kind: string, prefix: string) =>
    docs.filter((d) => d.object.kind === kind && d.object.metadata.name.startsWith(`${prefix}-`));
const CLUSTERS = ["--set", "clusters.generator.context=kind-a", "--set", "clusters.echo.context=kind-b"];

// The CLI as a user runs it: child processes, started with the whole run (a root-level
// hook) so they load and compile on the other core while the specs before these run.
const CLI_JOBS: Record<string, string[]> = {
    pod: ["pod"],
    badOption: ["pod", "--outt", "x"],
};
let cliStarted: Promise<Record<string, Run>> | undefined;
before(() => {
    cliStarted = Promise.all(Object.entries(CLI_JOBS).map(async ([name, args]) => [name, await cli(...args)] as const))
        .then(Object.fromEntries);
    cliStarted.catch(() => undefined); // reported by the tests' before hook
});

describe("scripts/render.ts", function () {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "render-spec-"));
    const outDir = path.join(tmp, "out");
    const runs: Record<string, Run> = {};
    let cliRuns: Record<string, Run> = {};

    before(async () => {
        const jobs: Record<string, string[]> = {
            container: ["container"],
            pod: ["pod"],
            volume: ["volume", "--set", "echoReplicas=2"],
            service: ["service"],
            clusters: ["clusters", ...CLUSTERS],
            clustersOut: ["clusters", ...CLUSTERS, "--out", outDir],
            allowFrom: ["clusters", ...CLUSTERS, "--set", "clusters.allowFrom[0]=10.0.0.0/8", "--set", 'clusters["allowFrom"][1]=192.0.2.0/24'],
            badPath: ["clusters", ...CLUSTERS, "--set", "clusters.allowFrom[0]=10.0.0.0/8", "--set", "clusters.allowFrom[2]=10.0.0.0/8"],
            gapInNewList: ["clusters", ...CLUSTERS, "--set", "clusters.allowFrom[1]=10.0.0.0/8"],
            badPathSyntax: ["pod", "--set", "storage.size[0=1Gi"],
            otherNamespace: ["pod", "--set", "kubernetes:context=kind-x"],
            help: ["--help"],
            helpShort: ["pod", "-h"],
            loadBalancer: ["service", "--set", "serviceType=LoadBalancer"],
            route: ["pod", "--set", "openshift=true", "--set", "serviceType=NodePort"],
            kubeconfigs: ["clusters", ...CLUSTERS, "--set", "clusters.generator.kubeconfig=/k/a", "--set", "clusters.echo.kubeconfig=/k/b"],
            bogus: ["--set", "coupling=bogus"],
            dev: ["--stack", "dev"],
            prodAsPod: ["pod", "--stack", "prod"],
            stagingAsVolumeFromPath: ["volume", "--stack", path.join(repoRoot, "Pulumi.staging.yaml")],
            credentials: ["pod", "--set", "registryUsername=ci", "--secret", "registryPassword=s3cret"],
            credentialsShown: ["pod", "--set", "registryUsername=ci", "--secret", "registryPassword=s3cret", "--show-secrets"],
            badOption: ["pod", "--outt", "x"],
            fromStackSet: ["pod", "--set", "imagesFromStack=acme/app-coupling/staging"],
            prodShown: ["--stack", "prod", "--show-secrets"],
            prebuilt: ["pod", "--set", `images.generator=r.example.com/g@sha256:${"a".repeat(64)}`, "--set", `images.echo=r.example.com/e@sha256:${"b".repeat(64)}`],
        };
        // one at a time: every evaluation sets the process-wide Pulumi mocks
        for (const [name, args] of Object.entries(jobs)) runs[name] = await render(...args);
        cliRuns = await cliStarted!;
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("renders the container coupling: one app Deployment and the site", () => {
        const docs = ok(runs.container);
        assert.deepEqual(kinds(docs), ["Deployment", "Namespace", "Service", "ServiceAccount"]);
        const [app] = named(docs, "Deployment", "app");
        assert.deepEqual(app.object.spec.template.spec.containers.map((c: { name: string }) => c.name), ["app"]);
        assert.match(app.object.spec.template.spec.containers[0].image, /^localhost:5001\/app-coupling-app@sha256:[0-9a-f]{64}$/);
    });

    it("renders the pod coupling: one pod with generator and echo, a # Source comment per document", () => {
        const docs = ok(runs.pod);
        assert.deepEqual(kinds(docs), ["Deployment", "Namespace", "Service", "ServiceAccount"]);
        const [pod] = named(docs, "Deployment", "pod");
        assert.deepEqual(pod.object.spec.template.spec.containers.map((c: { name: string }) => c.name), ["generator", "echo"]);
        for (const d of docs) {
            assert.match(d.source, /^urn:pulumi:render::app-coupling::.*::/, `${d.object.kind}: ${d.source}`);
            assert.equal(d.cluster, "app (the kubeconfig's current context)");
        }
        assert.equal(pod.object.metadata.namespace, "app-coupling-render");
        assert.match(runs.pod.stderr, /render: 4 objects, coupling pod, stack render/);
    });

    it("prints in apply order", () => {
        assert.deepEqual(ok(runs.pod).map((d) => d.object.kind), ["Namespace", "ServiceAccount", "Service", "Deployment"]);
    });

    it("renders the volume coupling: a claim shared by two Deployments, --set applied", () => {
        const docs = ok(runs.volume);
        // ReadWriteOnce (the default): no PodDisruptionBudget, it would block a node drain (volume.ts)
        assert.deepEqual(kinds(docs),
            ["Deployment", "Deployment", "Namespace", "PersistentVolumeClaim", "Service", "ServiceAccount"]);
        const [claim] = docs.filter((d) => d.object.kind === "PersistentVolumeClaim");
        for (const name of ["generator", "echo"]) {
            const [d] = named(docs, "Deployment", name);
            assert.equal(d.object.spec.template.spec.volumes[0].persistentVolumeClaim.claimName, claim.object.metadata.name);
        }
        assert.equal(named(docs, "Deployment", "echo")[0].object.spec.replicas, 2);
    });

    it("renders the service coupling: generator with adapter behind a Service, echo reading it", () => {
        const docs = ok(runs.service);
        assert.deepEqual(kinds(docs),
            ["Deployment", "Deployment", "Namespace", "NetworkPolicy", "NetworkPolicy", "Service", "Service", "ServiceAccount"]);
        const [generator] = named(docs, "Deployment", "generator");
        assert.deepEqual(generator.object.spec.template.spec.containers.map((c: { name: string }) => c.name), ["generator", "adapter"]);
        const [generatorService] = named(docs, "Service", "generator");
        const [echo] = named(docs, "Deployment", "echo");
        const upstream = echo.object.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "UPSTREAM_URL");
        assert.equal(upstream.value, `http://${generatorService.object.metadata.name}.app-coupling-render.svc:8080`);
    });

    it("renders the clusters coupling with each object's cluster and context named", () => {
        const docs = ok(runs.clusters);
        const byCluster = (ctx: string) => kinds(docs.filter((d) => d.cluster.includes(`(context ${ctx})`)));
        assert.deepEqual(byCluster("kind-a"), ["Deployment", "Namespace", "NetworkPolicy", "Service", "ServiceAccount"]);
        assert.deepEqual(byCluster("kind-b"), ["Deployment", "Namespace", "NetworkPolicy", "Service", "ServiceAccount"]);
        assert.ok(docs.every((d) => /^(generator-side \(context kind-a\)|app \(context kind-b\))$/.test(d.cluster)),
            docs.map((d) => d.cluster).join(", "));
        const [generator] = named(docs, "Deployment", "generator");
        assert.match(generator.cluster, /^generator-side/);
        const [echo] = named(docs, "Deployment", "echo");
        assert.match(echo.cluster, /^app /); // the echo side is the program's one site, "app"
    });

    it("every rendered object passes schema validation", () => {
        for (const key of ["container", "pod", "volume", "service", "clusters", "dev", "stagingAsVolumeFromPath", "credentials"]) {
            for (const d of ok(runs[key])) {
                assert.deepEqual(validateKubernetesObject(d.object), [], `${key}: ${d.object.kind}/${d.object.metadata?.name}`);
            }
        }
    });

    it("exits 2 with the ConfigError message for a bad coupling, printing no YAML", () => {
        const run = runs.bogus;
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, /invalid stack configuration \(nothing was created\):\n\s+- coupling: "bogus" is not allowed; expected one of container, pod, volume, service, clusters/);
        assert.equal(run.stdout, "");
    });

    it("exits 2 with usage for an unknown option", () => {
        assert.equal(runs.badOption.status, 2);
        assert.match(runs.badOption.stderr, /unknown option --outt[\s\S]*usage: npm run -s render/);
    });

    it("--set reaches list items as `pulumi config set --path` does: clusters.allowFrom[0], [1]", () => {
        const docs = ok(runs.allowFrom);
        // allowFrom becomes the generator load balancer's source ranges (issue 17 item 4)
        const services = docs.filter((d) => d.object.kind === "Service" && d.object.spec.type === "LoadBalancer" && d.cluster.startsWith("generator-side"));
        const cidrs = services.flatMap((svc) => svc.object.spec.loadBalancerSourceRanges ?? []);
        assert.deepEqual(cidrs.sort(), ["10.0.0.0/8", "192.0.2.0/24"]);
    });

    it("--set refuses the paths `pulumi config set --path` refuses, with its message, exit 2", () => {
        assert.equal(runs.badPath.status, 2, runs.badPath.stderr);
        assert.match(runs.badPath.stderr, /^render: --set clusters\.allowFrom\[2\]=\.\.\.: clusters\.allowFrom\[2\]: array index out of range\n/);
        assert.equal(runs.badPathSyntax.status, 2);
        assert.match(runs.badPathSyntax.stderr, /^render: --set storage\.size\[0=\.\.\.: invalid config key path: missing closing bracket in array index\n/);
        assert.equal(runs.otherNamespace.status, 2);
        assert.match(runs.otherNamespace.stderr, /render evaluates only the app-coupling namespace, not kubernetes/);
        for (const r of [runs.badPath, runs.badPathSyntax, runs.otherNamespace]) assert.equal(r.stdout, "");
        // a new list as long as its index asks (the CLI's way), the gap a config error
        assert.equal(runs.gapInNewList.status, 2);
        assert.match(runs.gapInNewList.stderr, /clusters\.allowFrom\[0\]: null is not allowed/);
    });

    it("--help and -h print the usage on stdout and exit 0", () => {
        for (const run of [runs.help, runs.helpShort]) {
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /^usage: npm run -s render -- /);
            assert.equal(run.stderr, "");
        }
    });

    it("without --stack, says it renders the project's defaults as a stack named render (its names and namespace)", () => {
        assert.match(runs.pod.stderr, /^render: no --stack: the project's defaults, as a stack named "render" \(namespace app-coupling-render\); --stack NAME renders Pulumi\.NAME\.yaml\n/);
        assert.ok(!runs.dev.stderr.includes("no --stack"), runs.dev.stderr);
    });

    it("marks stood-in outputs as placeholders: the load-balancer address, the Route host", () => {
        assert.match(runs.loadBalancer.stderr, /\n {2}externalUrl: http:\/\/203\.0\.113\.10:8000\/data # PLACEHOLDER: load-balancer address\n/);
        assert.match(runs.route.stderr, /\n {2}externalUrl: https:\/\/echo-[0-9a-f]{8}\.apps\.example\.test\/data # PLACEHOLDER: route host\n/);
        assert.match(runs.pod.stderr, /\n {2}endpoint: http:\/\/echo-[0-9a-f]{8}\.app-coupling-render\.svc:8000\/data\n/, "a real value is not marked");
    });

    it("# Cluster names the context and kubeconfig given, or says the kubeconfig's current context (pod coupling, above)", () => {
        const clusters = [...new Set(ok(runs.kubeconfigs).map((d) => d.cluster))].sort();
        assert.deepEqual(clusters, ["app (context kind-b, kubeconfig /k/b)", "generator-side (context kind-a, kubeconfig /k/a)"]);
    });

    it("the CLI (a child process) prints what main() prints, exit 0, YAML on stdout and the summary on stderr", () => {
        const run = cliRuns.pod;
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout, runs.pod.stdout, "the CLI's YAML differs from main()'s");
        assert.equal(run.stderr, runs.pod.stderr);
    });

    it("the CLI exits 2 on a usage error, the message and usage on stderr, nothing on stdout", () => {
        const run = cliRuns.badOption;
        assert.equal(run.status, 2, run.stderr);
        assert.equal(run.stdout, "");
        assert.equal(run.stderr, runs.badOption.stderr);
    });

    it("--out writes one file per object under the cluster's directory, named in apply order, the same YAML as printed", () => {
        assert.equal(runs.clustersOut.status, 0, runs.clustersOut.stderr);
        const printed = ok(runs.clusters);
        const files = ["generator-side", "app"].flatMap((c) =>
            fs.readdirSync(path.join(outDir, c)).sort().map((f) => path.join(outDir, c, f)));
        assert.equal(files.length, printed.length);
        assert.deepEqual(runs.clustersOut.stdout.trim().split("\n").sort(), [...files].sort());
        for (const cluster of ["generator-side", "app"]) {
            const names = fs.readdirSync(path.join(outDir, cluster)).sort();
            assert.match(names[0], /^01-namespace-/, `${cluster}: ${names.join(", ")}`);
            const order = names.map((n) => parseDocs(fs.readFileSync(path.join(outDir, cluster, n), "utf8"))[0].object.kind);
            assert.deepEqual(order, printed.filter((p) => p.cluster.startsWith(cluster)).map((p) => p.object.kind), "file order is apply order");
        }
        for (const file of files) {
            const [doc] = parseDocs(fs.readFileSync(file, "utf8"));
            const twin = printed.find((p) => p.source === doc.source);
            assert.ok(twin, `${file}: no printed document with source ${doc.source}`);
            assert.deepEqual(doc.object, twin.object);
            assert.match(path.basename(file), new RegExp(`^[0-9]{2}-${doc.object.kind.toLowerCase()}-${doc.object.metadata.name}\\.yaml$`));
            assert.equal(path.basename(path.dirname(file)), doc.cluster.split(" ")[0]);
        }
        const manifest = fs.readFileSync(path.join(outDir, ".render-manifest"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
        assert.deepEqual(manifest.map((f) => path.join(outDir, f)).sort(), [...files].sort());
    });

    it("--out files each start a YAML document: `cat DIR/CLUSTER/*.yaml | kubectl apply -f -` gets every object", () => {
        for (const cluster of ["generator-side", "app"]) {
            const names = fs.readdirSync(path.join(outDir, cluster)).sort();
            const texts = names.map((n) => fs.readFileSync(path.join(outDir, cluster, n), "utf8"));
            for (const [i, t] of texts.entries()) assert.match(t, /^---\n/, `${cluster}/${names[i]}`);
            const streamed = YAML.parseAllDocuments(texts.join("")).map((d) => d.toJS());
            assert.equal(streamed.length, names.length, `${cluster}: the concatenated files hold ${streamed.length} documents for ${names.length} files`);
            assert.deepEqual(streamed.map((o) => o.kind), texts.map((t) => parseDocs(t)[0].object.kind));
        }
    });

    it("--out into an earlier render's directory replaces it (no stale files); a directory with other files is refused", async () => {
        const dir = path.join(tmp, "again");
        const first = await render("clusters", ...CLUSTERS, "--set", "clusters.generatorUrl=http://gen.example.com:8080", "--out", dir);
        assert.equal(first.status, 0, first.stderr);
        const second = await render("pod", "--out", dir);
        assert.equal(second.status, 0, second.stderr);
        assert.deepEqual(fs.readdirSync(dir).sort(), [".render-manifest", "app"]);
        assert.deepEqual(fs.readdirSync(path.join(dir, "app")).map((f) => f.replace(/-[0-9a-f]{8}\.yaml$/, "")).sort(),
            ["01-namespace-app-coupling-render.yaml", "02-serviceaccount-app-workload", "03-service-echo", "04-deployment-pod"]);
        fs.writeFileSync(path.join(dir, "app", "mine.yaml"), "kind: Mine\n");
        const refused = await render("pod", "--out", dir);
        assert.equal(refused.status, 2);
        assert.match(refused.stderr, /files an earlier render did not write \(app\/mine\.yaml\)/);
        assert.ok(fs.existsSync(path.join(dir, "app", "mine.yaml")), "refused, yet removed the user's file");
    });

    it("marks every placeholder: image digests and the load-balancer address", () => {
        const docs = ok(runs.clusters);
        const echo = named(docs, "Deployment", "echo")[0];
        assert.match(runs.clusters.stdout, /image: localhost:5001\/app-coupling-echo@sha256:[0-9a-f]{64} # PLACEHOLDER: image digest/);
        assert.match(runs.clusters.stdout, /value: http:\/\/203\.0\.113\.10:8080 # PLACEHOLDER: load-balancer address/);
        assert.match(runs.clusters.stdout, /^# NOTE: objects for 2 clusters/);
        assert.equal(echo.object.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "UPSTREAM_URL").value, "http://203.0.113.10:8080");
        // prebuilt images are real references: nothing to mark
        assert.ok(!runs.prebuilt.stdout.includes("PLACEHOLDER"), runs.prebuilt.stdout);
        assert.match(runs.prebuilt.stdout, /image: r\.example\.com\/g@sha256:a{64}\n/);
    });

    it("--set imagesFromStack works like any key: the stack's images stand in, marked as placeholders", () => {
        const docs = ok(runs.fromStackSet);
        const [pod] = named(docs, "Deployment", "pod");
        assert.match(pod.object.spec.template.spec.containers[0].image, /^registry\.example\.test\/app-coupling-generator@sha256:/);
        assert.match(runs.fromStackSet.stdout, /# PLACEHOLDER: image reference from stack acme\/app-coupling\/staging's images output/);
    });

    it("--stack dev uses the dev stack's coupling, context and namespace", () => {
        const docs = ok(runs.dev);
        assert.deepEqual(named(docs, "Deployment", "pod").length, 1);
        assert.ok(docs.every((d) => d.cluster === "app (context kind-app-coupling)"), docs.map((d) => d.cluster).join(", "));
        assert.ok(docs.every((d) => d.object.metadata.namespace === "app-coupling-dev" || d.object.kind === "Namespace"));
        assert.ok(docs.every((d) => d.source.startsWith("urn:pulumi:dev::")));
    });

    it("a coupling argument overrides the stack file's; a stack file path works", () => {
        const docs = ok(runs.stagingAsVolumeFromPath);
        assert.equal(docs.filter((d) => d.object.kind === "PersistentVolumeClaim").length, 1);
        const [echo] = named(docs, "Deployment", "echo");
        assert.equal(echo.object.spec.replicas, 2); // staging's echoReplicas
        assert.match(echo.object.spec.template.spec.containers[0].image, /^registry\.example\.com\/platform\/app-coupling-echo@sha256:/);
        // prod's echoReplicas: 3 is kept for a later switch, with one warning; the pod runs one echo
        const pod = ok(runs.prodAsPod);
        assert.deepEqual(pod.filter((d) => d.object.kind === "Deployment").map((d) => d.object.spec.replicas), [1]);
        assert.equal(runs.prodAsPod.stderr.match(/echoReplicas: "3" not used by coupling pod/g)?.length, 1, runs.prodAsPod.stderr);
    });

    it("leaves the pull Secret out unless --show-secrets (then it is valid), saying so in a comment", () => {
        const docs = ok(runs.credentials);
        assert.deepEqual(docs.filter((d) => d.object.kind === "Secret"), []);
        assert.match(runs.credentials.stdout, /^# NOTE: Secret app-coupling-render\/\S*registry-pull\S* left out: it holds registry credentials\. Render with --show-secrets/);
        assert.ok(!runs.credentials.stdout.includes("s3cret"));
        assert.match(runs.credentials.stdout, /- name: \S*registry-pull\S* # PLACEHOLDER: pull Secret \(left out of this render/);
        // the way to create it names the server and user given (only the password is left to type)
        assert.match(runs.credentials.stdout, /kubectl -n app-coupling-render create secret docker-registry \S+ --docker-server=localhost:5001 --docker-username=ci --docker-password=PASSWORD\n/);
        assert.match(runs.prodShown.stdout, /create secret docker-registry \S+ --docker-server=registry\.example\.com --docker-username=USER --docker-password=PASSWORD\n/,
            "a stood-in user is not offered as the user");
        const [shown] = ok(runs.credentialsShown).filter((d) => d.object.kind === "Secret");
        assert.equal(JSON.parse(shown.object.stringData[".dockerconfigjson"]).auths["localhost:5001"].password, "s3cret");
        assert.deepEqual(validateKubernetesObject(shown.object), []);
        // prod's credentials come from ESC: stand-ins render cannot read, so never rendered as if real
        const prod = ok(runs.prodShown);
        assert.deepEqual(prod.filter((d) => d.object.kind === "Secret"), []);
        assert.match(runs.prodShown.stdout, /# NOTE: Secret .* left out: its credentials are stand-ins/);
        assert.ok(!runs.prodShown.stdout.includes("esc-provided-token"));
    });

    it("--show-secrets warns on stderr when the output holds a credential in clear text, and only then", () => {
        assert.match(runs.credentialsShown.stderr, /^render: warning: --show-secrets: stdout holds registry credentials in clear text \(Secret app-coupling-render\/\S+\); keep it out of version control and logs\n/m);
        assert.ok(!runs.credentials.stderr.includes("warning: --show-secrets"), runs.credentials.stderr);
        assert.ok(!runs.prodShown.stderr.includes("warning: --show-secrets"), "nothing revealed, nothing to warn about");
    });
});
