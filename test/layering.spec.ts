// Tools and the program never import tests: tools -> lib <- tests. And no import circles:
// every arrow between the project's own modules runs one way.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const root = path.join(__dirname, "..");

function sources(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

/**
 * The project's own modules each file imports (type-only imports and re-exports count: a
 * type drawn from a module is an arrow too), relative to the root, as TypeScript reads them.
 */
function localImports(base: string, file: string): string[] {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(base, file), "utf8"), true, false);
    return importedFiles.map((i) => i.fileName).filter((spec) => spec.startsWith(".")).flatMap((spec) => {
        const target = path.join(path.dirname(file), spec);
        const hit = [`${target}.ts`, path.join(target, "index.ts")].find((f) => fs.existsSync(path.join(base, f)));
        return hit ? [hit] : [];
    });
}

/** Every import circle reachable from `files` (relative to `base`), each as the path that closes it (a -> b -> a). */
function importCircles(files: string[], base = root): string[][] {
    const circles: string[][] = [];
    const done = new Set<string>();
    const visit = (file: string, trail: string[]): void => {
        const at = trail.indexOf(file);
        if (at >= 0) { circles.push([...trail.slice(at), file]); return; }
        if (done.has(file)) return;
        for (const next of localImports(base, file)) visit(next, [...trail, file]);
        done.add(file);
    };
    for (const f of files) visit(f, []);
    return circles;
}

describe("layering", () => {
    it("no import circles: components/, lib/, scripts/, bench/, e2e/, test/ and index.ts", () => {
        const circles = importCircles(["components", "lib", "scripts", "bench", "e2e", "test"].flatMap(sources).concat("index.ts"));
        assert.deepEqual(circles.map((c) => c.join(" -> ")), []);
    });

    it("the circle check finds a circle, type-only imports included", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "circle-"));
        try {
            fs.mkdirSync(path.join(dir, "sub"));
            fs.writeFileSync(path.join(dir, "a.ts"), 'import { b } from "./sub";\nexport const a = b;\n');
            fs.writeFileSync(path.join(dir, "sub", "index.ts"), 'import type { A } from "../c";\nexport const b: A = 1;\n');
            fs.writeFileSync(path.join(dir, "c.ts"), 'export type { A } from "./a";\n');
            fs.writeFileSync(path.join(dir, "d.ts"), 'import { a } from "./a";\nexport const d = a;\n');
            assert.deepEqual(importCircles(["d.ts", "a.ts"], dir), [["a.ts", "sub/index.ts", "c.ts", "a.ts"]]);
            assert.deepEqual(importCircles(["c.ts"], dir), [["c.ts", "a.ts", "sub/index.ts", "c.ts"]]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("scripts/, bench/, lib/, components/ and index.ts import nothing from test/", () => {
        const offenders = [...sources("scripts"), ...sources("bench"), ...sources("lib"), ...sources("components"), "index.ts"]
            .filter((f) => /from\s+["'](\.\.?\/)+test\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual(offenders, []);
    });

    it("lib/ imports nothing from scripts/ or bench/", () => {
        const offenders = sources("lib").filter((f) => /from\s+["']\.\.\/(scripts|bench)\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual(offenders, []);
    });

    it("e2e/ imports nothing from test/; lib/, components/ and index.ts import nothing from e2e/", () => {
        const fromTest = sources("e2e").filter((f) => /from\s+["'](\.\.?\/)+test\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        const intoE2e = [...sources("lib"), ...sources("components"), "index.ts"]
            .filter((f) => /from\s+["'](\.\.?\/)+e2e\//.test(fs.readFileSync(path.join(root, f), "utf8")));
        assert.deepEqual([...fromTest, ...intoE2e], []);
    });
});
