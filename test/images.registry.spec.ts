// components/images.ts against what the real Docker provider (pulumi-docker 5.2.0 with
// kreuzwerker/terraform-provider-docker v4.5.0 as its upstream) does with these inputs:
//   - docker.Image (provider/image.go): Check hashes the build context into
//     build.contextDigest, Diff compares the old inputs with the new, so equal inputs build
//     nothing; with skipPush, repoDigest is the local image ID (no registry reference);
//     Read is a no-op, so a refresh never notices a registry that lost the image.
//   - docker.RegistryImage (docker_registry_image): Create pushes the tag and asks
//     `<address>/v2/<repo>/manifests/<tag>` for its digest; Read (refresh) asks the same and,
//     when the registry does not answer it, drops the resource, so `up --refresh` pushes
//     again; a new name replaces it (ForceNew); keepRemotely keeps the old digest on delete.
//     The bridge asks for delete-before-replace (pulumi-docker's SetAutonaming makes `name`
//     autonameable, and a name set by the program triggers tfbridge's
//     nameRequiresDeleteBeforeReplace), and the engine then replaces every resource whose
//     inputs come from it: the workloads would be replaced, not rolled.
//   - registry_auth: the address is https:// unless it says http://; without a user name
//     and without authDisabled, the credentials are read from the Docker config file.
// The real provider runs these in e2e/docker (npm run e2e:docker).
import { strict as assert } from "assert";
import { AppConfig, loadConfig } from "../components/config";
import { isLoopbackRegistry, providerRegistryAuth } from "../components/images";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT, DOCKER_PROVIDER, evaluate, Evaluation, IMAGE, ofType, one, PROJECT, REGISTRY_IMAGE, reveal } from "./harness";
import { UNKNOWN } from "../lib/evaluate";

const identity = (e: Evaluation) => e.resources.map((r) => `${r.type} ${r.name} <- ${r.parentUrn ?? "(stack)"}`).sort();

async function configWith(values: Record<string, string>): Promise<AppConfig> {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: "id", state: a.inputs }), call: (a) => a.inputs }, PROJECT, "test", false);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v])),
        values.registryPassword ? [`${PROJECT}:registryPassword`] : []);
    return loadConfig({ hostArch: "x64" });
}

describe("components/images.ts and the registry, as the real Docker provider sees them", function () {
    it("a loopback registry is plain HTTP, as Docker's default insecure range 127.0.0.0/8 has it", () => {
        for (const host of ["localhost", "localhost:5001", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"]) assert.ok(isLoopbackRegistry(host), host);
        for (const host of ["ghcr.io", "registry.localhost.example:5000", "10.0.0.5:5000", "localhost.localdomain", "128.0.0.1"]) {
            assert.ok(!isLoopbackRegistry(host), host);
        }
    });

    it("registryAuth: http:// for loopback (authDisabled without credentials), the host with credentials, the Docker config otherwise", async () => {
        assert.deepEqual(providerRegistryAuth(await configWith({})), { address: "http://localhost:5001", authDisabled: true });
        assert.deepEqual(providerRegistryAuth(await configWith({ imageRegistry: "127.0.0.1:5000/team" })),
            { address: "http://127.0.0.1:5000", authDisabled: true });
        // no credentials in the stack: the provider reads DOCKER_CONFIG or ~/.docker/config.json (`docker login`)
        assert.deepEqual(providerRegistryAuth(await configWith({ imageRegistry: "ghcr.io/acme" })), { address: "ghcr.io" });
        const withCredentials = providerRegistryAuth(await configWith({ imageRegistry: "localhost:5001", registryUsername: "ci", registryPassword: "s3cret" }));
        assert.equal(withCredentials.address, "http://localhost:5001");
        assert.equal(withCredentials.username, "ci");
        assert.equal(withCredentials.authDisabled, undefined, "credentials given: they are used");
        assert.ok(await pulumi.isSecret(pulumi.output(withCredentials.password)), "the password stays a secret");
        await pulumi.runtime.disconnect();
    });

    it("one docker provider for the builds, pushes and refreshes: no default provider started beside it", async () => {
        const e = await evaluate({ coupling: "pod" });
        const providers = ofType(e, DOCKER_PROVIDER);
        assert.equal(providers.length, 1);
        assert.deepEqual(JSON.parse(String(providers[0].inputs.registryAuth)), [{ address: "http://localhost:5001", authDisabled: true }]);
        for (const r of e.resources.filter((x) => x.type.startsWith("docker:"))) assert.equal(r.providerUrn, providers[0].urn, `${r.type} ${r.name}`);
    });

    it("pods never run the Image's repoDigest: with skipPush that is the local image ID, not a pullable reference", async () => {
        const e = await evaluate({ coupling: "volume" });
        for (const image of ofType(e, IMAGE)) {
            assert.match(image.state.repoDigest, /^sha256:[0-9a-f]{64}$/, "the provider's answer for skipPush");
            const deployed = (e.outputs.images as Record<string, string>)[image.name];
            assert.ok(!deployed.includes(image.state.repoDigest), `${image.name}: ${deployed}`);
            const pushed = one(e, REGISTRY_IMAGE, image.name);
            assert.ok(deployed.endsWith(`@${pushed.state.sha256Digest}`), `${image.name}: the registry's digest for the pushed tag`);
        }
    });

    it("a preview registers every resource the update will, with the digests not yet known: nothing is declared inside an apply", async () => {
        for (const values of [{ coupling: "pod" }, { coupling: "container" }, { coupling: "service", imageRegistry: "ghcr.io/acme", registryUsername: "ci", registryPassword: "x" }]) {
            const secretKeys = "registryPassword" in values ? ["registryPassword"] : [];
            const preview = await evaluate(values, { preview: true, secretKeys });
            const update = await evaluate(values, { secretKeys });
            assert.deepEqual(identity(preview), identity(update), values.coupling);
            // the preview shows the build and the push, and the pods' image as what the push will tell
            assert.ok(ofType(preview, IMAGE).length > 0 && ofType(preview, REGISTRY_IMAGE).length > 0);
            assert.equal(preview.outputs.images, UNKNOWN);
            const deployments = ofType(preview, DEPLOYMENT);
            assert.ok(deployments.length > 0);
        }
    });

    it("the RegistryImage pushes the Image's own tag, so the engine orders the push after the build", async () => {
        const e = await evaluate({ coupling: "pod", imageRegistry: "ghcr.io/acme", registryUsername: "ci", registryPassword: "x" }, { secretKeys: ["registryPassword"] });
        for (const pushed of ofType(e, REGISTRY_IMAGE)) {
            const built = one(e, IMAGE, pushed.name);
            // taken from the Image's output (state), not recomputed: a dependency the engine sees
            assert.equal(pushed.inputs.name, built.state.imageName);
            assert.equal(pushed.inputs.keepRemotely, true);
            assert.equal(pushed.deleteBeforeReplace, false, "explicitly not delete-before-replace: the workloads roll, not get replaced");
            assert.equal(pushed.inputs.authConfig, undefined, "credentials come from the provider's registryAuth");
            assert.match(pushed.inputs.name, /^ghcr\.io\/acme\/app-coupling-(generator|echo):amd64-[0-9a-f]{16}$/);
        }
        assert.equal(JSON.parse(reveal(e.resources.find((r) => r.type === DOCKER_PROVIDER)!.inputs.registryAuth))[0].password, "x");
    });
});
