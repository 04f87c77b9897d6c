// Static checks of the three Dockerfiles, parsed with dockerfile-ast (no Docker needed).
import { strict as assert } from "assert";
import { DockerfileParser, Instruction, JSONInstruction } from "dockerfile-ast";
import * as fs from "fs";
import * as path from "path";
import { contextFiles } from "../components/images";

const IMAGES = path.resolve(__dirname, "..", "images");

interface Image {
    name: string;
    context: string; // build context directory
    dockerfile: string;
    python: boolean; // runs echo.py (needs the Python env settings and port 8000)
}

const images: Image[] = [
    { name: "generator", context: path.join(IMAGES, "generator"), dockerfile: path.join(IMAGES, "generator", "Dockerfile"), python: false },
    { name: "echo", context: path.join(IMAGES, "echo"), dockerfile: path.join(IMAGES, "echo", "Dockerfile"), python: true },
    { name: "app", context: IMAGES, dockerfile: path.join(IMAGES, "app", "Dockerfile"), python: true },
];

const SHEBANGS: Record<string, string> = {
    "generator.sh": "#!/bin/sh",
    "app.sh": "#!/bin/sh",
    "echo.py": "#!/usr/bin/env python3",
};

function parse(image: Image) {
    return DockerfileParser.parse(fs.readFileSync(image.dockerfile, "utf8"));
}

function byKeyword(image: Image, keyword: string): Instruction[] {
    return parse(image)
        .getInstructions()
        .filter((i) => i.getKeyword() === keyword);
}

/** Argument values of an instruction, whether written in shell or JSON (exec) form. */
function values(i: Instruction): string[] {
    if (i instanceof JSONInstruction && i.getOpeningBracket() !== null) {
        return i.getJSONStrings().map((s) => s.getJSONValue());
    }
    return i.getArguments().map((a) => a.getValue());
}

interface Copied {
    source: string; // absolute path on disk
    dest: string; // absolute path in the image
}

/** Every file COPY/ADD takes from the build context, resolved on disk and in the image. */
function copies(image: Image): Copied[] {
    const out: Copied[] = [];
    for (const i of [...byKeyword(image, "COPY"), ...byKeyword(image, "ADD")]) {
        const flags = (i as JSONInstruction).getFlags().map((f) => f.getName());
        if (flags.includes("from")) continue; // from another stage, not the context
        const args = values(i);
        const dest = args[args.length - 1];
        for (const src of args.slice(0, -1)) {
            const target = dest.endsWith("/") ? path.posix.join(dest, path.posix.basename(src)) : dest;
            out.push({ source: path.resolve(image.context, src), dest: target });
        }
    }
    return out;
}

