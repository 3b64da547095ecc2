import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { estimatePromptTokens } from "../../src/lib/estimate-tokens";
import { adminCall, createServingKey } from "../helpers/admin";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import {
  chatConcurrently,
  chatSettled,
  drainOutbox,
  FAKE_USAGE,
  keyObjectState,
  keyWithBindings,
  ledgerRows,
  sendChat,
  type SettledReply,
} from "../helpers/limits";

/** Issue 4, rate limits: exact under concurrency, one dimension's denial costs nothing in another. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };

/**
 * A gateway 429. `never`: the request can never pass, so no Retry-After and `x-should-retry: false`;
 * otherwise Retry-After in whole seconds, and `x-should-retry: false` exactly when it is over 60 s
 * (the official SDKs would sleep it before retrying).
 */
async function expectRateLimited(
  reply: SettledReply,
  dimension: "rpm" | "rpd" | "tpm",
  { never = false }: { never?: boolean } = {},
) {
  expect(reply.status).toBe(429);
  expect(reply.headers.get("x-langwatch-ratelimit-dimension")).toBe(dimension);
  if (never) {
    expect(reply.headers.get("retry-after")).toBeNull();
    expect(reply.headers.get("x-should-retry")).toBe("false");
  } else {
    expect(reply.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    const wait = Number(reply.headers.get("retry-after"));
    expect(reply.headers.get("x-should-retry")).toBe(wait > 60 ? "false" : null);
  }
  expect(reply.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  // A model was resolved (contract §3), but no provider was tried: the gateway refused, not upstream.
  expect(reply.headers.get("x-langwatch-model")).toBe(BODY.model);
  expect(reply.headers.get("x-langwatch-provider")).toBeNull();
  const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
  expect(error).toMatchObject({ type: "rate_limit_exceeded", code: "rate_limit_exceeded", param: null });
  expect(error.message).toContain(dimension);
  return { retryAfter: Number(reply.headers.get("retry-after") ?? NaN), message: error.message };
}

describe("rpm under a burst", () => {
  it("admits exactly 20 of 60 concurrent requests; the other 40 are 429 with the dimension and Retry-After", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 20 } });
    const replies = await chatConcurrently(60, key.secret, BODY);
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(20);
    expect(limited).toHaveLength(40);
    for (const reply of limited) {
      const { retryAfter, message } = await expectRateLimited(reply, "rpm");
      // All 20 were admitted within the last second or two: the first slot frees when their
      // 1-second bucket leaves the 60-second window.
      expect(retryAfter).toBeGreaterThanOrEqual(57);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(message).toContain("20 requests per minute");
    }
    expect(recorded).toHaveLength(20); // refused requests never reach the provider
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm).toMatchObject({ limit: 20, used: 20, windowSeconds: 60, bucketSeconds: 1 });
    expect(state.reservations).toEqual([]);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toHaveLength(20); // only admitted requests are usage
  });
});

describe("a denial in one dimension consumes nothing in the others", () => {
  it("an rpd denial leaves rpm untouched", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 10, rpd: 3 } });
    for (let i = 0; i < 3; i++) expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    const denied = await chatSettled(key.secret, BODY);
    const { retryAfter } = await expectRateLimited(denied, "rpd");
    // The day's first minute-bucket leaves the window in about 24 hours.
    expect(retryAfter).toBeGreaterThan(86_400 - 120);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(3);
    expect(state.windows.rpd.used).toBe(3);
  });

  it("an rpm denial leaves rpd untouched", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 2, rpd: 10 } });
    for (let i = 0; i < 2; i++) expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    await expectRateLimited(await chatSettled(key.secret, BODY), "rpm");
    await expectRateLimited(await chatSettled(key.secret, BODY), "rpm");
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(2);
    expect(state.windows.rpd.used).toBe(2);
  });

  it("a tpm denial consumes neither rpm nor rpd", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 10, rpd: 10, tpm: 100 } });
    await expectRateLimited(await chatSettled(key.secret, { ...BODY, max_tokens: 500 }), "tpm", { never: true });
    let state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(0);
    expect(state.windows.rpd.used).toBe(0);
    expect((await chatSettled(key.secret, { ...BODY, max_tokens: 50 })).status).toBe(200);
    state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(1);
    expect(state.windows.rpd.used).toBe(1);
  });
});

