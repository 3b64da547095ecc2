import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { completion } from "../fake-provider/openai";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** POST /v1/chat/completions, non-streaming: what goes upstream and what comes back. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

describe("a non-streaming completion", () => {
  it("comes back as the provider sent it, with the contract's headers", async () => {
    const { secret, providers } = await seedFakeChain([""]);
    const res = await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await res.json()).toEqual(completion({ model: "gpt-4o-mini" }, "chatcmpl-fake1"));
  });

  it("calls the binding's chat-completions endpoint with the binding's own key", async () => {
    const { secret } = await seedFakeChain([""]);
    await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ method: "POST", path: "/v1/chat/completions", scenario: "ok" });
    expect(recorded[0]?.headers.authorization).toBe(`Bearer ${env.FAKE_OPENAI_KEY}`);
    expect(recorded[0]?.headers["content-type"]).toBe("application/json");
  });

  it("forwards the fields it does not read, untouched", async () => {
    const { secret } = await seedFakeChain([""]);
    const body = {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hi" }] },
      ],
      temperature: 0.3,
      top_p: 0.9,
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      response_format: { type: "json_object" },
      user: "u-1",
      max_tokens: 50,
    };
    await postChat(secret, body);
    expect(recorded[0]?.body).toEqual(body);
  });

  it("keeps a client's own Authorization-like headers away from the provider", async () => {
    const { secret } = await seedFakeChain([""]);
    await postChat(
      secret,
      { model: "gpt-4o-mini", messages: USER_MESSAGE },
      { "x-api-key": "client-extra", cookie: "session=1" },
    );
    const sent = recorded[0]?.headers ?? {};
    expect(sent["x-api-key"]).toBeUndefined();
    expect(sent.cookie).toBeUndefined();
    expect(JSON.stringify(sent)).not.toContain(secret);
  });
});

describe("prompt-cache markers (cache_control on messages, parts and tools)", () => {
  const marker = { cache_control: { type: "ephemeral" } };
  const CACHED = {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "be brief", ...marker },
      { role: "user", content: [{ type: "text", text: "hi", ...marker }] },
    ],
    tools: [{ type: "function", function: { name: "lookup" }, ...marker }],
  };

  it("respect: they go upstream as sent", async () => {
    const { secret } = await seedFakeChain([""], { cache: { mode: "respect" } });
    expect((await postChat(secret, CACHED)).status).toBe(200);
    expect(recorded[0]?.body).toEqual(CACHED);
  });

  it("disable: every one is stripped, nothing else changes", async () => {
    const { secret } = await seedFakeChain([""], { cache: { mode: "disable" } });
    expect((await postChat(secret, CACHED)).status).toBe(200);
    expect(recorded[0]?.raw).not.toContain("cache_control");
    expect(recorded[0]?.body).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hi" }] },
      ],
      tools: [{ type: "function", function: { name: "lookup" } }],
    });
  });
});

describe("the request body on the wire", () => {
  const spaced = (stream: object) =>
    `{ "model" : "gpt-4o-mini",\n  "messages": [{"role":"user","content":"hi"}], "seed": 7${Object.keys(stream).length ? `, "stream": true, "stream_options": {"include_usage": true}` : ""} }`;

  it.each([
    ["a non-streaming request", {}],
    ["a stream whose client asked for usage itself", { stream: true }],
  ])("%s goes upstream as the client's own bytes when nothing had to change", async (_, stream) => {
    const { secret } = await seedFakeChain([""]);
    const sent = spaced(stream);
    const res = await postChat(secret, sent);
    expect(res.status).toBe(200);
    await res.text();
    expect(recorded[0]?.raw).toBe(sent);
  });

  it("a stream whose client did not ask for usage is re-written with include_usage", async () => {
    const { secret } = await seedFakeChain([""]);
    const res = await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE, stream: true });
    await res.text();
    expect(recorded[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });
});
