import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { createServingKey } from "../helpers/admin";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { parseSse, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import {
  budgetedKey,
  countingNamespace,
  drainOutbox,
  keyLimiterStub,
  ledgerRows,
  PRICED_MODEL,
  sendChat,
  type CountedNamespace,
} from "../helpers/limits";

/**
 * Issue 4, the hot path: which Durable Object calls a request makes before its response, counted on
 * wrapped KEY_LIMITER / BUDGET_COUNTER bindings. A held call proves a response does not wait for it.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: PRICED_MODEL, messages: USER_MESSAGE, max_tokens: 7 };
const OUTPUT_ONLY = { input_per_mtok: "0", output_per_mtok: "1000" };

function wrapped(): {
  key: CountedNamespace<Env["KEY_LIMITER"]>;
  scope: CountedNamespace<Env["BUDGET_COUNTER"]>;
  overrides: Record<string, unknown>;
} {
  const key = countingNamespace(env.KEY_LIMITER);
  const scope = countingNamespace(env.BUDGET_COUNTER);
  return { key, scope, overrides: { KEY_LIMITER: key.namespace, BUDGET_COUNTER: scope.namespace } };
}

describe("a key with no rate limit and no budget", () => {
  it.each([false, true])(
    "touches no Durable Object before its response (stream: %s); its usage is recorded after",
    async (stream) => {
      const { key } = await createServingKey();
      const counted = wrapped();
      counted.key.hold("settleBatch"); // a Durable Object that never answered would not delay the response
      const { response, settled } = await sendChat(key.secret, { ...BODY, stream }, counted.overrides);
      expect(response.status).toBe(200);
      const text = await response.text();
      if (stream) expect(streamedContent(parseSse(text))).toBe(FAKE_REPLY_WORDS.join(" "));
      else expect(text).toContain(FAKE_REPLY_WORDS.join(" "));
      expect(counted.key.calls.filter((c) => c !== "settleBatch")).toEqual([]);
      counted.key.release();
      await settled();
      expect(counted.key.calls).toEqual(["settleBatch"]);
      expect(counted.scope.calls).toEqual([]);
      await drainOutbox(key.id);
      expect(await ledgerRows(key.id)).toEqual([
        expect.objectContaining({ vk_id: key.id, outcome: "ok", output_tokens: 7 }),
      ]);
    },
  );
});

describe("a key with only key-level limits and budgets", () => {
  it("makes exactly one Durable Object call before its response, and settles after it", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 100, rpd: 1000, tpm: 100_000 } },
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: "1", on_breach: "block" },
        { scope: "virtual_key", scope_id: vkId, window: "month", limit_usd: "10", on_breach: "warn" },
      ],
    });
    const counted = wrapped();
    counted.key.hold("settleBatch");
    const { response, settled } = await sendChat(key.secret, BODY, counted.overrides);
    expect(response.status).toBe(200);
    await response.text();
    expect(counted.key.calls.filter((c) => c !== "settleBatch")).toEqual(["admit"]);
    counted.key.release();
    await settled();
    expect(counted.key.calls).toEqual(["admit", "settleBatch"]);
    expect(counted.scope.calls).toEqual([]);
  });
});

describe("project and principal budgets", () => {
  it("are asked in parallel with the key's object, not after it", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      principalId: "principal-parallel",
      config: { rate_limits: { rpm: 100 } },
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: "1", on_breach: "block" },
        { scope: "principal", scope_id: "principal-parallel", window: "month", limit_usd: "1", on_breach: "block" },
      ],
    });
    const counted = wrapped();
    counted.key.hold("admit");
    const sent = sendChat(key.secret, BODY, counted.overrides);
    // Both scope objects are asked while the key's object has not answered yet.
    await counted.key.called("admit");
    await vi.waitFor(() => expect(counted.scope.calls).toEqual(["admit", "admit"]), { timeout: 2_000, interval: 5 });
    counted.key.release();
    const { response, settled } = await sent;
    expect(response.status).toBe(200);
    await response.text();
    await settled();
    expect(counted.key.calls).toEqual(["admit", "settleBatch"]);
    expect(counted.scope.calls.sort()).toEqual(["admit", "admit", "settleBatch", "settleBatch"]);
  });

  it("are released when the key's object refuses", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 1 } },
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: "1", on_breach: "block" },
      ],
    });
    const first = await sendChat(key.secret, BODY);
    await first.response.text();
    await first.settled();
    const counted = wrapped();
    const { response, settled } = await sendChat(key.secret, BODY, counted.overrides);
    expect(response.status).toBe(429);
    await response.text();
    await settled();
    expect(counted.key.calls).toEqual(["admit"]); // refused: nothing to settle or record
    expect(counted.scope.calls).toEqual(["admit", "release"]);
  });

  it("a refusal by a scope releases the key's object", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 100 } },
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: "0.007", on_breach: "block" },
      ],
    });
    const first = await sendChat(key.secret, BODY);
    await first.response.text();
    await first.settled();
    const counted = wrapped();
    const { response, settled } = await sendChat(key.secret, BODY, counted.overrides);
    expect(response.status).toBe(402);
    await response.text();
    await settled();
    expect(counted.key.calls).toEqual(["admit", "release"]);
    expect(counted.scope.calls).toEqual(["admit"]);
  });
});

describe("a Durable Object that fails", () => {
  it("fails the request closed (503), releasing what the others admitted", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 100 } },
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: "1", on_breach: "block" },
      ],
    });
    const counted = wrapped();
    const broken = {
      idFromName: (name: string) => env.BUDGET_COUNTER.idFromName(name),
      get: () => ({
        admit: () => Promise.reject(new Error("Durable Object reset because its code was updated.")),
        release: () => Promise.resolve(),
      }),
    };
    const { response, settled } = await sendChat(key.secret, BODY, { ...counted.overrides, BUDGET_COUNTER: broken });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { type: "service_unavailable", code: "limits_unavailable" } });
    await settled();
    expect(counted.key.calls).toEqual(["admit", "release"]);
  });
});

describe("settlement after the response", () => {
  it("settles requests of one key that end together in one call, every one of them counted and recorded", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 100, tpm: 100_000 } },
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: "1", on_breach: "block" },
      ],
    });
    const counted = wrapped();
    const sent = await Promise.all(Array.from({ length: 8 }, () => sendChat(key.secret, BODY, counted.overrides)));
    for (const { response } of sent) {
      expect(response.status).toBe(200);
      await response.text();
    }
    await Promise.all(sent.map((s) => s.settled()));
    const settles = counted.key.calls.filter((c) => c === "settleBatch").length;
    expect(counted.key.calls.filter((c) => c === "admit")).toHaveLength(8);
    expect(settles).toBeGreaterThanOrEqual(1);
    expect(settles).toBeLessThan(8);
    const state = await keyLimiterStub(key.id).getState();
    expect(state.reservations).toEqual([]); // every reservation replaced by its real usage
    expect(state.budgets[0]?.spentMicros).toBe(8 * 7 * 1000); // 7 output tokens at $1000/Mtok each
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toHaveLength(8);
  });

  it("retries a Durable Object that fails once, so the request is still settled and recorded", async () => {
    const { key } = await createServingKey();
    let failures = 0;
    const flaky = {
      idFromName: (name: string) => env.KEY_LIMITER.idFromName(name),
      get: (id: DurableObjectId) => {
        const real = env.KEY_LIMITER.get(id);
        return {
          settleBatch: (batch: Parameters<typeof real.settleBatch>[0]) => {
            if (failures++ === 0) return Promise.reject(new Error("Durable Object is overloaded."));
            return real.settleBatch(batch);
          },
        };
      },
    };
    const { response, settled } = await sendChat(key.secret, BODY, { KEY_LIMITER: flaky });
    expect(response.status).toBe(200);
    await response.text();
    await settled();
    expect(failures).toBe(2);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ vk_id: key.id, outcome: "ok" })]);
  });
});
