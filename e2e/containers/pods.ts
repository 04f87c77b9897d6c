/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs from the evaluated program are untyped property bags */
// Pods as Docker containers, derived from the Deployment specs the program emits (evaluated
// under Pulumi mocks, as the unit tests do), so these checks cannot drift from the program:
// command, args, env, user and groups, read-only root filesystem, dropped capabilities,
// no privilege escalation, resource limits, volumes and mounts, probes all come from there.
//
//   pod                 -> a "pause" container holding the network namespace (as a pod's
//                          sandbox does) + one container per spec container joined to it
//   emptyDir            -> a Docker volume per pod, mode 0777 like an emptyDir
//   PersistentVolumeClaim -> one Docker volume per claim, shared by the pods that mount it
//   fsGroup             -> the volume's group set to it, setgid, group-writable; the
//                          container gets it as a supplementary group (what the kubelet does)
//   Service             -> DNS names (<svc>, <svc>.<ns>, <svc>.<ns>.svc, ...cluster.local) as
//                          network aliases of the pods its selector selects
import { get } from "../lib/http";
import { GiveUp, waitFor } from "../lib/processes";
import { docker, dockerOk } from "./docker";

export interface PodPlan {
    /** Deployment logical name (and provider, for clusters). */
    name: string;
    network: string;
    labels: Record<string, string>;
    spec: any;
}

export interface Variant {
    /** "spec": exactly as the pod spec says; "arbitrary-uid": OpenShift-style UID in group 0. */
    name: string;
    /** Run every container as this user:group instead of what the spec/image says. */
    user?: string;
    /** Supplementary group and volume group, as OpenShift's SCC-injected fsGroup. */
    fsGroup?: number;
}

export interface StartedPod {
    plan: PodPlan;
    pause: string;
    ip: string;
    containers: Record<string, string>; // spec container name -> docker container name
    startedAt: number;
}

const LABEL = "app-coupling.e2e";

function memoryBytes(q: string | undefined): number | undefined {
    if (!q) return undefined;
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
    if (!m) return undefined;
    const mult: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };
    return Math.round(Number(m[1]) * (m[2] ? mult[m[2]] : 1));
}

function cpus(q: string | undefined): string | undefined {
    if (!q) return undefined;
    return q.endsWith("m") ? String(Number(q.slice(0, -1)) / 1000) : q;
}

export class Cluster {
    readonly volumes = new Set<string>();
    readonly networks = new Set<string>();
    readonly containers: string[] = [];
    private pods = 0;

    constructor(readonly run: string, readonly images: Record<string, string>) {}

    /** The local image standing for a pod spec's image reference (matched by repository). */
    image(ref: string): string {
        const repo = ref.split("@")[0].replace(/:[^:/]+$/, "");
        const local = this.images[repo];
        if (!local) throw new Error(`no local image for ${ref} (have ${Object.keys(this.images).join(", ")})`);
        return local;
    }

    network(name: string): string {
        const full = `${this.run}-${name}`;
        if (!this.networks.has(full)) {
            dockerOk(["network", "create", "--label", `${LABEL}=${this.run}`, full]);
            this.networks.add(full);
        }
        return full;
    }

    /** A volume prepared as the kubelet would: emptyDir 0777, claims 0755 root-owned; fsGroup applied. */
    volume(name: string, kind: "emptyDir" | "claim", fsGroup: number | undefined, helperImage: string, opts: string[] = []): string {
        const full = `${this.run}-${name}`;
        if (this.volumes.has(full)) return full;
        dockerOk(["volume", "create", "--label", `${LABEL}=${this.run}`, ...opts, full]);
        this.volumes.add(full);
        const mode = kind === "emptyDir" ? "0777" : "0755";
        const group = fsGroup === undefined ? "" : `&& chgrp ${fsGroup} /v && chmod g+rwxs /v`;
        dockerOk(["run", "--rm", "--user", "0:0", "--entrypoint", "/bin/sh", "-v", `${full}:/v`, helperImage,
            "-c", `chown 0:0 /v && chmod ${mode} /v ${group}`]);
        return full;
    }

