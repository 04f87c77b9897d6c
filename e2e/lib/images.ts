// The images a layer deploys without building: the digests `npm run e2e:containers`
// pushed to localhost:5001, else fixed placeholders (render mode and kwok never pull).
import * as fs from "fs";
import * as path from "path";
import { CACHE } from "./tools";

/** Where `npm run e2e:containers` leaves the digests it pushed: {generator, echo, app}. */
export const IMAGES_FILE = process.env.APP_COUPLING_E2E_IMAGES ?? path.join(CACHE, "e2e-images.json");

const placeholder = (name: string, n: number) => `localhost:5001/app-coupling-${name}@sha256:${String(n).repeat(64)}`;
export const PLACEHOLDER_IMAGES = { generator: placeholder("generator", 1), echo: placeholder("echo", 2), app: placeholder("app", 3) };

export function imagesConfig(): { images: Record<string, string>; source: string } {
    try {
        const parsed = JSON.parse(fs.readFileSync(IMAGES_FILE, "utf8"));
        if (["generator", "echo", "app"].every((k) => typeof parsed[k] === "string" && parsed[k].includes("@sha256:"))) {
            return { images: { generator: parsed.generator, echo: parsed.echo, app: parsed.app }, source: IMAGES_FILE };
        }
    } catch {
        // no file: placeholders
    }
    return { images: PLACEHOLDER_IMAGES, source: "placeholder digests (no e2e:containers digests file)" };
}
