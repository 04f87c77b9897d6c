// The engine layer's knobs (environment variables), read once.
import { COUPLINGS as ALL_COUPLINGS, Coupling } from "../../components/config";

export type { Coupling };

/** E2E_ENGINE_STAGES: "A", "B" or both (default). */
export const STAGES = (process.env.E2E_ENGINE_STAGES ?? "AB").toUpperCase();
/** E2E_ENGINE_BUDGET_MINUTES: the whole layer's time budget (default 75). */
export const BUDGET_MINUTES = Number(process.env.E2E_ENGINE_BUDGET_MINUTES ?? 75);
/** E2E_ENGINE_COUPLINGS=pod,volume narrows the per-coupling checks (for iterating). */
export const COUPLINGS: readonly Coupling[] = process.env.E2E_ENGINE_COUPLINGS
    ? ALL_COUPLINGS.filter((c) => process.env.E2E_ENGINE_COUPLINGS!.split(",").includes(c))
    : ALL_COUPLINGS;
/** E2E_ENGINE_STACKS=dev narrows stage A's stack files (for iterating). */
export const STACK_FILES = (process.env.E2E_ENGINE_STACKS ?? "dev,staging,prod").split(",");
/** E2E_ENGINE_UP_TIMEOUT_SECONDS: one `pulumi up` or `destroy` in stage B (default 420). */
export const UP_TIMEOUT_MS = Number(process.env.E2E_ENGINE_UP_TIMEOUT_SECONDS ?? 420) * 1000;
/** E2E_ENGINE_NO_LB_LIMIT_SECONDS: `clusters` with generatorUrl and no load balancer (default 150). */
export const NO_LB_LIMIT_S = Number(process.env.E2E_ENGINE_NO_LB_LIMIT_SECONDS ?? 150);
/** E2E_ENGINE_FIRST_DEPLOY=0 skips stage B's issue 17 checks (first-deploy.ts). */
export const FIRST_DEPLOY = process.env.E2E_ENGINE_FIRST_DEPLOY !== "0";