describe("tpm", () => {
  const prompt = estimatePromptTokens(USER_MESSAGE);
  const realTokens = FAKE_USAGE.prompt + FAKE_USAGE.completion;

  it("reserves the estimate while a request runs, and refuses what does not fit beside it", async () => {
    const limit = 2 * (prompt + 100) - 1;
    const { key } = await keyWithBindings(["hang-after-2"], { rate_limits: { tpm: limit } });
    const body = { ...BODY, stream: true, max_tokens: 100 };
    const first = await sendChat(key.secret, body);
    expect(first.response.status).toBe(200);
    const reader = (first.response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const during = await keyObjectState(key.id);
    expect(during.windows.tpm).toMatchObject({ limit, used: prompt + 100 });
    expect(during.reservations).toEqual([
      expect.objectContaining({
        requestId: first.response.headers.get("x-langwatch-request-id"),
        tokens: prompt + 100,
      }),
    ]);
    const { retryAfter } = await expectRateLimited(await chatSettled(key.secret, body), "tpm");
    expect(retryAfter).toBeGreaterThanOrEqual(58); // the reservation was made a moment ago
    expect(retryAfter).toBeLessThanOrEqual(60);
    await reader.cancel();
    await first.settled();
    const after = await keyObjectState(key.id);
    expect(after.reservations).toEqual([]);
    expect(after.windows.tpm.used).toBe(0); // cancelled before any usage was reported
  });

  it("settles a reservation to the tokens the provider reported", async () => {
    const { key } = await createServingKey({ rate_limits: { tpm: 10_000 } });
    expect((await chatSettled(key.secret, { ...BODY, max_tokens: 1_000 })).status).toBe(200);
    expect((await keyObjectState(key.id)).windows.tpm.used).toBe(realTokens);
    const streamed = await chatSettled(key.secret, { ...BODY, max_tokens: 1_000, stream: true });
    expect(streamed.status).toBe(200);
    const state = await keyObjectState(key.id);
    expect(state.windows.tpm.used).toBe(2 * realTokens);
    expect(state.reservations).toEqual([]);
  });

  it("counts max_tokens, or max_completion_tokens first, in the estimate", async () => {
    const { key } = await createServingKey({ rate_limits: { tpm: prompt + 50 } });
    await expectRateLimited(await chatSettled(key.secret, { ...BODY, max_tokens: 51 }), "tpm", { never: true });
    await expectRateLimited(
      await chatSettled(key.secret, { ...BODY, max_tokens: 10, max_completion_tokens: 51 }),
      "tpm",
      { never: true },
    );
    expect((await chatSettled(key.secret, { ...BODY, max_tokens: 51, max_completion_tokens: 50 })).status).toBe(200);
  });

  it("assumes 4096 output tokens when nothing bounds them", async () => {
    const { key } = await createServingKey({ rate_limits: { tpm: prompt + 4095 } });
    await expectRateLimited(await chatSettled(key.secret, BODY), "tpm", { never: true });
    expect((await chatSettled(key.secret, { ...BODY, max_tokens: 4095 })).status).toBe(200);
  });

  it("a request that alone exceeds tpm is told it can never pass, with no Retry-After and x-should-retry: false", async () => {
    const { key } = await createServingKey({ rate_limits: { tpm: 100 } });
    const reply = await chatSettled(key.secret, { ...BODY, max_tokens: 500 });
    const { message } = await expectRateLimited(reply, "tpm", { never: true });
    expect(message).toContain("can never pass");
    expect(message).toContain("do not retry");
    expect(message).toContain("max_tokens");
    expect(recorded).toHaveLength(0);
    expect((await keyObjectState(key.id)).windows.tpm.used).toBe(0);
  });
});

describe("a limit change", () => {
  it("applies on the next request after the bundle is republished", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 1 } });
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    await expectRateLimited(await chatSettled(key.secret, BODY), "rpm");
    const patched = await adminCall(`/virtual-keys/${key.id}`, {
      method: "PATCH",
      body: { config: { rate_limits: { rpm: 3 } } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    await expectRateLimited(await chatSettled(key.secret, BODY), "rpm");
  });
});
