// Deploys transpile only, tests type-check (DESIGN: "Deploys do not type-check: npm test
// and CI do"). `pulumi up`/`preview` compile with the tsconfig Pulumi.yaml names, whose
// noCheck @pulumi/pulumi's runner turns into ts-node's transpileOnly; `npm test`'s tsc uses
// tsconfig.json, which must keep checking, and both must emit the same JavaScript.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import * as tsNode from "ts-node";
import * as YAML from "yaml";
// The SDK's own reader, the one cmd/run/run.js decides transpileOnly with (internal, so typed here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsutils: { loadTypeScriptCompilerOptions(file: string): Record<string, unknown> } = require("@pulumi/pulumi/tsutils");

const repoRoot = path.resolve(__dirname, "..");
const CHECKED = path.join(repoRoot, "tsconfig.json");

function deployTsconfig(): string {
    const project = YAML.parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));
    const name = project.runtime?.options?.tsconfig;
    assert.equal(typeof name, "string", "Pulumi.yaml runtime.options.tsconfig names the deploy tsconfig");
    return path.join(repoRoot, name);
}

/** A tsconfig's options as tsc (and ts-node) see them: "extends" followed. */
function parsed(file: string, overrides: ts.CompilerOptions = {}): ts.CompilerOptions {
    const read = ts.readConfigFile(file, ts.sys.readFile);
    assert.equal(read.error, undefined, `${file}: ${read.error && ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    const config = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file), overrides, file);
    assert.deepEqual(config.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), []);
    return config.options;
}

/** The compilerOptions run.js hands ts-node: its defaults under the file's own options (no extends). */
function runJsCompilerOptions(file: string): Record<string, unknown> {
    return { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...tsutils.loadTypeScriptCompilerOptions(file) };
}

/** The options a deploy compiles with: run.js's overlay over the file, as ts-node parses them. */
function deployOptions(file: string): ts.CompilerOptions {
    // run.js's sourceMap "true" is a string, which ts-node tolerates and tsc's parser refuses
    const converted = ts.convertCompilerOptionsFromJson({ ...runJsCompilerOptions(file), sourceMap: true }, path.dirname(file));
    assert.deepEqual(converted.errors, []);
    return parsed(file, converted.options);
}

/** ts-node as cmd/run/run.js registers it: transpileOnly from noCheck, the deploy tsconfig, its option overlay. */
function deployService(): tsNode.Service {
    const file = deployTsconfig();
    const compilerOptions = runJsCompilerOptions(file);
    return tsNode.create({ compiler: "typescript", transpileOnly: compilerOptions.noCheck as boolean, project: file, skipProject: false, compilerOptions });
}

/** What `npm test` runs: its npm scripts (following `npm run [-s] X`) and the shell scripts they start, comments left out. */
function testScripts(): string[] {
    const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).scripts;
    const seen: string[] = [];
    const texts: string[] = [];
    const visit = (name: string) => {
        if (seen.includes(name) || !scripts[name]) return;
        seen.push(name);
        texts.push(scripts[name]);
        for (const m of scripts[name].matchAll(/\bbash (scripts\/[\w.-]+\.sh)/g)) {
            if (m[1] === "scripts/with-node.sh") continue;
            texts.push(fs.readFileSync(path.join(repoRoot, m[1]), "utf8").split("\n").filter((l) => !/^\s*#/.test(l)).join("\n"));
        }
        for (const m of scripts[name].matchAll(/npm run(?: -s| --silent)* ([\w:-]+)/g)) visit(m[1]);
    };
    visit("test");
    return texts;
}

describe("deploys transpile only, npm test type-checks", () => {
    it("Pulumi.yaml points the runtime at a tsconfig with noCheck, which the SDK reads as transpile-only", () => {
        const file = deployTsconfig();
        assert.ok(fs.existsSync(file), `${file} exists`);
        assert.notEqual(path.resolve(file), CHECKED, "the deploy tsconfig is not the one tsc and editors use");
        // run.js: transpileOnly = PULUMI_NODEJS_TRANSPILE_ONLY when set, else compilerOptions.noCheck
        assert.equal(tsutils.loadTypeScriptCompilerOptions(file).noCheck, true);
    });

    it("tsconfig.json keeps type-checking, and npm test runs tsc over it", () => {
        assert.notEqual(parsed(CHECKED).noCheck, true, "tsconfig.json must not set noCheck");
        const tscRuns = testScripts().flatMap((s) => [...s.matchAll(/\btsc\b([^&;|\n"]*)/g)].map((m) => m[1]));
        assert.ok(tscRuns.some((args) => /--noEmit\b/.test(args)), `npm test runs tsc --noEmit (scripts: ${testScripts().join(" | ")})`);
        for (const args of tscRuns) {
            assert.doesNotMatch(args, /--noCheck|(?:-p|--project)\s+(?!tsconfig\.json\b)/, `npm test's tsc ${args} checks with tsconfig.json`);
        }
        // the program and everything else tsc checks
        const names = ts.parseJsonConfigFileContent(ts.readConfigFile(CHECKED, ts.sys.readFile).config, ts.sys, repoRoot).fileNames;
        for (const f of ["index.ts", "components/program.ts", "test/deploy-tsconfig.spec.ts", "policy/index.ts"]) {
            assert.ok(names.includes(path.join(repoRoot, f)), `tsc checks ${f}`);
        }
    });

    it("a deploy compiles with exactly the options the tests run with, noCheck aside", () => {
        // run.js lays the file's own options (extends NOT followed) over ES2020/nodenext;
        // an option missing there would change the emitted JavaScript (e.g. class fields).
        const strip = (o: ts.CompilerOptions) => {
            const { noCheck: _n, configFilePath: _c, pathsBasePath: _p, ...rest } = o;
            return rest;
        };
        assert.deepEqual(strip(deployOptions(deployTsconfig())), strip(parsed(CHECKED)));
    });

    it("a type error fails tsc with tsconfig.json and passes a deploy's compile", function () {
        this.timeout(120_000); // parses the standard library once: only a hang should reach this
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "app-coupling-typecheck-"));
        try {
            const file = path.join(dir, "index.ts");
            const source = 'export const interval: number = "two seconds";\n';
            fs.writeFileSync(file, source);
            // One file of its own: no @types packages, no DOM (a fifth of the parse time;
            // whether a type error is reported does not depend on either).
            const options = { ...parsed(CHECKED), noEmit: true, types: [], lib: ["lib.es2022.d.ts"] };
            const errors = ts.getPreEmitDiagnostics(ts.createProgram([file], options)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            assert.deepEqual(errors, ["Type 'string' is not assignable to type 'number'."]);
            // ts-node set up as @pulumi/pulumi's cmd/run/run.js sets it up, from the deploy tsconfig
            const deploy = deployService();
            assert.match(deploy.compile(source, file), /const interval = "two seconds"/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("deploys and tests transpile alike: ts-node with SWC, transpile-only, from both tsconfigs", () => {
        const deploy = deployService();
        // mocha (.mocharc: ts-node/register/transpile-only) and the scripts read tsconfig.json
        const tests = tsNode.create({ transpileOnly: true, project: CHECKED });
        for (const service of [deploy, tests]) {
            assert.equal(service.options.swc, true);
            assert.equal(service.options.transpileOnly, true);
        }
    });
});
