// Reads the repository's Pulumi.<stack>.yaml files as the Pulumi CLI would hand them to
// the program, so tests and the render script can evaluate every stack.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT } from "./harness";

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
}

/** What an ESC environment provides to a stack in tests: registry credentials, as secrets. */
export const ESC_STAND_IN = { registryUsername: "esc-robot", registryPassword: "esc-provided-token" };

export function stackFiles(): StackFile[] {
    return fs.readdirSync(REPO)
        .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
        .sort()
        .map((file) => readStackFile(path.join(REPO, file)));
}

const standInDigest = (image: string) => `registry.example.test/app-coupling-${image}@sha256:${"0".repeat(63)}${image.length}`;

export function readStackFile(file: string): StackFile {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const values: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries<unknown>(doc.config ?? {})) {
        if (!key.startsWith(`${PROJECT}:`)) continue; // other namespaces (e.g. kubernetes:) are the providers'
        const name = key.slice(PROJECT.length + 1);
        if (value && typeof value === "object" && "secure" in value) {
            values[name] = `placeholder-for-${name}`;
            secretKeys.push(name);
        } else {
            values[name] = value !== null && typeof value === "object" ? value : String(value);
        }
    }
    const environments: string[] = doc.environment ?? [];
    if (environments.length) {
        Object.assign(values, ESC_STAND_IN);
        secretKeys.push("registryPassword");
    }
    const source = values.imagesFromStack;
    const stackOutputs = typeof source === "string"
        ? { [source]: { images: Object.fromEntries(["generator", "echo", "app"].map((n) => [n, standInDigest(n)])) } }
        : undefined;
    const stack = path.basename(file).replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
    return { stack, file, values, secretKeys, environments, stackOutputs };
}
