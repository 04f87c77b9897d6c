// Builds and pushes only the images the chosen coupling runs, or takes prebuilt ones.
//
// Each image is two resources, declared on every run (never inside an apply), so a
// preview shows exactly which image would be rebuilt and which workloads would roll:
//   docker.Image          builds on the Docker engine, tagged `<arch>-<content hash>` of its
//                         build context; skipPush, because the Image resource never reads
//                         the registry back (the provider's Read is a no-op);
//   docker.RegistryImage  pushes that tag and records the digest the registry holds; its
//                         refresh asks the registry for the tag, so `pulumi up --refresh`
//                         notices a registry that lost the image (recreated empty) and
//                         pushes it again.
// Pods reference `<repository>@<the registry's digest>`. Unchanged content: same tag, same
// inputs, nothing built, pushed or asked for. One changed program: a new tag, so its Image
// is updated (built), its RegistryImage replaced (pushed), and only the workloads running
// it roll. See README, "Images and the registry".
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, DIGEST_REF, IMAGES_FOR, ImageName } from "./config";
import * as grammars from "./grammars";

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

/** A registry host on loopback: Docker treats it as plain HTTP (its default insecure range 127.0.0.0/8). */
export function isLoopbackRegistry(host: string): boolean {
    const name = host.replace(/:[0-9]+$/, "");
    return name === "localhost" || name === "[::1]" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name);
}

/**
 * How the Docker provider reaches the registry (its `registryAuth`, kreuzwerker's
 * `registry_auth`): RegistryImage pushes with these credentials and asks
 * `<address>/v2/<repo>/manifests/<tag>` on create and refresh. The address is `https://`
 * unless it names `http://`, so a loopback registry gets `http://` (and, without
 * credentials, `authDisabled`, else the provider insists on a Docker config file). A
 * remote registry without credentials in the stack takes them from the Docker config
 * (`docker login`), as the docker CLI would.
 */
export function providerRegistryAuth(config: AppConfig): docker.types.input.ProviderRegistryAuth {
    const host = grammars.registryHost(config.imageRegistry);
    const address = isLoopbackRegistry(host) ? `http://${host}` : host;
    if (config.registryAuth) {
        return { address, username: config.registryAuth.username, password: config.registryAuth.password };
    }
    return isLoopbackRegistry(host) ? { address, authDisabled: true } : { address };
}

export interface AppImagesArgs {
    config: AppConfig;
    /** Directory holding generator/, echo/ and app/; tests point it at a copy. */
    imagesDir?: string;
}

export class AppImages extends pulumi.ComponentResource {
    /** Digest-pinned references (`repository@sha256:...`) of the images the coupling runs. */
    readonly refs: ImageRefs = {};
    /** The content-tagged names (`repository:tag`) this stack builds; none with prebuilt images. */
    readonly builtNames: string[] = [];
    /** builtNames as the stack output. */
    readonly builtImages: pulumi.Output<string[]>;

    constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("app-coupling:index:Images", name, {}, opts);
        const { config } = args;
        const needed = IMAGES_FOR[config.coupling];

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
            // one provider for builds, pushes and refreshes: it knows how to reach the registry
            const provider = new docker.Provider(name, { registryAuth: [providerRegistryAuth(config)] }, { parent: this });
            for (const image of needed) {
                const spec = BUILD_SPECS[image];
                const repository = imageRepository(config, image);
                const imageName = `${repository}:${imageTag(imagesDir, image, config.platform)}`;
                this.builtNames.push(imageName);
                const build = new docker.Image(image, {
                    imageName,
                    build: {
                        // relative to the project directory, as @pulumi/docker expects, so
                        // the inputs do not change with where the repository is cloned
                        context: fromProjectDir(path.join(imagesDir, spec.context)),
                        dockerfile: fromProjectDir(path.join(imagesDir, spec.dockerfile)),
                        platform: config.platform,
                    },
                    skipPush: true,
                }, { parent: this, provider });
                const pushed = new docker.RegistryImage(image, {
                    // the built tag (an output, so the push waits for the build); a new tag
                    // replaces the RegistryImage, i.e. pushes
                    name: build.imageName,
                    // a replaced image's old digest stays: pods being rolled and a rollback use it
                    keepRemotely: true,
                }, {
                    parent: this, provider,
                    // The bridge asks to delete a RegistryImage before replacing it (its `name`
                    // is autonameable, pulumi-docker SetAutonaming, and set here:
                    // tfbridge nameRequiresDeleteBeforeReplace), and the engine then replaces
                    // every workload running the image instead of rolling it. A new tag never
                    // collides with the old one: push first, drop the old record after.
                    deleteBeforeReplace: false,
                });
                // the digest is the image wherever it is pulled from: re-home it for pulls
                const pullRepository = config.pullRegistry ? imageRepository(config, image, config.pullRegistry) : repository;
                this.refs[image] = pulumi.interpolate`${pullRepository}@${pushed.sha256Digest}`;
            }
        }
        this.builtImages = pulumi.output(this.builtNames);
        this.registerOutputs({ refs: this.refs });
    }
}
