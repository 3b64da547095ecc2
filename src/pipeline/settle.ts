import type { KeySettleRequest, ScopeSettleRequest, UsageOutcome, UsageRecord } from "../../durable-objects/types";
import type { KeyBundle } from "../contract/bundle";
import { costMicros, priceFor } from "../pricing";
import type { TokenUsage } from "../contract/usage";
import type { Admission } from "./admit";
import type { RequestContext } from "./context";
import { budgetCounterNamed, keyLimiter } from "./counters";
import type { ModelTarget } from "../contract/model-target";
import { SettlementQueue } from "./settlement-queue";

/**
 * Stage 8, after the response (always inside `ctx.exec.waitUntil`, never on the client's time):
 * the request's real usage and cost replace what admission reserved, and its usage record goes to
 * the key's outbox, which the KeyLimiter's alarm drains into D1 `usage_ledger`.
 *
 * - Cost is the usage the provider reported, priced for the binding that served (cache-read and
 *   cache-write tokens at their own rates); a request that failed, or was cancelled before usage
 *   arrived, settles at zero tokens and zero cost, which frees its whole reservation.
 * - `tpm` settles to input + output tokens as the provider reports them.
 * - One settlement per request, whatever the number of fallback attempts: admission reserved once,
 *   and only the attempt that answered carries usage.
 * - Every object that admitted is settled, in parallel; a key that admitted nowhere still records
 *   its usage in its KeyLimiter's outbox. Both go through the isolate's settlement queues
 *   (settlement-queue.ts): one `settleBatch` call per object per short window, not one per request.
 */

export interface Settlement {
  outcome: UsageOutcome;
  /** What the provider reported, or null when nothing was. */
  usage: TokenUsage | null;
  /** The binding and model that answered (null when no attempt answered). */
  target: ModelTarget | null;
  chunks?: number;
  failure?: string | null;
}

/** Cost in micro-USD of what was reported; null when usage came back for a model without a price. */
function settledCost(s: Settlement): number | null {
  if (s.usage === null || s.target === null) return 0;
  const price = priceFor(s.target.binding, s.target.model);
  return price === null ? null : costMicros(s.usage, price);
}

export function usageRecord(ctx: RequestContext, bundle: KeyBundle, s: Settlement, cost: number | null): UsageRecord {
  return {
    requestId: ctx.requestId,
    at: ctx.startedAt,
    vkId: bundle.vk.id,
    projectId: bundle.project.id,
    principalId: bundle.vk.principalId,
    provider: s.target?.binding.name ?? ctx.meta.provider ?? null,
    model: s.target?.model ?? ctx.meta.model ?? null,
    inputTokens: s.usage?.inputTokens ?? 0,
    outputTokens: s.usage?.outputTokens ?? 0,
    cacheReadTokens: s.usage?.cacheReadTokens ?? 0,
    cacheWriteTokens: s.usage?.cacheWriteTokens ?? 0,
    costMicros: cost,
    outcome: s.outcome,
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

type KeyItem = { settle: KeySettleRequest } | { record: UsageRecord };

/** Per isolate: one queue for the KeyLimiters (by key id), one for the BudgetCounters (by name). */
const keyQueue = new SettlementQueue<KeyItem>();
const scopeQueue = new SettlementQueue<ScopeSettleRequest>();

function deliverToKey(env: Env, vkId: string): (items: KeyItem[]) => Promise<void> {
  return (items) => {
    const settlements: KeySettleRequest[] = [];
    const records: UsageRecord[] = [];
    for (const item of items) {
      if ("settle" in item) settlements.push(item.settle);
      else records.push(item.record);
    }
    return keyLimiter(env, vkId).settleBatch({ settlements, records });
  };
}

const deliverToScope =
  (env: Env, name: string) =>
  (items: ScopeSettleRequest[]): Promise<void> =>
    budgetCounterNamed(env, name).settleBatch(items);

export async function settle(
  ctx: RequestContext,
  bundle: KeyBundle,
  admission: Admission,
  s: Settlement,
): Promise<void> {
  const cost = settledCost(s);
  const record = usageRecord(ctx, bundle, s, cost);
  const tokens = s.usage ? s.usage.inputTokens + s.usage.outputTokens : 0;
  const requestId = ctx.requestId;
  const vkId = bundle.vk.id;
  // Settling and recording are idempotent per request id in the objects, so the queue's retry is safe.
  const keyItem: KeyItem = admission.keyAdmitted
    ? { settle: { requestId, tokens, costMicros: cost ?? 0, record } }
    : { record };
  const calls: { object: string; delivered: Promise<void> }[] = [
    { object: "key", delivered: keyQueue.enqueue(vkId, keyItem, deliverToKey(ctx.env, vkId)) },
    ...admission.scopes.map((scope) => ({
      object: scope.name,
      delivered: scopeQueue.enqueue(
        scope.name,
        { requestId, costMicros: cost ?? 0 },
        deliverToScope(ctx.env, scope.name),
      ),
    })),
  ];
  const results = await Promise.allSettled(calls.map((c) => c.delivered));
  results.forEach((r, i) => {
    // The reservation is released by the object's own sweep; the failure must still be visible.
    if (r.status === "rejected")
      ctx.log.error("settlement_failed", { object: calls[i]?.object, error: message(r.reason) });
  });
  ctx.log.info("request_settled", {
    outcome: s.outcome,
    provider: record.provider,
    model: record.model,
    attempts: ctx.meta.attempts,
    input_tokens: s.usage?.inputTokens ?? null,
    output_tokens: s.usage?.outputTokens ?? null,
    cache_read_tokens: s.usage?.cacheReadTokens ?? null,
    cache_write_tokens: s.usage?.cacheWriteTokens ?? null,
    cost_micros: cost,
    stream_chunk_count: s.chunks,
    stream_failure: s.failure ?? undefined,
    duration_ms: Date.now() - ctx.startedAt,
  });
}
