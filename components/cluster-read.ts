// What the program reads from a cluster before it creates what cannot work there, so that
// `pulumi preview` fails with one message naming the key to change instead of a provider
// await timing out minutes into `pulumi up`: a claim no StorageClass will ever provision
// (no class named and no default class; a named class that does not exist), and images
// built for a CPU no node has.
//
// The Kubernetes provider reads one object by name (`Resource.get`, which registers a
// resource) but offers no list invoke, so these reads go through @kubernetes/client-node,
// the Kubernetes project's own JavaScript client, with the kubeconfig and context the
// site's provider is given (unset: $KUBECONFIG, else ~/.kube/config, and its current
// context, as the provider resolves them). Never in render mode, and only on a run that
// is about to create what the read is for (see the callers), so a no-op `pulumi up` reads
// nothing and never loads the client (about 2 s of module loading on this machine).
import type * as KubeClient from "@kubernetes/client-node";
import type { ClusterTarget } from "./config";

/** The annotation the DefaultStorageClass admission plugin looks for (and its beta form). */
export const DEFAULT_CLASS_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];
/** The well-known node label the kubelet sets to its GOARCH. */
export const ARCH_LABEL = "kubernetes.io/arch";

export interface StorageClassFacts {
    name: string;
    provisioner: string;
    isDefault: boolean;
}

/** The reads the checks need; each rejects with the reason when the cluster cannot answer. */
export interface ClusterFacts {
    /** Whether a claim of this name exists in the namespace. */
    claimExists(namespace: string, name: string): Promise<boolean>;
    storageClasses(): Promise<StorageClassFacts[]>;
    /** PersistentVolumes of no class still Available: what a claim naming no class binds to when there is no default class. */
    availableClasslessVolumes(): Promise<{ capacity: string; accessModes: string[] }[]>;
    /** Whether at least one node carries `kubernetes.io/arch=<arch>`. */
    hasNodeWithArch(arch: string): Promise<boolean>;
    /** The architectures of (up to a few hundred of) the cluster's nodes, for a message. */
    nodeArchitectures(): Promise<string[]>;
}

/** How the program reaches a cluster; undefined = it cannot (the checks are skipped). */
export type ClusterFactsSource = (target: Partial<ClusterTarget>) => ClusterFacts | undefined;

let source: ClusterFactsSource = kubeClientFacts;

/** Tests and tools evaluating the program under mocks put a fake cluster (or none) here. */
export function setClusterFactsSource(next: ClusterFactsSource | undefined): void {
    source = next ?? kubeClientFacts;
}

export function clusterFacts(target: Partial<ClusterTarget>): ClusterFacts | undefined {
    return source(target);
}

function kubeClientFacts(target: Partial<ClusterTarget>): ClusterFacts {
    let clients: { core: KubeClient.CoreV1Api; storage: KubeClient.StorageV1Api } | undefined;
    const connect = () => {
        if (clients) return clients;
        // loaded here, not at the top: only a run that reads a cluster pays for it
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module, loaded lazily (require(esm), Node >= 22.12)
        const client = require("@kubernetes/client-node") as typeof KubeClient;
        const kubeconfig = new client.KubeConfig();
        if (target.kubeconfig) kubeconfig.loadFromFile(target.kubeconfig);
        else kubeconfig.loadFromDefault();
        if (target.context) {
            if (!kubeconfig.getContextObject(target.context)) throw new Error(`the kubeconfig has no context ${target.context}`);
            kubeconfig.setCurrentContext(target.context);
        }
        clients = { core: kubeconfig.makeApiClient(client.CoreV1Api), storage: kubeconfig.makeApiClient(client.StorageV1Api) };
        return clients;
    };
    const notFound = (err: unknown) => (err as { code?: number })?.code === 404;
    return {
        async claimExists(namespace, name) {
            try {
                await connect().core.readNamespacedPersistentVolumeClaim({ namespace, name });
                return true;
            } catch (err) {
                if (notFound(err)) return false;
                throw err;
            }
        },
        async storageClasses() {
            const list = await connect().storage.listStorageClass();
            return list.items.map((c) => ({
                name: c.metadata?.name ?? "",
                provisioner: c.provisioner,
                isDefault: DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata?.annotations?.[a] === "true"),
            }));
        },
        async availableClasslessVolumes() {
            const list = await connect().core.listPersistentVolume();
            return list.items
                .filter((v) => !v.spec?.storageClassName && v.status?.phase === "Available" && !v.spec?.claimRef)
                .map((v) => ({ capacity: String(v.spec?.capacity?.storage ?? "0"), accessModes: v.spec?.accessModes ?? [] }));
        },
        async hasNodeWithArch(arch) {
            const list = await connect().core.listNode({ labelSelector: `${ARCH_LABEL}=${arch}`, limit: 1 });
            return list.items.length > 0;
        },
        async nodeArchitectures() {
            const list = await connect().core.listNode({ limit: 500 });
            return [...new Set(list.items.map((n) => n.metadata?.labels?.[ARCH_LABEL] ?? "(unlabelled)"))].sort();
        },
    };
}

/** A short reason from whatever a read threw (an API status, a connection error, a kubeconfig problem). */
export function readFailure(err: unknown): string {
    const e = err as { code?: number; body?: unknown; message?: string };
    if (typeof e?.code === "number") {
        let message = "";
        try {
            const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
            message = (body as { message?: string })?.message ?? "";
        } catch { /* not JSON */ }
        return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
    }
    // undici's "fetch failed" says why only in its cause (ECONNREFUSED, a certificate error, ...)
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const why = cause?.code ?? cause?.message;
    return `${String(e?.message ?? err).split("\n")[0]}${why ? ` (${why})` : ""}`;
}
