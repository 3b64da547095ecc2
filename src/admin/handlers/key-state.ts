import { periodOf } from "../../../durable-objects/budget-periods";
import type { BudgetStatus, Dimension, KeyState, WindowState } from "../../../durable-objects/types";
import { vkConfigSchema } from "../../contract/vk-config";
import { formatUsd } from "../../pricing";
import { budgetCounter, keyLimiter } from "../../pipeline/counters";
import type { AdminContext } from "../context";
import { countersUnavailable, notFound } from "../errors";
import { budgetQuery, budgetView, listBudgets, type Budget, type BudgetRow } from "../repositories/budgets";
import { findVirtualKey, type VirtualKeyRow } from "../repositories/virtual-keys";
import { isoOrNull, isoString } from "../schemas/common";

/**
 * GET /admin/v1/virtual-keys/:id/state: the key's live counters, read from its Durable Objects at
 * once: the KeyLimiter (rate windows, reservations in flight, `virtual_key` budgets, usage outbox)
 * and, in parallel, the BudgetCounter of its project and of its principal for their budgets. Limits
 * shown are the ones stored in D1 now, which the next request enforces once its bundle refreshes.
 */

interface WindowView {
  limit: number | null;
  used: number;
  window_seconds: number;
  bucket_seconds: number;
}

type BudgetStateView = Budget & {
  /** (spent + reserved) / limit, in whole percent rounded down. */
  percent: number;
  /** Start of the current calendar period; null for `total`. */
  period_start: string | null;
};

export interface KeyStateView {
  virtual_key_id: string;
  rate_limits: Record<Dimension, WindowView>;
  reservations: { request_id: string; tokens: number; reserved_usd: string; at: string }[];
  budgets: BudgetStateView[];
  outbox: { pending: number; last_drain_at: string | null; last_error: string | null };
}

/** Every budget that applies to the key, as D1 has it now. */
async function budgetsOf(db: D1Database, key: VirtualKeyRow): Promise<BudgetRow[]> {
  const scopes: [BudgetRow["scope"], string | null][] = [
    ["virtual_key", key.id],
    ["project", key.project_id],
    ["principal", key.principal_id],
  ];
  const lists = await Promise.all(
    scopes.flatMap(([scope, scopeId]) => (scopeId === null ? [] : [listBudgets(db, { scope, scopeId, limit: 1000 })])),
  );
  return lists.flat();
}

/** The rate limits stored for the key; when its stored config is unreadable, what the object last enforced. */
function configuredLimits(key: VirtualKeyRow, windows: KeyState["windows"]): Record<Dimension, number | null> {
  const parsed = vkConfigSchema.safeParse(key.config);
  if (parsed.success) return parsed.data.rate_limits;
  return { rpm: windows.rpm.limit, rpd: windows.rpd.limit, tpm: windows.tpm.limit };
}

const windowView = (w: WindowState, limit: number | null): WindowView => ({
  limit,
  used: w.used,
  window_seconds: w.windowSeconds,
  bucket_seconds: w.bucketSeconds,
});

function budgetStateView(row: BudgetRow, status: BudgetStatus | undefined, now: number): BudgetStateView {
  const period = periodOf(row.window, now);
  const spent = status?.spentMicros ?? 0;
  const reserved = status?.reservedMicros ?? 0;
  return {
    ...budgetView(row, {
      spentMicros: spent,
      reservedMicros: reserved,
      resetsAt: status ? status.resetsAt : period.end,
    }),
    percent: status?.percent ?? 0,
    period_start: row.window === "total" ? null : isoString(status?.periodStart ?? period.start),
  };
}

interface CounterRead<T> {
  object: string;
  read: () => Promise<T>;
}

/** Runs every read; the values of those that answered and the objects that did not. */
async function readCounters<T>(reads: CounterRead<T>[]): Promise<{ values: T[]; failed: [string, string][] }> {
  const results = await Promise.allSettled(reads.map((r) => r.read()));
  const values: T[] = [];
  const failed: [string, string][] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") values.push(r.value);
    else failed.push([reads[i]?.object ?? "?", r.reason instanceof Error ? r.reason.message : String(r.reason)]);
  });
  return { values, failed };
}

export async function getVirtualKeyState(c: AdminContext): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const db = c.env.DB;
  const key = await findVirtualKey(db, id);
  if (!key) throw notFound("virtual_key", id);
  const rows = await budgetsOf(db, key);
  const own = rows.filter((r) => r.scope === "virtual_key");
  const shared = (["project", "principal"] as const).flatMap((scope) => {
    const group = rows.filter((r) => r.scope === scope);
    const first = group[0];
    return first ? [{ scope, scopeId: first.scope_id, group }] : [];
  });
  // Read in parallel; one object that does not answer is a 503 naming it, not a 500.
  const [keyRead, scopeRead] = await Promise.all([
    readCounters([
      { object: `virtual_key:${key.id}`, read: () => keyLimiter(c.env, key.id).getState(own.map(budgetQuery)) },
    ]),
    readCounters(
      shared.map((s) => ({
        object: `${s.scope}:${s.scopeId}`,
        read: () => budgetCounter(c.env, s.scope, s.scopeId).getState(s.group.map(budgetQuery)),
      })),
    ),
  ]);
  const failed = [...keyRead.failed, ...scopeRead.failed];
  const state = keyRead.values[0];
  if (failed.length > 0 || state === undefined) {
    throw countersUnavailable(
      failed.map(([object]) => object),
      failed[0]?.[1] ?? "no answer",
    );
  }
  const scopeStates = scopeRead.values;
  const now = Date.now();
  const statuses = new Map<string, BudgetStatus>();
  for (const s of [...state.budgets, ...scopeStates.flatMap((x) => x.budgets)]) statuses.set(s.id, s);
  const limits = configuredLimits(key, state.windows);
  const view: KeyStateView = {
    virtual_key_id: key.id,
    rate_limits: {
      rpm: windowView(state.windows.rpm, limits.rpm),
      rpd: windowView(state.windows.rpd, limits.rpd),
      tpm: windowView(state.windows.tpm, limits.tpm),
    },
    reservations: state.reservations.map((r) => ({
      request_id: r.requestId,
      tokens: r.tokens,
      reserved_usd: formatUsd(r.reserveMicros),
      at: isoString(r.at),
    })),
    budgets: rows.map((row) => budgetStateView(row, statuses.get(row.id), now)),
    outbox: {
      pending: state.outbox.pending,
      last_drain_at: isoOrNull(state.outbox.lastDrainAt),
      last_error: state.outbox.lastError,
    },
  };
  return c.json(view);
}
