import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { logLines } from "../helpers/control-plane";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Every log line of a request carries its request id and, once the key is known, the key's id. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

function chat(secret: string): Request {
  return new Request(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: USER_MESSAGE }),
  });
}

describe("the request's log lines", () => {
  it("an unexpected error after authentication is logged with the request id and the key's id, and answered 500", async () => {
    const chain = await seedFakeChain([""], { rate_limits: { rpm: 100 } });
    const error = vi.spyOn(console, "error");
    // A counter binding that throws something the gateway does not expect, after the key is known.
    const broken = {
      idFromName: () => {
        throw new TypeError("binding exploded");
      },
    };
    const { response, settled } = await fetchWithEnv(chat(chain.secret), { KEY_LIMITER: broken });
    await settled();
    expect(response.status).toBe(500);
    const error500 = await readOpenAIError(response);
    expect(error500.code).toBe("internal_error");
    expect(error500.message).not.toContain("binding exploded");
    const line = logLines(error, "unhandled_error").find(
      (l) => l.request_id === response.headers.get("x-langwatch-request-id"),
    );
    expect(line).toMatchObject({
      request_id: response.headers.get("x-langwatch-request-id"),
      vk_id: chain.id,
      error: "binding exploded",
    });
  });

  it("a settled request's access line carries the key's id", async () => {
    const chain = await seedFakeChain([""]);
    const info = vi.spyOn(console, "log");
    const { response, settled } = await fetchWithEnv(chat(chain.secret), {});
    expect(response.status).toBe(200);
    await response.text();
    await settled();
    // Other files' requests may settle meanwhile (one runtime for all): take this request's line.
    const line = logLines(info, "request_settled").find(
      (l) => l.request_id === response.headers.get("x-langwatch-request-id"),
    );
    expect(line).toMatchObject({ request_id: response.headers.get("x-langwatch-request-id"), vk_id: chain.id });
  });
});
