import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { BudgetStatus, KeyState } from "../../durable-objects/types";
import { adminCall, createKey, createProject, createProvider, type CreatedKey, type ProviderReply } from "./admin";
import { fakeBaseUrl } from "./fake-upstream";
import { fetchWithEnv, GATEWAY } from "./gateway";

/** Rate limits, budgets and the usage ledger, seen from outside: requests, settlement, counters. */

/** What the fake provider reports for every completion (test/fake-provider/openai.ts). */
export const FAKE_USAGE = { prompt: 11, cached: 3, completion: 7 } as const;

/** A reply whose body was read in full and whose after-response work (settlement) has finished. */
export interface SettledReply {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * POST /v1/chat/completions through the app, against the env with `overrides` (wrapped Durable
 * Object bindings); returns the response before anything waits on its `waitUntil` work.
 */
export async function sendChat(
  secret: string,
  body: unknown,
  overrides: Record<string, unknown> = {},
): Promise<{ response: Response; settled: () => Promise<void> }> {
  const request = new Request(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return fetchWithEnv(request, overrides);
}

/** Sends, reads the whole body, then waits for settlement. */
export async function chatSettled(
  secret: string,
  body: unknown,
  overrides: Record<string, unknown> = {},
): Promise<SettledReply> {
  const { response, settled } = await sendChat(secret, body, overrides);
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

/** `n` requests at once; every reply read and settled. */
export function chatConcurrently(n: number, secret: string, body: unknown): Promise<SettledReply[]> {
  return Promise.all(Array.from({ length: n }, () => chatSettled(secret, body)));
}

export const keyLimiterStub = (vkId: string) => env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(vkId));
export const budgetCounterStub = (name: string) => env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName(name));

export async function keyObjectState(vkId: string): Promise<KeyState> {
  return keyLimiterStub(vkId).getState();
}

/** Runs the key's outbox alarm until it has nothing more to do (at most `max` runs). */
export async function drainOutbox(vkId: string, max = 5): Promise<number> {
  let runs = 0;
  while (runs < max && (await runDurableObjectAlarm(keyLimiterStub(vkId)))) runs++;
  return runs;
}

export interface LedgerRow {
  request_id: string;
  at: number;
  vk_id: string;
  project_id: string;
  principal_id: string | null;
  provider: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number | null;
  outcome: string;
}

export async function ledgerRows(vkId: string): Promise<LedgerRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM usage_ledger WHERE vk_id = ? ORDER BY request_id")
    .bind(vkId)
    .all<LedgerRow>();
  return results;
}

export const sumCost = (rows: LedgerRow[]): number => rows.reduce((s, r) => s + (r.cost_micros ?? 0), 0);

/**
 * A key whose chain is one fresh fake binding per scenario ("" is a healthy one; see
 * test/fake-provider/worker.ts), `config` merged in. Name a binding in the model
 * (`<binding>/gpt-4o-mini`) to send a request to it alone.
 */
export async function keyWithBindings(
  scenarios: string[],
  config: Record<string, unknown> = {},
  providerFields: Record<string, unknown> = {},
): Promise<{ key: CreatedKey; bindings: string[] }> {
  const bindings: string[] = [];
  for (const s of scenarios)
    bindings.push((await createProvider({ base_url: fakeBaseUrl(s), ...providerFields })).name);
  const key = await createKey({
    config: { providers: bindings, fallback: { max_attempts: 3, attempt_timeout_ms: 1_000 }, ...config },
  });
  return { key, bindings };
}

/** Prices in USD per million tokens, as the admin API takes them. */
export interface PriceOverride {
  input_per_mtok: string;
  output_per_mtok: string;
  cache_read_per_mtok?: string;
  cache_write_per_mtok?: string;
}

/** The test model: priced only by the binding's override, never by the catalogue. */
export const PRICED_MODEL = "faregate-test-model";

/** A fake-provider binding with a price override for PRICED_MODEL; `fields` override the body. */
export function createPricedProvider(
  price: PriceOverride,
  fields: Record<string, unknown> = {},
): Promise<ProviderReply> {
  return createProvider({ prices: { [PRICED_MODEL]: price }, ...fields });
}

