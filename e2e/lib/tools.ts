// The tool cache `npm run e2e:tools` (scripts/e2e-tools.sh) builds from the Go module
// proxy; the layers only read it and never build.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** ~/.cache/app-coupling: the tools, the pinned Node, the digests and numbers the layers leave. */
export const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "app-coupling");
export const TOOLS = process.env.APP_COUPLING_TOOLS ?? path.join(os.homedir(), ".cache", "app-coupling", "tools");
export const TOOLS_BIN = path.join(TOOLS, "bin");

export const tool = (name: string) => path.join(TOOLS_BIN, name);

/** `versions` is written once every tool is built. */
export function toolCacheBuilt(): boolean {
    return fs.existsSync(path.join(TOOLS, "versions"));
}

/** Tools missing from the cache (an empty list: all there). */
export function missingTools(names: readonly string[]): string[] {
    return names.filter((n) => {
        try {
            fs.accessSync(tool(n), fs.constants.X_OK);
            return false;
        } catch {
            return true;
        }
    });
}
