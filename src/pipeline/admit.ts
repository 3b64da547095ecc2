import type { AdmitResult, BudgetCharge } from "../../durable-objects/types";
import type { BudgetRef, KeyBundle } from "../contract/bundle";
import { priceFor, worstCaseMicros } from "../pricing";
import { budgetRefusal, limitsUnavailable, priceUnknown, rateRefusal } from "./admission-errors";
import { budgetWarning } from "./budget-warning";
import { budgetCounter, keyLimiter } from "./counters";
import { budgetCounterName, type SharedScope } from "../contract/storage-names";
import type { RequestContext } from "./context";
import { estimatePromptTokens, maxOutputTokens } from "../lib/estimate-tokens";
import type { ModelTarget } from "../contract/model-target";

/**
 * Stage 5: rate limits and budget admission, after policy and before dispatch.
 *
 * - A key with no rate limit and no budget touches no Durable Object here.
 * - The key's rate windows and its `virtual_key` budgets are checked and reserved in ONE call to its
 *   KeyLimiter; each project or principal with budgets is one call to its BudgetCounter, all in
 *   parallel with the key's call.
 * - When any object refuses (or cannot be reached), the others that admitted are released after the
 *   response, so a refused request holds nothing.
 *
 * What is reserved: the estimated tokens (prompt estimate + the output bound) in `tpm`, and the
 * worst-case cost of those tokens in every budget, on the most expensive binding the request may
 * reach through its fallback chain. Settlement (settle.ts) replaces both with the real figures.
 */

/** One object that admitted this request and must later be settled (or released). */
export interface AdmittedScope {
  name: string;
  stub: ReturnType<typeof budgetCounter>;
}

export interface Admission {
  /** The key's KeyLimiter admitted (and holds a reservation for) this request. */
  keyAdmitted: boolean;
  /** Project / principal objects holding a reservation for this request. */
  scopes: AdmittedScope[];
}

const NOTHING_HELD: Admission = { keyAdmitted: false, scopes: [] };

/** What admission reads of a request, whatever its wire format. */
export interface AdmissionInput {
  /** The prompt as the client sent it (the messages; system and tools too where a format keeps them apart). */
  prompt: readonly unknown[];
  /** The request's own bound on output tokens (`max_completion_tokens` / `max_tokens`), or null. */
  maxOutputTokens: number | null;
}

interface Estimate {
  tokens: number;
  reserveMicros: number;
}

/**
 * Tokens to reserve in `tpm` and the worst-case cost to reserve in budgets, over every binding the
 * request may be sent to. With budgets, an unpriced binding in that chain is a 503 (fail closed).
 */
function estimate(input: AdmissionInput, reachable: ModelTarget[], needTokens: boolean, priced: boolean): Estimate {
  if (!needTokens && !priced) return { tokens: 0, reserveMicros: 0 };
  const prompt = estimatePromptTokens(input.prompt);
  let output = 0;
  let reserveMicros = 0;
  for (const target of reachable) {
    const price = priceFor(target.binding, target.model);
    const bound = maxOutputTokens(input.maxOutputTokens, price?.maxOutputTokens);
    output = Math.max(output, bound);
    if (!priced) continue;
    if (price === null) throw priceUnknown(target);
    reserveMicros = Math.max(reserveMicros, worstCaseMicros(prompt, bound, price));
  }
  return { tokens: prompt + output, reserveMicros };
}

const charge = (b: BudgetRef, reserveMicros: number): BudgetCharge => ({
  id: b.id,
  scope: b.scope,
  window: b.window,
  limitMicros: b.limitMicros,
  onBreach: b.onBreach,
  reserveMicros,
});

/** The project and principal budgets of the key, grouped by the object that counts them. */
function sharedScopes(budgets: BudgetRef[]): { scope: SharedScope; scopeId: string; budgets: BudgetRef[] }[] {
  const groups = new Map<string, { scope: SharedScope; scopeId: string; budgets: BudgetRef[] }>();
  for (const b of budgets) {
    if (b.scope === "virtual_key") continue;
    const name = budgetCounterName(b.scope, b.scopeId);
    const group = groups.get(name) ?? { scope: b.scope, scopeId: b.scopeId, budgets: [] };
    group.budgets.push(b);
    groups.set(name, group);
  }
  return [...groups.values()];
}

/** An object holding a reservation for this request, and how to give it back. */
interface Held {
  /** "key" or the BudgetCounter's name. */
  name: string;
  release: () => Promise<void>;
}

interface Answer extends Held {
  result: AdmitResult | { error: unknown };
}

async function ask(name: string, call: () => Promise<AdmitResult>, release: () => Promise<void>): Promise<Answer> {
  try {
    return { name, release, result: await call() };
  } catch (error) {
    return { name, release, result: { error } };
  }
}

