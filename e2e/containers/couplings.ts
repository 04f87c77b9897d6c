// Every coupling end to end, three ways: as the pod spec says, as the image's own user
// (the OpenShift config pins no UID) and OpenShift-style (an arbitrary UID in group 0).
import { COUPLINGS, Coupling } from "../../components/config";
import { Evaluation } from "../../lib/evaluate";
import { get } from "../lib/http";
import { assert, check, note } from "../lib/ledger";
import { waitFor } from "../lib/processes";
import { deploy, Deployed, lines, readyAll } from "./deploy";
import { docker, dockerOk } from "./docker";
import { numbers } from "./numbers";
import { Cluster, Variant } from "./pods";
import { OC_UID } from "./program";

const VARIANTS = [
    { name: "spec", key: "spec" },
    // no runAsUser in the spec (OpenShift config): the image's own USER 10001:0
    { name: "image user 10001:0", key: "openshift", fsGroup: OC_UID },
    { name: `arbitrary UID ${OC_UID}:0`, key: "openshift", user: `${OC_UID}:0`, fsGroup: OC_UID },
];

export async function runCouplings(cluster: Cluster, evals: Record<string, Evaluation>): Promise<void> {
    for (const coupling of COUPLINGS) {
        for (const variant of VARIANTS) await runCoupling(cluster, coupling, evals[`${coupling}/${variant.key}`], variant);
    }
}

async function runCoupling(cluster: Cluster, coupling: Coupling, e: Evaluation, variant: Variant): Promise<void> {
    const label = `${coupling} [${variant.name}]`;
    let d: Deployed | undefined;
    const ok = await check(`${label}: pods start and every readiness probe passes`, async () => {
        d = await deploy(cluster, e, coupling, variant);
        const ms = await readyAll(cluster, d);
        numbers.startToReadyMs[label] = ms;
        return `${d.pods.length} pod(s), ${d.pods.reduce((n, p) => n + Object.keys(p.containers).length, 0)} container(s), start-to-ready ${(ms / 1000).toFixed(1)} s`;
    });
    if (!ok || !d) {
        if (d) for (const p of d.pods) for (const c of Object.values(p.containers)) note(`logs ${c}: ${docker(["logs", "--tail", "15", c]).stderr.trim().replace(/\n/g, "\n  ")}`);
        return;
    }
    const { echo } = d;
    await check(`${label}: /data grows with integers 0..32767; /healthz and /ready 200; other paths 404`, async () => {
        const interval = Number(e.config.generatorIntervalSeconds);
        const first = await get(echo.ip, 8000, "/data");
        assert(first.status === 200, `/data: ${first.status} ${first.body}`);
        const before = lines(first.body).length;
        await waitFor("/data to grow", async () => lines((await get(echo.ip, 8000, "/data")).body).length > before, interval * 3000 + 3000, 200);
        for (const p of ["/healthz", "/ready"]) {
            const r = await get(echo.ip, 8000, p);
            assert(r.status === 200, `${p}: ${r.status}`);
        }
        for (const p of ["/", "/data/", "/../etc/passwd", "/nope", "/data.bak"]) {
            const r = await get(echo.ip, 8000, p);
            assert(r.status === 404, `${p}: ${r.status}, want 404`);
        }
        return `${before} -> ${lines((await get(echo.ip, 8000, "/data")).body).length} lines`;
    });
    await check(`${label}: every exec and HTTP probe the spec declares passes inside its container`, async () => {
        const done: string[] = [];
        for (const pod of d!.pods) {
            for (const c of pod.plan.spec.containers) {
                for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
                    if (!c[kind]) continue;
                    const failure = await cluster.probe(pod, c.name, c[kind]);
                    assert(failure === "", `${c.name} ${kind}: ${failure}`);
                    done.push(`${c.name} ${kind.replace("Probe", "")}`);
                }
            }
        }
        assert(done.length > 0, "no probes declared");
        return done.join(", ");
    });
    await check(`${label}: non-root as intended, read-only root filesystem, no capabilities, no privilege escalation`, () => {
        const seen: string[] = [];
        for (const pod of d!.pods) {
            for (const c of pod.plan.spec.containers) {
                const name = pod.containers[c.name];
                const id = dockerOk(["exec", name, "id", "-u"]);
                const want = variant.user ? variant.user.split(":")[0] : String(c.securityContext?.runAsUser ?? pod.plan.spec.securityContext?.runAsUser ?? "10001");
                assert(id === want && id !== "0", `${c.name} runs as uid ${id}, want ${want}`);
                const gid = dockerOk(["exec", name, "id", "-g"]);
                const wantGid = variant.user ? variant.user.split(":")[1] : String(c.securityContext?.runAsGroup ?? pod.plan.spec.securityContext?.runAsGroup ?? "0");
                assert(gid === wantGid, `${c.name} runs as gid ${gid}, want ${wantGid}`);
                const status = dockerOk(["exec", name, "cat", "/proc/self/status"]);
                assert(/^CapEff:\s+0+$/m.test(status), `${c.name} has capabilities: ${/^CapEff.*$/m.exec(status)?.[0]}`);
                assert(/^NoNewPrivs:\s+1$/m.test(status), `${c.name}: privilege escalation not disabled`);
                const w = docker(["exec", name, "sh", "-c", "touch /app/x || touch /x"]);
                assert(w.code !== 0, `${c.name} could write its root filesystem`);
                seen.push(`${c.name} ${id}:${gid}`);
            }
        }
        return seen.join(", ");
    });
    if (coupling === "service" && variant.name === "spec") {
        await check(`${label}: generator side stopped -> echo serves its last copy with a Warning; recovers when it returns`, async () => {
            const gen = d!.pods.find((p) => p !== echo)!;
            const before = await get(echo.ip, 8000, "/data");
            assert(before.status === 200 && !before.headers.warning, `before: ${before.status} ${before.headers.warning ?? ""}`);
            cluster.stopPod(gen);
            await waitFor("a Warning header", async () => {
                const r = await get(echo.ip, 8000, "/data");
                return r.status === 200 && /stale/.test(String(r.headers.warning)) && r.body.length > 0;
            }, 15_000, 300);
            const ready = await get(echo.ip, 8000, "/ready");
            assert(ready.status === 200, `/ready while the generator is away: ${ready.status}`);
            cluster.startStoppedPod(gen);
            const ms = await waitFor("recovery (no Warning)", async () => {
                const r = await get(echo.ip, 8000, "/data");
                return r.status === 200 && !r.headers.warning;
            }, 30_000, 300);
            return `stale copy served with Warning; fresh again ${(ms / 1000).toFixed(1)} s after the generator side started`;
        });
    }
    for (const pod of d.pods) cluster.stopPod(pod);
}
