import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { estimatePromptTokens } from "../../src/lib/estimate-tokens";
import { adminCall, adminFetch, adminRequest, expectAdminError } from "../helpers/admin";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { fetchWithEnv, USER_MESSAGE } from "../helpers/gateway";
import {
  chatSettled,
  createBudget,
  drainOutbox,
  FAKE_USAGE,
  keyWithBindings,
  PRICED_MODEL,
  sendChat,
  usdToMicros,
} from "../helpers/limits";

/** Issue 4: GET /admin/v1/virtual-keys/:id/state shows the live windows, reservations and spend. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

interface WindowView {
  limit: number | null;
  used: number;
  window_seconds: number;
  bucket_seconds: number;
}

interface BudgetView {
  id: string;
  scope: string;
  scope_id: string;
  window: string;
  on_breach: string;
  limit_usd: string;
  spent_usd: string;
  reserved_usd: string;
  percent: number;
  period_start: string | null;
  resets_at: string | null;
}

interface KeyStateView {
  virtual_key_id: string;
  rate_limits: Record<"rpm" | "rpd" | "tpm", WindowView>;
  reservations: { request_id: string; tokens: number; reserved_usd: string; at: string }[];
  budgets: BudgetView[];
  outbox: { pending: number; last_drain_at: string | null; last_error: string | null };
}

async function keyState(id: string): Promise<KeyStateView> {
  const reply = await adminCall<KeyStateView>(`/virtual-keys/${id}/state`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

const PRICE = { input_per_mtok: "1000", output_per_mtok: "2000", cache_read_per_mtok: "100" };
const COST = (FAKE_USAGE.prompt - FAKE_USAGE.cached) * 1000 + FAKE_USAGE.cached * 100 + FAKE_USAGE.completion * 2000;
const PROMPT = estimatePromptTokens(USER_MESSAGE);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("GET /admin/v1/virtual-keys/:id/state", () => {
  it("needs the admin token, and names an unknown key", async () => {
    await expectAdminError(
      await adminFetch("/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/state", { authorization: null }),
      401,
      {
        type: "invalid_api_key",
        code: "missing_admin_token",
      },
    );
    await expectAdminError(await adminFetch("/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/state"), 404, {
      type: "not_found",
      code: "virtual_key_not_found",
    });
  });

  it("shows the windows, the reservations in flight, the spend of every budget and the outbox", async () => {
    const { key, bindings } = await keyWithBindings(
      ["hang-after-2", ""],
      { rate_limits: { rpm: 10, rpd: 1000, tpm: 50_000 } },
      { prices: { [PRICED_MODEL]: PRICE } },
    );
    const [hanging, healthy] = bindings as [string, string];
    const own = await createBudget({
      scope: "virtual_key",
      scope_id: key.id,
      window: "day",
      limit_usd: "1",
      on_breach: "block",
    });
    const project = await createBudget({
      scope: "project",
      scope_id: key.project_id,
      window: "month",
      limit_usd: "2.5",
      on_breach: "warn",
    });

    const fresh = await keyState(key.id);
    expect(fresh.virtual_key_id).toBe(key.id);
    expect(fresh.rate_limits).toEqual({
      rpm: { limit: 10, used: 0, window_seconds: 60, bucket_seconds: 1 },
      rpd: { limit: 1000, used: 0, window_seconds: 86_400, bucket_seconds: 60 },
      tpm: { limit: 50_000, used: 0, window_seconds: 60, bucket_seconds: 1 },
    });
    expect(fresh.reservations).toEqual([]);
    expect(fresh.budgets.map((b) => [b.id, b.scope, b.scope_id, b.window, b.on_breach]).sort()).toEqual(
      [
        [own.id, "virtual_key", key.id, "day", "block"],
        [project.id, "project", key.project_id, "month", "warn"],
      ].sort(),
    );
    for (const b of fresh.budgets) {
      expect(usdToMicros(b.spent_usd)).toBe(0);
      expect(usdToMicros(b.reserved_usd)).toBe(0);
      expect(b.period_start).toMatch(ISO);
      expect(b.resets_at).toMatch(ISO);
    }
    expect(fresh.outbox).toEqual({ pending: 0, last_drain_at: null, last_error: null });

    // A completed request: counted in the windows at its real tokens, spent in both budgets.
    const completed = { model: `${healthy}/${PRICED_MODEL}`, messages: USER_MESSAGE, max_tokens: 10 };
    expect((await chatSettled(key.secret, completed)).status).toBe(200);
    const settled = await keyState(key.id);
    expect(settled.rate_limits.rpm.used).toBe(1);
    expect(settled.rate_limits.rpd.used).toBe(1);
    expect(settled.rate_limits.tpm.used).toBe(FAKE_USAGE.prompt + FAKE_USAGE.completion);
    for (const b of settled.budgets) {
      expect(usdToMicros(b.spent_usd)).toBe(COST);
      expect(usdToMicros(b.reserved_usd)).toBe(0);
    }
    const ownView = settled.budgets.find((b) => b.id === own.id);
    expect(ownView).toMatchObject({
      limit_usd: expect.stringMatching(/^1(\.0+)?$/) as string,
      percent: Math.floor((COST * 100) / 1_000_000),
    });
    expect(settled.outbox.pending).toBe(1);

    // A request in flight: its reservation, and what it holds in the budgets.
    const held = await sendChat(key.secret, {
      model: `${hanging}/${PRICED_MODEL}`,
      messages: USER_MESSAGE,
      stream: true,
      max_tokens: 10,
    });
    const reader = (held.response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const reserve = PROMPT * 1000 + 10 * 2000;
    const during = await keyState(key.id);
    expect(during.reservations).toEqual([
      {
        request_id: held.response.headers.get("x-langwatch-request-id"),
        tokens: PROMPT + 10,
        reserved_usd: expect.any(String) as string,
        at: expect.stringMatching(ISO) as string,
      },
    ]);
    expect(usdToMicros(during.reservations[0]?.reserved_usd ?? "")).toBe(reserve);
    expect(during.rate_limits.tpm.used).toBe(FAKE_USAGE.prompt + FAKE_USAGE.completion + PROMPT + 10);
    for (const b of during.budgets) expect(usdToMicros(b.reserved_usd)).toBe(reserve);

    await reader.cancel();
    await held.settled();
    await drainOutbox(key.id);
    const drained = await keyState(key.id);
    expect(drained.reservations).toEqual([]);
    for (const b of drained.budgets) {
      expect(usdToMicros(b.spent_usd)).toBe(COST);
      expect(usdToMicros(b.reserved_usd)).toBe(0);
    }
    expect(drained.outbox).toEqual({
      pending: 0,
      last_drain_at: expect.stringMatching(ISO) as string,
      last_error: null,
    });
  });

  it("shows a key without limits or budgets as unlimited", async () => {
    const { key } = await keyWithBindings([""]);
    const state = await keyState(key.id);
    expect(state.rate_limits.rpm).toEqual({ limit: null, used: 0, window_seconds: 60, bucket_seconds: 1 });
    expect(state.budgets).toEqual([]);
  });

  it("answers 503 naming the object when a counter does not answer, not a 500", async () => {
    const { key } = await keyWithBindings([""]);
    const broken = {
      idFromName: (name: string) => env.KEY_LIMITER.idFromName(name),
      get: () => ({ getState: () => Promise.reject(new Error("Durable Object is overloaded.")) }),
    };
    const { response } = await fetchWithEnv(adminRequest(`/virtual-keys/${key.id}/state`), { KEY_LIMITER: broken });
    const error = await expectAdminError(response, 503, { type: "service_unavailable", code: "counters_unavailable" });
    expect(error.message).toContain(`virtual_key:${key.id}`);
    expect(error.message).toContain("Durable Object is overloaded.");
  });
});
