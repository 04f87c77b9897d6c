// Builds and pushes only the images the chosen coupling runs, or takes prebuilt ones.
// Tags are the content hash of each build context (plus the platform), and pods get the
// pushed digest, so an unchanged program changes nothing and one changed program
// rebuilds one image and rolls only the workloads that run it.
//
// Same content, same digest, wherever `pulumi up` runs: before building, the registry is
// asked for the content tag; when it holds it, pods get the digest it holds and nothing is
// built (builds are not reproducible: two cold builds differ in timestamps). When the tag
// is missing the image is built and pushed, and when an unchanged Image from an earlier run
// reports a digest the registry no longer has (the registry was recreated empty), it is
// pushed again. A stack that built an image keeps its Image resource registered (it reads
// its own last `builtImages` output), so the run after a build changes nothing either.
// See README, "Real containers".
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, DIGEST_REF, IMAGES_FOR, ImageName } from "./config";

export type ImageRefs = Partial<Record<ImageName, pulumi.Output<string>>>;

/** Where each image's build context and Dockerfile live, relative to the images directory. */
export const BUILD_SPECS: Record<ImageName, { context: string; dockerfile: string }> = {
    generator: { context: "generator", dockerfile: "generator/Dockerfile" },
    echo: { context: "echo", dockerfile: "echo/Dockerfile" },
    // the combined image ships the very scripts of the single images, so its context is images/
    app: { context: ".", dockerfile: "app/Dockerfile" },
};

export const DEFAULT_IMAGES_DIR = path.join(__dirname, "..", "images");

function listFiles(dir: string, prefix = ""): string[] {
    return fs.readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => e.isDirectory()
            ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
            : [`${prefix}${e.name}`])
        .sort();
}

/** `.dockerignore` rules as Docker applies them: in order, the last match wins, `!` re-includes. */
function dockerignore(contextDir: string): (file: string) => boolean {
    const file = path.join(contextDir, ".dockerignore");
    const rules = (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "").split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"))
        .map((line) => {
            const include = line.startsWith("!");
            const glob = path.posix.normalize(line.replace(/^!/, "").replace(/^\/+/, ""));
            const pattern = glob.split("**").map((part) => part.split("*").map((p) => p.replace(/[.+^${}()|[\]\\?]/g, "\\$&"))
                .join("[^/]*")).join(".*");
            // a pattern naming a directory covers everything below it
            return { include, regex: new RegExp(`^${pattern}(/.*)?$`) };
        });
    return (f) => rules.reduce((ignored, rule) => (rule.regex.test(f) ? !rule.include : ignored), false);
}

/** The files a build sends to Docker: the context minus what `.dockerignore` excludes. */
export function contextFiles(contextDir: string): string[] {
    const ignored = dockerignore(contextDir);
    return listFiles(contextDir).filter((f) => !ignored(f));
}

/**
 * Content hash of a build: every file Docker would be sent (path, executable bit, bytes),
 * the Dockerfile itself and the platform. Images for two architectures never share a tag.
 */
export function buildContextHash(imagesDir: string, name: ImageName, platform: string): string {
    const spec = BUILD_SPECS[name];
    const contextDir = path.join(imagesDir, spec.context);
    const hash = crypto.createHash("sha256");
    hash.update(`dockerfile=${spec.dockerfile}\0platform=${platform}\0`);
    hash.update(fs.readFileSync(path.join(imagesDir, spec.dockerfile)));
    for (const file of contextFiles(contextDir)) {
        const full = path.join(contextDir, file);
        const executable = (fs.statSync(full).mode & 0o111) !== 0;
        hash.update(`${file}\0${executable ? "x" : "-"}\0`);
        hash.update(fs.readFileSync(full));
        hash.update("\0");
    }
    return hash.digest("hex");
}

/** `amd64-<16 hex>`: readable architecture, then the content hash. */
export function imageTag(imagesDir: string, name: ImageName, platform: string): string {
    return `${platform.split("/")[1]}-${buildContextHash(imagesDir, name, platform).slice(0, 16)}`;
}

/** `<registry>/<project>-<image>`: where an image is pushed (or, with pullRegistry, pulled from). */
export function imageRepository(config: AppConfig, name: ImageName, registry = config.imageRegistry): string {
    return `${registry}/${config.project}-${name}`;
}

function fromProjectDir(p: string): string {
    const relative = path.relative(process.cwd(), p);
    return relative.startsWith("..") || path.isAbsolute(relative) ? p : relative || ".";
}

/** What a registry answers for a reference: it holds it (with this digest), it does not, or no answer. */
export type RegistryAnswer = { state: "held"; digest: string } | { state: "missing" } | { state: "unknown"; reason: string };

/**
 * Ask the registry for `ref` (repo:tag or repo@digest) with `docker.getRegistryImage`: a
 * digest when it holds it, "missing" when it answers not-found, "unknown" otherwise (no
 * answer, denied, or no digest given, as under unit-test mocks): the caller then builds as
 * if there were no registry to ask, and never assumes the registry lost anything.
 */
export async function registryDigest(ref: string, opts: pulumi.InvokeOptions = {}): Promise<RegistryAnswer> {
    try {
        const result = await docker.getRegistryImage({ name: ref }, opts);
        const digest = result?.sha256Digest;
        return typeof digest === "string" && /^sha256:[0-9a-f]{64}$/.test(digest)
            ? { state: "held", digest }
            : { state: "unknown", reason: "the registry gave no digest" };
    } catch (err) {
        const message = String((err as Error)?.message ?? err);
        if (/\b404\b|not found|manifest unknown|MANIFEST_UNKNOWN|NAME_UNKNOWN/i.test(message)) return { state: "missing" };
        pulumi.log.warn(`images: could not ask the registry about ${ref} (${message.split("\n")[0]}); building it`);
        return { state: "unknown", reason: message };
    }
}

