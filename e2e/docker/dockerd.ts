// The layer's own Docker engine: a dockerd with its own data root, exec root and socket
// (its default bridge network kept, no iptables rules).
import * as fs from "fs";
import * as path from "path";
import { onCleanup } from "../lib/cleanups";
import { CheckError } from "../lib/ledger";
import { background, run, sleepSync, stopProcess } from "../lib/processes";

export interface Engine {
    /** DOCKER_HOST for the CLI and the provider. */
    host: string;
    log: string;
}

function answers(host: string): boolean {
    return run("docker", ["-H", host, "version", "--format", "{{.Server.Version}}"], { timeoutMs: 10_000 }).code === 0;
}

/**
 * dockerd under `dir`, overlay2 else vfs. The default bridge stays: every RUN step needs
 * it (`--bridge=none` fails them with "network bridge not found"); `--iptables=false`
 * keeps the machine's firewall as it is. Stopped (and waited for) at cleanup.
 */
export function startDockerd(dir: string): Engine {
    fs.mkdirSync(dir, { recursive: true });
    const host = `unix://${path.join(dir, "docker.sock")}`;
    const tried: string[] = [];
    for (const driver of ["overlay2", "vfs"]) {
        const log = path.join(dir, `dockerd-${driver}.log`);
        const p = background(`dockerd (${driver})`, "dockerd", [
            "--iptables=false", "--ip6tables=false", `--storage-driver=${driver}`,
            `--data-root=${path.join(dir, "data")}`, `--exec-root=${path.join(dir, "exec")}`,
            `--pidfile=${path.join(dir, "dockerd.pid")}`, `--host=${host}`,
        ], { log });
        // dockerd takes a few seconds to stop its containerd: wait, so the next layer's engine starts clean
        const stop = () => stopProcess(p.pid!, 30_000);
        onCleanup(`dockerd (${driver}), waited for`, stop);
        for (let i = 0; i < 120 && p.exitCode === null && !answers(host); i++) sleepSync(500);
        if (answers(host)) return { host, log };
        tried.push(`${driver}: ${fs.readFileSync(log, "utf8").trim().split("\n").slice(-2).join(" ")}`);
        stop();
    }
    throw new CheckError(`dockerd would not start: ${tried.join("; ")}`);
}
