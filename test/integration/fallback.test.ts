import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, readOpenAIError, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §4 and §5: walking the fallback chain, and when not to. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };
const SHORT_TIMEOUT = { fallback: { max_attempts: 3, attempt_timeout_ms: 150 } };

describe("a retryable failure moves to the next binding", () => {
  it.each(["status-503", "status-429", "status-500", "html-502", "text-200"])(
    "%s, then a healthy binding serves",
    async (scenario) => {
      const { secret, providers } = await seedFakeChain([scenario, ""]);
      const res = await postChat(secret, BODY);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-langwatch-provider")).toBe(providers[1]);
      expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
      expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
      expect(recorded.map((r) => r.scenario)).toEqual([scenario, "ok"]);
      const body = await res.json<{ choices: { message: { content: string } }[] }>();
      expect(body.choices[0]?.message.content).toBe(FAKE_REPLY_WORDS.join(" "));
    },
  );

  it("a timeout, then a healthy binding serves", async () => {
    const { secret, providers } = await seedFakeChain(["hang", ""], SHORT_TIMEOUT);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[1]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded[0]?.aborted).toBe(true);
  });

  it("sends every binding the same request", async () => {
    const { secret } = await seedFakeChain(["status-503", ""]);
    await postChat(secret, { ...BODY, temperature: 0.2 });
    expect(recorded[1]?.body).toEqual(recorded[0]?.body);
    expect(recorded[1]?.body).toMatchObject({ temperature: 0.2, model: "gpt-4o-mini" });
  });

  it("falls back before the first byte of a stream", async () => {
    const { secret, providers } = await seedFakeChain(["status-503", ""]);
    const res = await postChat(secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[1]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    const events = parseSse(await res.text());
    expect(streamedContent(events)).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(events.at(-1)?.data).toBe("[DONE]");
  });
});

describe("what does not fall back", () => {
  it("a provider's 400 is final: passed through, the next binding never called", async () => {
    const { secret, providers } = await seedFakeChain(["status-400", ""]);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(recorded.map((r) => r.scenario)).toEqual(["status-400"]);
  });

  it("a stream that broke after its first bytes is not retried elsewhere", async () => {
    const { secret, providers } = await seedFakeChain(["drop-after-3", ""]);
    const res = await postChat(secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expect(events.at(-1)?.event).toBe("error");
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
    expect(recorded.map((r) => r.scenario)).toEqual(["drop-after-3"]);
  });
});

describe("exhausting the chain", () => {
  it("is a 502 whose message lists each attempt, with Fallback-Count = chain length - 1", async () => {
    const { secret, providers } = await seedFakeChain(["status-503", "status-429", "html-502"]);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[2]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("2");
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "provider_error", code: "all_attempts_failed" });
    expect(error.message).toContain(`attempt 1 ${providers[0]}: HTTP 503`);
    expect(error.message).toContain(`attempt 2 ${providers[1]}: HTTP 429`);
    expect(error.message).toContain(`attempt 3 ${providers[2]}: HTTP 502 (HTML error page)`);
    expect(error.message).toMatch(/fallback chain/);
  });

  it("is a 504 when the last attempt timed out", async () => {
    const { secret, providers } = await seedFakeChain(["status-503", "hang"], SHORT_TIMEOUT);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(504);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    const error = await readOpenAIError(res);
    expect(error.type).toBe("upstream_timeout");
    expect(error.message).toContain(`attempt 1 ${providers[0]}: HTTP 503`);
    expect(error.message).toContain(`attempt 2 ${providers[1]}: timed out after 150 ms`);
  });

  it("is a 502 when an earlier attempt timed out but the last one failed otherwise", async () => {
    const { secret } = await seedFakeChain(["hang", "status-503"], SHORT_TIMEOUT);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(502);
  });

  it("stops after fallback.max_attempts", async () => {
    const { secret, providers } = await seedFakeChain(["status-503", "status-503", ""], {
      fallback: { max_attempts: 2, attempt_timeout_ms: 1_000 },
    });
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(502);
    expect(recorded).toHaveLength(2);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[1]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
  });
});