export interface BudgetBody {
  scope: "project" | "virtual_key" | "principal";
  scope_id: string;
  window: "hour" | "day" | "week" | "month" | "total";
  limit_usd: string;
  on_breach: "block" | "warn";
}

export interface BudgetReply {
  id: string;
  scope: string;
  scope_id: string;
  window: string;
  limit_usd: string;
  on_breach: string;
}

export async function createBudget(body: BudgetBody): Promise<BudgetReply> {
  const reply = await adminCall<BudgetReply>("/budgets", { body });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

/**
 * A key in a fresh project whose chain is one priced fake binding, with `config` merged in and the
 * budgets built by `budgets` (given the key, its project and its principal) created before the first
 * request.
 */
export async function budgetedKey(options: {
  price: PriceOverride;
  config?: Record<string, unknown>;
  principalId?: string;
  budgets?: (ids: { vkId: string; projectId: string; principalId: string | null }) => BudgetBody[];
  providerFields?: Record<string, unknown>;
}): Promise<{ key: CreatedKey; provider: ProviderReply; budgets: BudgetReply[] }> {
  const provider = await createPricedProvider(options.price, options.providerFields);
  const project = await createProject();
  const key = await createKey({
    project_id: project.id,
    ...(options.principalId ? { principal_id: options.principalId } : {}),
    config: { providers: [provider.name], ...(options.config ?? {}) },
  });
  const ids = { vkId: key.id, projectId: project.id, principalId: key.principal_id };
  const budgets: BudgetReply[] = [];
  for (const b of options.budgets?.(ids) ?? []) budgets.push(await createBudget(b));
  return { key, provider, budgets };
}

export function budgetById(statuses: BudgetStatus[], id: string): BudgetStatus {
  const found = statuses.find((s) => s.id === id);
  if (!found) throw new Error(`no status for budget ${id} among ${statuses.map((s) => s.id).join(", ") || "none"}`);
  return found;
}

/** Calls made on a wrapped Durable Object namespace: method names in order, and a way to hold them. */
export interface CountedNamespace<N> {
  namespace: N;
  calls: string[];
  /** Resolves once a call to `method` has started (whether or not it is held). */
  called(method: string): Promise<void>;
  /** Holds every later call to `method` until `release()`. */
  hold(method: string): void;
  release(): void;
}

/**
 * Wraps a Durable Object namespace so every RPC call on its stubs is counted, and calls to a held
 * method wait for `release()`. Only `idFromName` and `get` are offered: what the gateway uses.
 */
export function countingNamespace<N extends DurableObjectNamespace>(real: N): CountedNamespace<N> {
  const calls: string[] = [];
  const waiters = new Map<string, (() => void)[]>();
  const held = new Set<string>();
  let releaseAll: () => void = () => undefined;
  let gate = Promise.resolve();
  const closeGate = () => {
    gate = new Promise<void>((r) => (releaseAll = r));
  };
  const wrap = (stub: object) =>
    new Proxy(stub, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof prop !== "string" || typeof value !== "function" || prop === "then") return value;
        return async (...args: unknown[]) => {
          calls.push(prop);
          for (const w of waiters.get(prop) ?? []) w();
          waiters.delete(prop);
          if (held.has(prop)) await gate;
          // Reflect.apply: an RPC method is a proxy that would take `.apply` for a remote method.
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      },
    });
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => wrap(real.get(id)),
  } as unknown as N;
  return {
    namespace,
    calls,
    called: (method) =>
      calls.includes(method)
        ? Promise.resolve()
        : new Promise<void>((r) => waiters.set(method, [...(waiters.get(method) ?? []), r])),
    hold: (method) => {
      if (held.size === 0) closeGate();
      held.add(method);
    },
    release: () => {
      held.clear();
      releaseAll();
    },
  };
}

/** Whole micro-USD from the admin API's decimal USD strings. */
export function usdToMicros(usd: string): number {
  const [whole = "0", frac = ""] = usd.split(".");
  return Number(whole) * 1_000_000 + Number((frac + "000000").slice(0, 6));
}