export interface AppImagesArgs {
    config: AppConfig;
    /** Directory holding generator/, echo/ and app/; tests point it at a copy. */
    imagesDir?: string;
    /** This stack's last `builtImages` output (program.ts reads it back); unset = none. */
    builtBefore?: pulumi.Input<string[] | undefined>;
}

export class AppImages extends pulumi.ComponentResource {
    /** Digest-pinned references (`repository@sha256:...`) of the images the coupling runs. */
    readonly refs: ImageRefs = {};
    /** The content-tagged names (`repository:tag`) this stack holds an Image resource for. */
    builtImages: pulumi.Output<string[]>;

    constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:index:Images", name, {}, opts);
        const { config } = args;
        const needed = IMAGES_FOR[config.coupling];

        this.builtImages = pulumi.output([]);
        if (config.prebuiltImages) {
            for (const image of needed) this.refs[image] = pulumi.output(config.prebuiltImages[image]!);
        } else if (config.imagesFromStack) {
            // Promotion: deploy exactly the digests another stack built and exported.
            const source = new pulumi.StackReference(`images-from-${config.imagesFromStack}`,
                { name: config.imagesFromStack }, { parent: this });
            const exported = source.requireOutput("images") as pulumi.Output<Record<string, string>>;
            for (const image of needed) {
                this.refs[image] = exported.apply((refs) => {
                    const ref = refs?.[image];
                    if (typeof ref !== "string" || !DIGEST_REF.test(ref)) {
                        throw new Error(`imagesFromStack: stack ${config.imagesFromStack} exports no digest-pinned "${image}" image ` +
                            `in its images output (got ${JSON.stringify(ref)})`);
                    }
                    return ref;
                });
            }
        } else {
            const imagesDir = args.imagesDir ?? DEFAULT_IMAGES_DIR;
            // Lookups authenticate as pushes do (the provider's registryAuth); without
            // credentials the default provider (and its docker config) is used.
            const lookupProvider = config.registryAuth && new docker.Provider(`${name}-registry-lookup`, {
                registryAuth: [{
                    address: config.registryAuth.server,
                    username: config.registryAuth.username,
                    password: config.registryAuth.password,
                }],
            }, { parent: this });
            const lookup = (ref: string) => registryDigest(ref, { parent: this, provider: lookupProvider || undefined });
            // The content tags this stack built on its last run: their Image resources stay
            // registered (unchanged, so the provider neither builds nor pushes), else the run
            // after a build would drop them from the state.
            // a stack output read back may be anything an earlier version exported
            const builtBefore = pulumi.output(args.builtBefore)
                .apply((names) => (Array.isArray(names) ? names : []));
            const built: pulumi.Output<string | undefined>[] = [];
            for (const image of needed) {
                const spec = BUILD_SPECS[image];
                const repository = imageRepository(config, image);
                const imageName = `${repository}:${imageTag(imagesDir, image, config.platform)}`;
                const imageArgs: docker.ImageArgs = {
                    imageName,
                    build: {
                        // relative to the project directory, as @pulumi/docker expects, so
                        // the inputs do not change with where the repository is cloned
                        context: fromProjectDir(path.join(imagesDir, spec.context)),
                        dockerfile: fromProjectDir(path.join(imagesDir, spec.dockerfile)),
                        platform: config.platform,
                    },
                    registry: config.registryAuth && {
                        server: config.registryAuth.server,
                        username: config.registryAuth.username,
                        password: config.registryAuth.password,
                    },
                };
                const build = () => new docker.Image(image, imageArgs, { parent: this });
                const result = pulumi.all([lookup(imageName), builtBefore]).apply(([held, before]): pulumi.Output<{ ref: string; built?: string }> => {
                    // Same content, same digest, on any machine: the registry already holds
                    // this content tag, so deploy the digest it holds and build nothing (a
                    // second machine's cold build would give another digest and roll every pod).
                    if (held.state === "held") {
                        if (before.includes(imageName)) build();
                        return pulumi.output({ ref: `${repository}@${held.digest}`, built: before.includes(imageName) ? imageName : undefined });
                    }
                    const fresh = build();
                    if (held.state === "unknown") return fresh.repoDigest.apply((ref) => ({ ref, built: imageName }));
                    // The tag is missing. The Image may be an unchanged one from an earlier run
                    // whose push the registry no longer has (it was recreated empty): docker.Image
                    // neither reads nor re-pushes then. So check the digest it reports and push
                    // again, as a second resource, when the registry lacks it.
                    return fresh.repoDigest.apply((ref): pulumi.Output<{ ref: string; built?: string }> => pulumi.output(lookup(ref)).apply(
                        (has): pulumi.Output<{ ref: string; built?: string }> => has.state === "missing"
                            ? new docker.Image(`${image}-repush`, imageArgs, { parent: this }).repoDigest.apply((r) => ({ ref: r, built: imageName }))
                            : pulumi.output({ ref, built: imageName })));
                });
                built.push(result.apply((r) => r.built));
                const pushed = result.ref;
                // the digest is the image wherever it is pulled from: re-home it for pulls
                const { pullRegistry } = config;
                this.refs[image] = pullRegistry
                    ? pushed.apply((ref) => `${imageRepository(config, image, pullRegistry)}@${ref.split("@")[1]}`)
                    : pushed;
            }
            this.builtImages = pulumi.all(built).apply((names) => names.filter((n): n is string => !!n));
        }
        this.registerOutputs({ refs: this.refs });
    }
}
