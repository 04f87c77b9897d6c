// The lockfiles agree with their package.json: `npm install` would otherwise rewrite them
// (it copies these fields into the lockfile's root entry), and `npm ci` is what the docs
// and CI run. Both the project's and the policy pack's.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const FIELDS = ["name", "version", "license", "dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "engines"] as const;

describe("lockfiles", () => {
    for (const dir of [".", "policy"]) {
        it(`${dir}/package-lock.json is in sync with ${dir}/package.json`, () => {
            const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, dir, file), "utf8"));
            const manifest = read("package.json");
            const lock = read("package-lock.json");
            assert.equal(lock.name, manifest.name);
            assert.equal(lock.lockfileVersion, 3);
            const pick = (o: Record<string, unknown>) => Object.fromEntries(FIELDS.filter((f) => o[f] !== undefined).map((f) => [f, o[f]]));
            assert.deepEqual(pick(lock.packages[""]), pick(manifest), `${dir}: run \`npm --prefix ${dir} install --package-lock-only\``);
        });
    }
});
