// Faults, as containers: SIGTERM handling (settled and during start-up), app.sh's probe
// without Python, a child killed inside app, a full data volume, nowhere to write, a
// resolver and an upstream that never answer, the dual-stack listener.
import { evaluate, Evaluation, minimalConfig } from "../../lib/evaluate";
import { get } from "../lib/http";
import { assert, check } from "../lib/ledger";
import { sleep, waitFor } from "../lib/processes";
import { deploy, lines, readyAll } from "./deploy";
import { docker, dockerOk } from "./docker";
import { Cluster, Variant } from "./pods";
import { DEPLOYMENT, HOST_ARCH } from "./program";

export async function faults(cluster: Cluster, evals: Record<string, Evaluation>, refs: Record<string, string>): Promise<void> {
    const podSpec = evals["pod/spec"];
    const appSpec = evals["container/spec"];
    const spec: Variant = { name: "spec" };

    // docker stop: PID 1 handles SIGTERM; within 2 s, status 0. Once settled, once right after start.
    for (const [coupling, e] of [["pod", podSpec], ["container", appSpec]] as const) {
        await check(`docker stop of every ${coupling} container: exits 0 within 2 s (PID 1 handles SIGTERM)`, async () => {
            const d = await deploy(cluster, e, coupling, spec);
            await readyAll(cluster, d);
            const out: string[] = [];
            for (const pod of d.pods) {
                for (const [name, c] of Object.entries(pod.containers)) {
                    const r = docker(["stop", "-t", "10", c], 30_000);
                    const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", c]);
                    assert(r.code === 0, `docker stop ${name}: ${r.stderr}`);
                    assert(r.ms < 2000 && code === "0", `${name}: stopped in ${r.ms} ms with status ${code}`);
                    out.push(`${name} ${r.ms} ms`);
                }
                docker(["stop", "-t", "1", pod.pause]);
            }
            return out.join(", ");
        });
    }
    await check("docker stop right after start (SIGTERM during start-up): every image exits 0 within 2 s", async () => {
        const out: string[] = [];
        const plan = podSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec;
        const app = appSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec.containers[0];
        for (const c of [...plan.containers, app]) {
            const name = `${cluster.run}-early-${c.name}`;
            const vol = cluster.volume(`early-${c.name}`, "emptyDir", 10001, refs.generator);
            const args = cluster.containerArgs(c, plan.securityContext ?? {}, spec, { data: vol });
            dockerOk(["run", "-d", ...args, "--name", name, cluster.image(c.image)]);
            cluster.containers.push(name);
            await sleep(150); // inside the interpreter's start-up, before the program is serving
            const r = docker(["stop", "-t", "5", name], 30_000);
            const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", name]);
            assert(r.ms < 2000 && code === "0", `${c.name}: stopped in ${r.ms} ms with status ${code} (SIGTERM lost, then SIGKILL?)`);
            out.push(`${c.name} ${r.ms} ms`);
        }
        return out.join(", ");
    });

    await check("container coupling: app.sh --check uses no Python (PYTHON=/bin/false still passes) and stays fast", async () => {
        const d = await deploy(cluster, appSpec, "container", spec);
        await readyAll(cluster, d);
        const c = d.pods[0].containers.app;
        const probe = appSpec.resources.find((r) => r.type === DEPLOYMENT)!.inputs.spec.template.spec.containers[0].livenessProbe.exec.command;
        const r = docker(["exec", "-e", "PYTHON=/bin/false", c, ...probe]);
        assert(r.code === 0, `--check with PYTHON=/bin/false: exit ${r.code} ${r.stdout}${r.stderr}: it still starts Python`);
        const times: number[] = [];
        for (let i = 0; i < 5; i++) times.push(docker(["exec", c, ...probe]).ms);
        cluster.stopPod(d.pods[0]);
        return `median ${times.sort((a, b) => a - b)[2]} ms (docker exec included; timeout 3 s)`;
    });

    await check("container coupling: killing one child inside app -> the container exits non-zero", async () => {
        const d = await deploy(cluster, appSpec, "container", spec);
        await readyAll(cluster, d);
        const c = d.pods[0].containers.app;
        const pid = dockerOk(["exec", c, "sh", "-c",
            // echo.py's interpreter: comm python*, cmdline naming echo.py (not this shell, whose text names it too)
            "for p in /proc/[0-9]*; do case \"$(cat $p/comm 2>/dev/null)\" in python*) " +
            "case \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" in *echo.py*) echo ${p#/proc/}; break;; esac;; esac; done"]);
        assert(/^\d+$/.test(pid), `echo.py not found in the container: ${pid}`);
        dockerOk(["exec", c, "kill", "-KILL", pid]);
        await waitFor("the container to exit", () => dockerOk(["inspect", "--format", "{{.State.Status}}", c]) === "exited", 5000, 100);
        const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", c]);
        assert(code !== "0", "exited 0");
        docker(["stop", "-t", "1", d.pods[0].pause]);
        return `echo.py (pid ${pid}) killed; container exited with status ${code}`;
    });

    await check("pod coupling: data volume full -> generator reports it and keeps running; echo keeps serving; recovers", async () => {
        // The emptyDir as a 256 KiB tmpfs, so that filling it is quick and harms nothing; few
        // lines kept, so that every beat rewrites the file (appends may still fit in the last
        // page of a full tmpfs, a rewrite never does).
        const small = await evaluate({ ...minimalConfig("pod"), maxLines: 5, generatorIntervalSeconds: 0.5 }, { hostArch: HOST_ARCH });
        const d = await deploy(cluster, small, "pod", spec, ["--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=256k"]);
        await readyAll(cluster, d);
        const pod = d.pods[0];
        const gen = pod.containers.generator;
        docker(["exec", gen, "sh", "-c", "cat /dev/zero > /data/fill"], 30_000); // fails with ENOSPC: full
        await waitFor("the generator to report the failed write", () => /cannot (append|rewrite)/.test(docker(["logs", gen]).stderr), 10_000, 200);
        const served = await get(pod.ip, 8000, "/data");
        assert(served.status === 200 && lines(served.body).length > 0, `echo: ${served.status}`);
        await sleep(3000);
        assert(dockerOk(["inspect", "--format", "{{.State.Status}}", gen]) === "running", "the generator exited");
        dockerOk(["exec", gen, "rm", "-f", "/data/fill"]);
        await waitFor("the generator to write again", () => /again/.test(docker(["logs", gen]).stderr), 10_000, 200);
        cluster.stopPod(pod);
        return docker(["logs", gen]).stderr.split("\n").filter((l) => /cannot|again/.test(l)).join(" | ");
    });

    await check("generator with nowhere to write (read-only root, no volume): says so and exits 1, not the bad-config 2", async () => {
        const name = `${cluster.run}-nowrite`;
        dockerOk(["run", "-d", "--read-only", "--label", `app-coupling.e2e=${cluster.run}`, "--name", name, refs.generator]);
        cluster.containers.push(name);
        await waitFor("exit", () => dockerOk(["inspect", "--format", "{{.State.Status}}", name]) === "exited", 5000, 100);
        const code = dockerOk(["inspect", "--format", "{{.State.ExitCode}}", name]);
        const logs = docker(["logs", name]).stderr.trim();
        assert(code === "1" && /cannot create \/data\/data/.test(logs), `status ${code}, logs: ${logs}`);
        return logs;
    });

    await check("echo with a resolver that never answers: /ready at once, /data within the upstream timeout", async () => {
        const name = `${cluster.run}-nodns`;
        // 192.0.2.1 (TEST-NET-1) never answers; the default bridge hands it to the container as its resolver
        dockerOk(["run", "-d", "--dns", "192.0.2.1", "--label", `app-coupling.e2e=${cluster.run}`, "--name", name,
            "-e", "UPSTREAM_URL=http://generator.example.invalid:8080", "-e", "UPSTREAM_TIMEOUT_SECONDS=2", refs.echo]);
        cluster.containers.push(name);
        const ip = dockerOk(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]);
        await waitFor("echo", async () => (await get(ip, 8000, "/healthz")).status === 200, 10_000);
        const ready = await get(ip, 8000, "/ready", 10_000);
        const data = await get(ip, 8000, "/data", 15_000);
        assert(ready.ms < 500, `/ready took ${ready.ms} ms`);
        assert(data.status === 502 && data.ms < 3000, `/data: ${data.status} after ${data.ms} ms (timeout 2 s)`);
        return `/ready ${ready.status} in ${ready.ms} ms, /data ${data.status} in ${data.ms} ms`;
    });

    await check("echo and the adapter listen on IPv6 and IPv4 (one dual-stack socket) where the pod network has IPv6", async () => {
        // Docker turns IPv6 off in containers on IPv4-only networks (echo then says "IPv4 only"
        // and serves all the same, as every coupling above shows); here it is on, as in a
        // dual-stack cluster.
        const name = `${cluster.run}-dualstack`;
        const dir = cluster.volume("dualstack", "emptyDir", 10001, refs.generator);
        dockerOk(["run", "-d", "--sysctl", "net.ipv6.conf.all.disable_ipv6=0", "--sysctl", "net.ipv6.conf.lo.disable_ipv6=0",
            "--read-only", "--cap-drop", "ALL", "-v", `${dir}:/data`, "--label", `app-coupling.e2e=${cluster.run}`, "--name", name, refs.echo]);
        cluster.containers.push(name);
        await waitFor("echo", () => docker(["exec", name, "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/healthz"]).code === 0, 10_000);
        const tcp6 = dockerOk(["exec", name, "cat", "/proc/net/tcp6"]);
        // local address :: (all zeros) port 8000 (1F40), state 0A (LISTEN)
        assert(/^\s*\d+: 0{32}:1F40 0{32}:0000 0A/m.test(tcp6), `no [::]:8000 listener in /proc/net/tcp6:\n${tcp6}\n${docker(["logs", name]).stderr}`);
        const v6 = docker(["exec", name, "busybox", "wget", "-q", "-O", "/dev/null", "http://[::1]:8000/healthz"]);
        assert(v6.code === 0, `over IPv6: ${v6.stderr}`);
        const logs = docker(["logs", name]).stderr;
        assert(/IPv6 and IPv4/.test(logs), `echo says: ${logs}`);
        return "[::]:8000 answers 127.0.0.1 and ::1";
    });

    await check("echo against an upstream that accepts and never answers: /ready at once", async () => {
        const name = `${cluster.run}-silent`;
        const echo = `${cluster.run}-silent-echo`;
        const netName = cluster.network("silent");
        // busybox nc -l -p: accepts one connection and never writes
        dockerOk(["run", "-d", "--network", netName, "--network-alias", "silent-upstream", "--label", `app-coupling.e2e=${cluster.run}`,
            "--name", name, "--entrypoint", "sh", refs.generator, "-c", "while :; do nc -l -p 8080 >/dev/null; done"]);
        cluster.containers.push(name);
        dockerOk(["run", "-d", "--network", netName, "--label", `app-coupling.e2e=${cluster.run}`, "--name", echo,
            "-e", "UPSTREAM_URL=http://silent-upstream:8080", refs.echo]);
        cluster.containers.push(echo);
        const ip = dockerOk(["inspect", "--format", `{{ (index .NetworkSettings.Networks "${netName}").IPAddress }}`, echo]);
        await waitFor("echo", async () => (await get(ip, 8000, "/healthz")).status === 200, 10_000);
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
            const r = await get(ip, 8000, "/ready", 5000);
            assert(r.status === 503, `/ready: ${r.status}`);
            times.push(r.ms);
        }
        assert(Math.max(...times) < 500, `/ready took ${times.join(", ")} ms`);
        return `/ready 503 in ${times.join(", ")} ms`;
    });
}