describe("images/*/Dockerfile", function () {
    for (const image of images) {
        describe(`${image.name} (context ${path.relative(path.resolve(IMAGES, ".."), image.context)})`, function () {
            it("pins every base image to a version tag (never latest, never untagged)", function () {
                const froms = parse(image).getFROMs();
                assert.ok(froms.length > 0, "no FROM");
                const stages = new Set(froms.map((f) => f.getBuildStage()).filter((s): s is string => !!s));
                for (const from of froms) {
                    const name = from.getImageName() ?? "";
                    if (stages.has(name)) continue; // FROM an earlier stage
                    const tag = from.getImageTag();
                    const digest = from.getImageDigest();
                    assert.ok(tag || digest, `${from.getImage()} has no tag`);
                    if (tag) {
                        assert.notEqual(tag, "latest", `${from.getImage()} uses latest`);
                        assert.match(tag, /\d+\.\d+/, `${from.getImage()}: tag is not a version`);
                    }
                }
            });

            it("bases on supported releases: Alpine >= 3.22, Python >= 3.13, exact patch tags, support end beside each FROM", function () {
                const lines = fs.readFileSync(image.dockerfile, "utf8").split("\n");
                for (const from of parse(image).getFROMs()) {
                    const name = from.getImageName() ?? "";
                    const tag = from.getImageTag() ?? "";
                    const minor = (version: string) => version.split(".").map(Number);
                    const atLeast = (v: number[], min: number[]) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
                    if (name === "alpine") {
                        assert.match(tag, /^\d+\.\d+\.\d+$/, `alpine:${tag} is not an exact patch tag`);
                        assert.ok(atLeast(minor(tag), [3, 22]), `alpine:${tag} is not a supported release`);
                    } else if (name === "python") {
                        const m = /^(\d+\.\d+\.\d+)-alpine(\d+\.\d+)$/.exec(tag);
                        assert.ok(m, `python:${tag} is not an exact <patch>-alpine<release> tag`);
                        assert.ok(atLeast(minor(m[1]), [3, 13]), `python:${tag}: Python before 3.13`);
                        assert.ok(atLeast(minor(m[2]), [3, 22]), `python:${tag}: Alpine before 3.22`);
                    } else {
                        assert.fail(`unexpected base image ${from.getImage()}`);
                    }
                    // the comment lines right above FROM say until when each part is supported
                    const at = from.getRange().start.line;
                    const comments = lines.slice(Math.max(0, at - 3), at).join("\n");
                    assert.match(comments, /Alpine 3\.\d+: .*until \d{4}-\d{2}-\d{2}/, `no Alpine support end above ${from.getImage()}`);
                    if (name === "python") assert.match(comments, /Python 3\.\d+: .*until \d{4}-\d{2}/, `no Python support end above ${from.getImage()}`);
                }
            });

            it("sends only the files it copies (its .dockerignore allow-list): nothing else moves its content tag", function () {
                const sent = contextFiles(image.context).map((f) => path.resolve(image.context, f)).sort();
                const copied = [...new Set(copies(image).map((c) => c.source))].sort();
                assert.deepEqual(sent, copied);
            });

            it("runs as a numeric non-root user in group 0 (OpenShift: arbitrary UID, GID 0)", function () {
                const users = byKeyword(image, "USER");
                assert.ok(users.length > 0, "no USER: the image would run as root");
                const user = values(users[users.length - 1]).join(" "); // the last one wins
                const m = /^(\d+)(?::(\d+))?$/.exec(user);
                assert.ok(m, `USER ${user} must be numeric (no passwd entry is relied upon)`);
                assert.notEqual(Number(m[1]), 0, "USER must not be root");
                assert.equal(m[2], "0", "group 0, so OpenShift's arbitrary UID shares the file permissions");
            });

            it("copies only files that exist inside its build context and its .dockerignore keeps", function () {
                const list = copies(image);
                assert.ok(list.length > 0, "copies nothing");
                const ignore = path.join(image.context, ".dockerignore");
                assert.ok(fs.existsSync(ignore), `${ignore} is missing (the context hash would drift)`);
                const patterns = fs
                    .readFileSync(ignore, "utf8")
                    .split("\n")
                    .map((l) => l.trim())
                    .filter((l) => l && !l.startsWith("#"));
                for (const { source } of list) {
                    const rel = path.relative(image.context, source);
                    assert.ok(!rel.startsWith(".."), `${rel} is outside the build context`);
                    assert.ok(fs.statSync(source).isFile(), `${rel} does not exist`);
                    // Our ignore files are allow-lists: "*" then "!file" for each file copied.
                    if (patterns.includes("*")) {
                        assert.ok(patterns.includes(`!${rel}`), `${rel} is excluded by .dockerignore`);
                    }
                }
            });

            it("ships executable scripts with a proper shebang, under /app, started in exec form", function () {
                for (const { source, dest } of copies(image)) {
                    const base = path.basename(source);
                    assert.ok(SHEBANGS[base], `unexpected file copied: ${base}`);
                    assert.ok(fs.statSync(source).mode & 0o100, `${base} is not executable`);
                    assert.equal(fs.readFileSync(source, "utf8").split("\n")[0], SHEBANGS[base]);
                    assert.equal(dest, `/app/${base}`);
                }
                // COPY keeps the context's modes, which depend on the checkout: set them.
                const runs = byKeyword(image, "RUN").map((r) => values(r).join(" "));
                for (const { dest } of copies(image)) {
                    assert.ok(
                        runs.some((r) => /chmod (0?755|\+x|a\+rx)/.test(r) && r.includes(dest)),
                        `no RUN chmod 0755 ${dest}`,
                    );
                }
                const entrypoints = byKeyword(image, "ENTRYPOINT");
                assert.equal(entrypoints.length, 1);
                const ep = entrypoints[0] as JSONInstruction;
                assert.ok(ep.getOpeningBracket() !== null, "ENTRYPOINT must be in exec (JSON) form");
                assert.ok(
                    values(ep).some((v) => copies(image).some((c) => c.dest === v)),
                    `ENTRYPOINT ${values(ep).join(" ")} does not start a copied script`,
                );
                assert.deepEqual(byKeyword(image, "STOPSIGNAL").map(values), [["SIGTERM"]]);
            });

            it("creates /data owned by the user and group 0, group-writable (chgrp 0, chmod g=u)", function () {
                const runs = byKeyword(image, "RUN").map((r) => values(r).join(" "));
                const run = runs.find((r) => /mkdir (-p )?.*\/data\b/.test(r));
                assert.ok(run, "no RUN creates /data");
                assert.match(run, /chown 10001(:0)? \/data/);
                assert.match(run, /chgrp 0 \/data/);
                assert.match(run, /chmod g=u \/data/);
            });

            if (image.python) {
                it("needs no writable root filesystem (no .pyc, unbuffered) and exposes 8000", function () {
                    const env = new Map<string, string>();
                    for (const e of parse(image).getENVs()) {
                        for (const p of e.getProperties()) env.set(p.getName(), p.getValue() ?? "");
                    }
                    assert.equal(env.get("PYTHONDONTWRITEBYTECODE"), "1");
                    assert.equal(env.get("PYTHONUNBUFFERED"), "1");
                    assert.deepEqual(byKeyword(image, "EXPOSE").map(values), [["8000"]]);
                });
            }
        });
    }

    it("the app image ships the very same generator.sh and echo.py files as the single images", function () {
        const [generator, echo, app] = images;
        const appCopies = copies(app);
        for (const single of [generator, echo]) {
            for (const c of copies(single)) {
                const same = appCopies.find((a) => a.source === c.source);
                assert.ok(same, `app does not copy ${path.relative(IMAGES, c.source)}`);
                assert.equal(same.dest, c.dest, "and puts it at the same path");
            }
        }
        assert.ok(
            appCopies.some((a) => a.source === path.join(IMAGES, "app", "app.sh")),
            "app copies app/app.sh",
        );
        assert.equal(appCopies.length, 3, "app copies exactly generator.sh, echo.py and app.sh");
    });
});