    async startPod(plan: PodPlan, variant: Variant, aliases: string[], extraNetworks: { network: string; aliases: string[] }[],
        volumeFor: (v: any) => string): Promise<StartedPod> {
        const spec = plan.spec;
        const pause = `${this.run}-${++this.pods}-${plan.name.replace(/[^a-zA-Z0-9_.-]/g, "_")}`;
        const firstImage = this.image(spec.containers[0].image);
        const startedAt = Date.now();
        dockerOk(["run", "-d", "--name", pause, "--label", `${LABEL}=${this.run}`, "--network", plan.network,
            ...aliases.flatMap((a) => ["--network-alias", a]),
            "--read-only", "--cap-drop", "ALL", "--user", "65534:65534", "--entrypoint", "sleep", firstImage, "86400"]);
        this.containers.push(pause);
        for (const extra of extraNetworks) {
            dockerOk(["network", "connect", ...extra.aliases.flatMap((a) => ["--alias", a]), extra.network, pause]);
        }
        const ip = dockerOk(["inspect", "--format", `{{ (index .NetworkSettings.Networks "${plan.network}").IPAddress }}`, pause]);
        const pod = spec.securityContext ?? {};
        const volumes: Record<string, string> = {};
        for (const v of spec.volumes ?? []) volumes[v.name] = volumeFor(v);
        const started: StartedPod = { plan, pause, ip, containers: {}, startedAt };
        for (const c of spec.containers) {
            const name = `${pause}-${c.name}`;
            started.containers[c.name] = name;
            dockerOk(["run", "-d", ...this.containerArgs(c, pod, variant, volumes), "--name", name, "--network", `container:${pause}`,
                ...(c.command?.length ? ["--entrypoint", c.command[0]] : []),
                this.image(c.image),
                ...(c.command?.length ? c.command.slice(1) : []), ...(c.args ?? [])]);
            this.containers.push(name);
        }
        return started;
    }

    /** docker run flags for one spec container (everything but name, network and image). */
    containerArgs(c: any, pod: any, variant: Variant, volumes: Record<string, string>): string[] {
        const sc = c.securityContext ?? {};
        const args = ["--label", `${LABEL}=${this.run}`];
        const uid = sc.runAsUser ?? pod.runAsUser;
        const gid = sc.runAsGroup ?? pod.runAsGroup;
        if (variant.user) args.push("--user", variant.user);
        else if (uid !== undefined) args.push("--user", `${uid}:${gid ?? 0}`);
        const fsGroup = variant.fsGroup ?? pod.fsGroup;
        if (fsGroup !== undefined) args.push("--group-add", String(fsGroup));
        if (sc.readOnlyRootFilesystem) args.push("--read-only");
        for (const cap of sc.capabilities?.drop ?? []) args.push("--cap-drop", cap);
        for (const cap of sc.capabilities?.add ?? []) args.push("--cap-add", cap);
        if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
        if (sc.privileged) args.push("--privileged");
        const limits = c.resources?.limits ?? {};
        const mem = memoryBytes(limits.memory);
        if (mem) args.push("--memory", String(mem), "--memory-swap", String(mem));
        const cpu = cpus(limits.cpu);
        if (cpu) args.push("--cpus", cpu);
        for (const e of c.env ?? []) {
            if (typeof e.value !== "string") throw new Error(`env ${e.name} of ${c.name} has no plain value`);
            args.push("-e", `${e.name}=${e.value}`);
        }
        for (const m of c.volumeMounts ?? []) {
            const vol = volumes[m.name];
            if (!vol) throw new Error(`${c.name} mounts unknown volume ${m.name}`);
            args.push("-v", `${vol}:${m.mountPath}${m.readOnly ? ":ro" : ""}`);
        }
        return args;
    }