/** Undoes, after the response, the reservations of the objects that admitted a refused request. */
function releaseAfterResponse(ctx: RequestContext, admitted: Held[]): void {
  if (admitted.length === 0) return;
  ctx.exec.waitUntil(
    Promise.all(
      admitted.map((a) =>
        a.release().catch((err: unknown) =>
          ctx.log.error("admission_release_failed", {
            object: a.name,
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      ),
    ),
  );
}

export async function admit(
  ctx: RequestContext,
  bundle: KeyBundle,
  targets: ModelTarget[],
  input: AdmissionInput,
): Promise<Admission> {
  const limits = bundle.config.rate_limits;
  const limited = limits.rpm !== null || limits.rpd !== null || limits.tpm !== null;
  if (!limited && bundle.budgets.length === 0) return NOTHING_HELD;

  const reachable = targets.slice(0, bundle.config.fallback.max_attempts);
  const { tokens, reserveMicros } = estimate(input, reachable, limits.tpm !== null, bundle.budgets.length > 0);
  const requestId = ctx.requestId;
  const keyBudgets = bundle.budgets.filter((b) => b.scope === "virtual_key").map((b) => charge(b, reserveMicros));

  const questions: Promise<Answer>[] = [];
  const askKey = limited || keyBudgets.length > 0;
  if (askKey) {
    const stub = keyLimiter(ctx.env, bundle.vk.id);
    questions.push(
      ask(
        "key",
        () =>
          stub.admit({
            requestId,
            limits: { rpm: limits.rpm, rpd: limits.rpd, tpm: limits.tpm },
            tokens,
            budgets: keyBudgets,
          }),
        () => stub.release(requestId),
      ),
    );
  }
  const scopes: AdmittedScope[] = [];
  for (const group of sharedScopes(bundle.budgets)) {
    const stub = budgetCounter(ctx.env, group.scope, group.scopeId);
    const name = budgetCounterName(group.scope, group.scopeId);
    scopes.push({ name, stub });
    const budgets = group.budgets.map((b) => charge(b, reserveMicros));
    questions.push(
      ask(
        name,
        () => stub.admit({ requestId, budgets }),
        () => stub.release(requestId),
      ),
    );
  }
  const answers = await Promise.all(questions);

  const admitted = answers.filter((a) => "ok" in a.result && a.result.ok);
  const failed = answers.filter((a) => "error" in a.result);
  if (failed.length > 0) {
    for (const f of failed) {
      const error = "error" in f.result ? f.result.error : null;
      ctx.log.error("admission_unavailable", {
        object: f.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    releaseAfterResponse(ctx, admitted);
    throw limitsUnavailable(
      failed.map((f) => (f.name === "key" ? `the key's limiter` : `the ${f.name} budget counter`)),
    );
  }
  const refusals = answers.flatMap((a) => ("ok" in a.result && !a.result.ok ? [a.result] : []));
  const refusal = refusals.find((r) => r.kind === "rate") ?? refusals[0];
  if (refusal) {
    releaseAfterResponse(ctx, admitted);
    if (refusal.kind === "rate") {
      ctx.log.info("rate_limited", {
        dimension: refusal.dimension,
        limit: refusal.limit,
        retry_after_s: refusal.retryAfterSeconds,
      });
      throw rateRefusal(refusal, tokens);
    }
    ctx.log.info("budget_refused", {
      budget_id: refusal.budget.id,
      scope: refusal.budget.scope,
      window: refusal.budget.window,
    });
    throw budgetRefusal(refusal.budget, reserveMicros);
  }
  const statuses = answers.flatMap((a) => ("ok" in a.result && a.result.ok ? a.result.budgets : []));
  // X-LangWatch-Budget-Warning goes out on whatever response follows, an error included (http/edge.ts).
  ctx.meta.budgetWarning = budgetWarning(statuses, reserveMicros) ?? undefined;
  return { keyAdmitted: askKey, scopes };
}

/**
 * Gives back, after the response, everything an admitted request holds (rate counts, tpm, budget
 * reservations), as if it had been refused at admission: for a request that was never sent upstream.
 */
export function releaseAdmission(ctx: RequestContext, bundle: KeyBundle, admission: Admission): void {
  const held: Held[] = admission.scopes.map((scope) => ({
    name: scope.name,
    release: () => scope.stub.release(ctx.requestId),
  }));
  if (admission.keyAdmitted) {
    const stub = keyLimiter(ctx.env, bundle.vk.id);
    held.unshift({ name: "key", release: () => stub.release(ctx.requestId) });
  }
  releaseAfterResponse(ctx, held);
}
