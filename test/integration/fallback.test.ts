import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/**
 * Contract §4 and §5: walking the fallback chain past a timeout, and exhausting it. Each family's
 * retryable failures, its final ones and a stream broken after its first bytes are the fallback and
 * error cases of provider-conformance.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };
const SHORT_TIMEOUT = { fallback: { max_attempts: 3, attempt_timeout_ms: 150 } };

describe("a timeout", () => {
  it("moves on: a healthy binding serves", async () => {
    const { secret, providers } = await seedFakeChain(["hang", ""], SHORT_TIMEOUT);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[1]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded[0]?.aborted).toBe(true);
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
