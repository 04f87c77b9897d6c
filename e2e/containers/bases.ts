// Base images for the container e2e suite: the real ones where they can be pulled, else
// local stand-ins created under the exact names the Dockerfiles' FROM lines give (read from
// the Dockerfiles, so a version bump needs no edit here):
//   alpine:*  -> a busybox userland (static busybox, every applet linked in /bin)
//   python:*  -> the same, plus this machine's python3 with its standard library and the
//                shared libraries it and its extension modules load
// A stand-in is labelled app-coupling.standin=<what it is>. Its tar is written with sorted
// names, fixed owners and mtime 0, so the same host files give the same layer anywhere.
import * as fs from "fs";
import * as path from "path";
import { run } from "../lib/processes";
import { docker, dockerOk } from "./docker";

export const STANDIN_LABEL = "app-coupling.standin";

export interface Base {
    name: string;
    /** "real" (pulled or already present), or what the stand-in is. */
    source: "real" | "stand-in";
    detail: string;
}

/** The external FROM images of a Dockerfile (not earlier stages). */
export function fromImages(dockerfile: string): string[] {
    const stages = new Set<string>();
    const out: string[] = [];
    for (const line of fs.readFileSync(dockerfile, "utf8").split("\n")) {
        const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (!m) continue;
        if (!stages.has(m[1])) out.push(m[1]);
        if (m[2]) stages.add(m[2]);
    }
    return out;
}

function label(name: string): string | undefined {
    const r = docker(["image", "inspect", "--format", `{{ index .Config.Labels "${STANDIN_LABEL}" }}`, name]);
    if (r.code !== 0) return undefined;
    const v = r.stdout.trim();
    return v && v !== "<no value>" ? v : "";
}

function copyWithLibs(file: string, root: string, seen: Set<string>): void {
    const copy = (src: string) => {
        if (seen.has(src)) return;
        seen.add(src);
        const dest = path.join(root, src);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(fs.realpathSync(src), dest);
        fs.chmodSync(dest, fs.statSync(fs.realpathSync(src)).mode & 0o777);
    };
    copy(file);
    const ldd = run("ldd", [file]);
    for (const m of ldd.stdout.matchAll(/(\/[^\s)]+)/g)) {
        if (fs.existsSync(m[1])) copy(m[1]);
    }
}

function busyboxRoot(root: string): void {
    const bb = process.env.E2E_BUSYBOX && fs.existsSync(process.env.E2E_BUSYBOX) ? process.env.E2E_BUSYBOX : run("sh", ["-c", "command -v busybox"]).stdout.trim();
    if (!bb) throw new Error("no busybox on this machine to build a stand-in from");
    for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "proc", "sys", "dev", "var/tmp"]) {
        fs.mkdirSync(path.join(root, d), { recursive: true });
    }
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    fs.copyFileSync(fs.realpathSync(bb), path.join(root, "bin/busybox"));
    fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
    copyWithLibs(fs.realpathSync(bb), path.join(root, ".busybox-libs"), new Set()); // none when static
    for (const lib of ["lib", "lib64", "usr/lib"]) {
        const from = path.join(root, ".busybox-libs", lib);
        if (fs.existsSync(from)) fs.cpSync(from, path.join(root, lib), { recursive: true });
    }
    fs.rmSync(path.join(root, ".busybox-libs"), { recursive: true, force: true });
    const applets = run(path.join(root, "bin/busybox"), ["--list"]).stdout.split("\n").filter(Boolean);
    for (const a of applets) {
        if (a === "busybox") continue;
        const link = path.join(root, "bin", a);
        if (!fs.existsSync(link)) fs.symlinkSync("busybox", link);
    }
    fs.symlinkSync("/bin/env", path.join(root, "usr/bin/env"));
    fs.writeFileSync(path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    fs.writeFileSync(path.join(root, "etc/group"), "root:x:0:root\nnobody:x:65534:\n");
    fs.writeFileSync(path.join(root, "etc/os-release"), "NAME=\"app-coupling stand-in (busybox)\"\nID=standin\n");
}

function pythonRoot(root: string): string {
    const info = run("python3", ["-c",
        "import os, sys, sysconfig; print(os.path.realpath(sys.executable)); print(sysconfig.get_paths()['stdlib']); " +
        "print(sysconfig.get_config_var('DESTSHARED') or ''); print('%d.%d.%d' % sys.version_info[:3])"]);
    if (info.code !== 0) throw new Error(`no python3 on this machine to build a stand-in from: ${info.stderr}`);
    const [exe, stdlib, dynload, version] = info.stdout.trim().split("\n");
    const seen = new Set<string>();
    copyWithLibs(exe, root, seen);
    const skip = new Set(["test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages", "dist-packages"]);
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) {
                if (dir === stdlib && (skip.has(e.name) || e.name.startsWith("config-"))) continue;
                walk(full);
            } else if (e.isFile() || e.isSymbolicLink()) {
                const dest = path.join(root, full);
                fs.mkdirSync(path.dirname(dest), { recursive: true });
                if (fs.existsSync(full)) fs.copyFileSync(full, dest);
                if (full.endsWith(".so")) copyWithLibs(full, root, seen);
            }
        }
    };
    walk(stdlib);
    if (dynload && fs.existsSync(dynload) && !dynload.startsWith(stdlib)) walk(dynload);
    for (const link of ["usr/bin/python3", "usr/local/bin/python3", "usr/local/bin/python"]) {
        const p = path.join(root, link);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        if (!fs.existsSync(p)) fs.symlinkSync(exe, p);
    }
    return version;
}

function importRoot(root: string, name: string, what: string): void {
    const file = `${root}.tar`;
    const t = run("tar", ["-C", root, "--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@0", "-cf", file, "."], { timeoutMs: 300_000 });
    if (t.code !== 0) throw new Error(`tar: ${t.stderr}`);
    dockerOk(["import",
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", `LABEL ${STANDIN_LABEL}="${what}"`,
        "--change", "CMD [\"/bin/sh\"]",
        file, name], 300_000);
    fs.rmSync(file, { force: true });
}

/** Make `name` available: present already, pulled, or a stand-in created here. */
export function ensureBase(name: string, work: string, tryPull: boolean): Base {
    const existing = label(name);
    if (existing !== undefined) {
        return existing ? { name, source: "stand-in", detail: `${existing} (created earlier)` } : { name, source: "real", detail: "present in the engine" };
    }
    if (tryPull) {
        const pull = docker(["pull", "--quiet", name], 90_000);
        if (pull.code === 0) return { name, source: "real", detail: "pulled" };
    }
    const root = path.join(work, `standin-${name.replace(/[^a-z0-9.]+/gi, "_")}`);
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    busyboxRoot(root);
    let what = "busybox userland";
    if (name.startsWith("python:")) what = `Debian python3 ${pythonRoot(root)} + busybox userland`;
    importRoot(root, name, what);
    fs.rmSync(root, { recursive: true, force: true });
    return { name, source: "stand-in", detail: what };
}
