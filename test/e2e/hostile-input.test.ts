import { randomBytes } from "node:crypto";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * Issue 11 part 4 over real HTTP (`wrangler dev`, Node's fetch and the official client): a `model`
 * that would break a response header, or make it too big to send, is a 400 with the request id before
 * any provider is called, never a response the client cannot parse or a dropped connection; a body
 * two parsers could read differently is a 400 too.
 */

const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const REQUEST_ID = /^grq_[0-9A-HJKMNP-TV-Z]{26}$/;
const hello = [{ role: "user", content: "hello" }];

const stack = useStack("e2e-hostile", FAKE_PROVIDER_KEY, (root) => ({
  project: "e2e",
  providers: [{ name: "fake", type: "openai-compatible", base_url: `${root("")}/v1`, api_key_secret: FAKE_KEY_SECRET }],
  keys: [{ name: "fake", config: { providers: ["fake"] } }],
}));

function post(body: string | Uint8Array): Promise<Response> {
  return fetch(`${stack.gatewayUrl()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.secret("fake")}`, "content-type": "application/json" },
    body,
  });
}

describe("a model that cannot travel in a header", () => {
  it.each([
    ["a SOH (once a 200 whose header Node's fetch refused)", "a\u0001b"],
    ["a NUL (once a 500 after the provider was called)", "a\u0000b"],
    ["600 KB (once a dropped connection)", "m".repeat(600_000)],
  ])("%s is a 400 naming model, with the request id, and nothing reaches the provider", async (_, model) => {
    const res = await post(JSON.stringify({ model, messages: hello }));
    expect(res.status).toBe(400);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", param: "model" } });
    expect(await stack.fakeRequests()).toEqual([]);
  });

  it("the openai client gets a BadRequestError it can read", async () => {
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret("fake"), maxRetries: 0 });
    const err = await client.chat.completions
      .create({ model: "gpt\n4o", messages: [{ role: "user", content: "hello" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("model");
  });
});

describe("a body two parsers could read differently", () => {
  it("a duplicate model is a 400 duplicate_key, and nothing reaches the provider", async () => {
    const res = await post(`{"model":"gpt-4o-mini","messages":${JSON.stringify(hello)},"model":"other"}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "duplicate_key", param: "model" } });
    expect(await stack.fakeRequests()).toEqual([]);
  });

  it("bytes that are not UTF-8 are a 400 invalid_encoding", async () => {
    const head = new TextEncoder().encode(`{"model":"gpt-4o-mini","messages":${JSON.stringify(hello)},"user":"`);
    const res = await post(new Uint8Array([...head, 0xff, 0x22, 0x7d]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_encoding" } });
  });
});