    /** Run one probe the way the kubelet would; resolves with a failure reason, or "" when it passed. */
    async probe(pod: StartedPod, containerName: string, probe: any): Promise<string> {
        const spec = pod.plan.spec.containers.find((c: any) => c.name === containerName);
        const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
        if (probe.exec) {
            const r = docker(["exec", pod.containers[containerName], ...probe.exec.command], timeoutMs + 2000);
            if (r.code !== 0) return `exec ${probe.exec.command.join(" ")}: exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`;
            if (r.ms > timeoutMs) return `exec ${probe.exec.command.join(" ")} took ${r.ms} ms (timeout ${timeoutMs} ms)`;
            return "";
        }
        if (probe.httpGet) {
            const port = typeof probe.httpGet.port === "number" ? probe.httpGet.port
                : spec.ports?.find((p: any) => p.name === probe.httpGet.port)?.containerPort;
            if (!port) return `httpGet port ${probe.httpGet.port} not declared`;
            try {
                const res = await get(pod.ip, port, probe.httpGet.path, timeoutMs);
                return res.status >= 200 && res.status < 400 ? "" : `GET ${probe.httpGet.path}: ${res.status}`;
            } catch (e) {
                return String((e as Error).message);
            }
        }
        if (probe.tcpSocket) return "tcpSocket probes are not emulated";
        return "unknown probe kind";
    }

    /** Wait until every readiness probe of the pod passes; returns ms since the pod started. */
    async ready(pod: StartedPod, timeoutMs = 60_000): Promise<number> {
        for (const c of pod.plan.spec.containers) {
            if (!c.readinessProbe) continue;
            await waitFor(`${pod.plan.name}/${c.name} ready`, async () => {
                const state = docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", pod.containers[c.name]]).stdout.trim();
                if (!state.startsWith("running")) {
                    const logs = docker(["logs", "--tail", "20", pod.containers[c.name]]);
                    throw new GiveUp(`${c.name} is ${state}: ${(logs.stdout + logs.stderr).trim()}`);
                }
                return (await this.probe(pod, c.name, c.readinessProbe)) === "";
            }, timeoutMs, 100);
        }
        return Date.now() - pod.startedAt;
    }

    stopPod(pod: StartedPod): void {
        for (const name of Object.values(pod.containers)) docker(["stop", "-t", "10", name], 30_000);
        docker(["stop", "-t", "1", pod.pause], 30_000);
    }

    startStoppedPod(pod: StartedPod): void {
        dockerOk(["start", pod.pause]);
        pod.ip = dockerOk(["inspect", "--format", `{{ (index .NetworkSettings.Networks "${pod.plan.network}").IPAddress }}`, pod.pause]);
        for (const name of Object.values(pod.containers)) dockerOk(["start", name]);
        pod.startedAt = Date.now();
    }

    /** Remove everything this run created. */
    teardown(): void {
        const ids = docker(["ps", "-aq", "--filter", `label=${LABEL}=${this.run}`]).stdout.split("\n").filter(Boolean);
        if (ids.length) docker(["rm", "-f", "-v", ...ids], 120_000);
        for (const v of this.volumes) docker(["volume", "rm", "-f", v]);
        for (const n of this.networks) docker(["network", "rm", n]);
    }
}

/** Remove what an earlier, interrupted run left behind (anything labelled by this suite). */
export function removeLeftovers(): void {
    const ids = docker(["ps", "-aq", "--filter", `label=${LABEL}`]).stdout.split("\n").filter(Boolean);
    if (ids.length) docker(["rm", "-f", "-v", ...ids], 120_000);
    for (const kind of ["volume", "network"]) {
        const names = docker([kind, "ls", "-q", "--filter", `label=${LABEL}`]).stdout.split("\n").filter(Boolean);
        if (names.length) docker([kind, "rm", ...names]);
    }
}
