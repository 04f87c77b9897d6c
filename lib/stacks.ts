// Reads the repository's Pulumi.<stack>.yaml files as the Pulumi CLI would hand them to
// the program, so tests and the render tool can evaluate every stack offline. What
// cannot be read offline (`secure:` values, ESC environments, another stack's outputs)
// becomes a stand-in, recorded as a placeholder.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { Placeholder, PROJECT } from "./evaluate";

export const REPO = path.join(__dirname, "..");

export interface StackFile {
    stack: string;
    file: string;
    /** Config values without the project prefix (objects kept as objects). */
    values: Record<string, unknown>;
    /** Keys stored encrypted (`secure:`), or provided as secrets by an ESC environment. */
    secretKeys: string[];
    /** Pulumi ESC environments the stack imports. */
    environments: string[];
    /** Outputs of the stack `imagesFromStack` names, stood in for (promotion stacks). */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** The stand-ins above, to mark in what is rendered. */
    placeholders: Placeholder[];
}

/** What an ESC environment provides to a stack offline: registry credentials, as secrets. */
export const ESC_STAND_IN = { registryUsername: "esc-robot", registryPassword: "esc-provided-token" };

export function stackFiles(): StackFile[] {
    return fs.readdirSync(REPO)
        .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
        .sort()
        .map((file) => readStackFile(path.join(REPO, file)));
}

const standInDigest = (image: string) => `registry.example.test/app-coupling-${image}@sha256:${"0".repeat(63)}${image.length}`;

/** Stand-in outputs of the stack `imagesFromStack` names: an `images` map of placeholder digests. */
export function standInStackOutputs(stack: string): { stackOutputs: Record<string, Record<string, unknown>>; placeholders: Placeholder[] } {
    const images = Object.fromEntries(["generator", "echo", "app"].map((n) => [n, standInDigest(n)]));
    return {
        stackOutputs: { [stack]: { images } },
        placeholders: Object.values(images).map((value) => ({ value, what: `image reference from stack ${stack}'s images output (read at pulumi up)` })),
    };
}

export function readStackFile(file: string): StackFile {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const values: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    const placeholders: Placeholder[] = [];
    for (const [key, value] of Object.entries<unknown>(doc.config ?? {})) {
        if (!key.startsWith(`${PROJECT}:`)) continue; // other namespaces (e.g. kubernetes:) are the providers'
        const name = key.slice(PROJECT.length + 1);
        if (value && typeof value === "object" && "secure" in value) {
            values[name] = `placeholder-for-${name}`;
            secretKeys.push(name);
            placeholders.push({ value: values[name] as string, what: `${name} (encrypted in the stack file)` });
        } else {
            values[name] = value !== null && typeof value === "object" ? value : String(value);
        }
    }
    const environments: string[] = doc.environment ?? [];
    if (environments.length) {
        Object.assign(values, ESC_STAND_IN);
        secretKeys.push("registryPassword");
        for (const [k, v] of Object.entries(ESC_STAND_IN)) placeholders.push({ value: v, what: `${k} (from the ESC environment ${environments.join(", ")})` });
    }
    const source = values.imagesFromStack;
    let stackOutputs: StackFile["stackOutputs"];
    if (typeof source === "string") {
        const standIn = standInStackOutputs(source);
        stackOutputs = standIn.stackOutputs;
        placeholders.push(...standIn.placeholders);
    }
    const stack = path.basename(file).replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
    return { stack, file, values, secretKeys, environments, stackOutputs, placeholders };
}
