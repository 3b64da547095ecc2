import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { FAKE_RESPONSES_USAGE } from "../fake-provider/responses";
import { createKey, createProvider, uniqueName } from "../helpers/admin";
import { anthropicChain } from "../helpers/anthropic";
import { FAKE_BASE, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, parseSse, readOpenAIError } from "../helpers/gateway";
import { drainOutbox, keyWithBindings, ledgerRows } from "../helpers/limits";
import { postSettled } from "../helpers/openai-endpoints";
import { AZURE_RESPONSES_API_VERSION } from "../../src/providers/openai-shaped/azure";

/** Contract §2, POST /v1/responses: an OpenAI Responses API passthrough, streaming and not, with usage. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", input: "Say hello." };
const USAGE_ROW = {
  input_tokens: FAKE_RESPONSES_USAGE.input,
  output_tokens: FAKE_RESPONSES_USAGE.output,
  cache_read_tokens: FAKE_RESPONSES_USAGE.cached,
  cache_write_tokens: 0,
};

const respond = (secret: string, body: unknown) => postSettled("/v1/responses", secret, body);

describe("a served request", () => {
  it("passes the body and the provider's answer through, and records its usage", async () => {
    const { key, bindings } = await keyWithBindings([""]);
    const raw = `{"model":"gpt-4o-mini", "input":[{"role":"user","content":"hi"}],"store":false}`;
    const reply = await respond(key.secret, raw);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(recorded.map((r) => r.path)).toEqual(["/v1/responses"]);
    expect(recorded[0]?.raw).toBe(raw);
    const body = JSON.parse(reply.text) as { object: string; output: { content: { text: string }[] }[] };
    expect(body.object).toBe("response");
    expect(body.output[0]?.content[0]?.text).toBe(FAKE_REPLY_WORDS.join(" "));
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ provider: bindings[0], model: "gpt-4o-mini", outcome: "ok", ...USAGE_ROW }),
    ]);
  });

  it("streams the provider's events byte for byte and takes usage from response.completed", async () => {
    const { key } = await keyWithBindings([""]);
    const reply = await respond(key.secret, { ...BODY, stream: true });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(reply.text);
    expect(events.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...FAKE_REPLY_WORDS.map(() => "response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const text = events
      .filter((e) => e.event === "response.output_text.delta")
      .map((e) => (JSON.parse(e.data) as { delta: string }).delta)
      .join("");
    expect(text).toBe(FAKE_REPLY_WORDS.join(" "));
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ outcome: "ok", ...USAGE_ROW })]);
  });

  it("a stream that breaks before response.completed ends with the terminal error frame", async () => {
    const { key } = await keyWithBindings(["drop-after-3"]);
    const reply = await respond(key.secret, { ...BODY, stream: true });
    const last = parseSse(reply.text).at(-1);
    expect(last?.event).toBe("error");
    expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ error: { code: "upstream_mid_stream_failure" } });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ outcome: "stream_failed", input_tokens: 0 })]);
  });

  it.each([false, true])("falls back past a 503 (stream: %s)", async (stream) => {
    const { key, bindings } = await keyWithBindings(["status-503", ""]);
    const reply = await respond(key.secret, { ...BODY, stream });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[1]);
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded.map((r) => r.scenario)).toEqual(["status-503", "ok"]);
  });

  it("goes to Azure's /openai/responses with a preview api-version and api-key", async () => {
    const azure = await createProvider({ name: uniqueName("azure"), type: "azure", base_url: FAKE_BASE });
    const key = await createKey({ config: { providers: [azure.name] } });
    const reply = await respond(key.secret, BODY);
    expect(reply.status).toBe(200);
    expect(recorded[0]?.path).toBe("/openai/responses");
    expect(recorded[0]?.query).toEqual({ "api-version": AZURE_RESPONSES_API_VERSION });
    expect(recorded[0]?.headers["api-key"]).toBeTruthy();
    expect(recorded[0]?.headers.authorization).toBeUndefined();
  });

  it("names Azure's deployment from settings.deployments as the body's model, the rest of the body kept", async () => {
    const azure = await createProvider({
      name: uniqueName("azure"),
      type: "azure",
      base_url: FAKE_BASE,
      settings: { deployments: { "gpt-4o-mini": "prod-mini.v2" } },
    });
    const key = await createKey({ config: { providers: [azure.name] } });
    const reply = await respond(key.secret, { ...BODY, store: false });
    expect(reply.status).toBe(200);
    expect(recorded[0]?.path).toBe("/openai/responses");
    expect(recorded[0]?.body).toEqual({ ...BODY, store: false, model: "prod-mini.v2" });
  });
});

describe("what cannot be served", () => {
  it("an Anthropic-only chain is a 400 that says why, with no call made", async () => {
    const { key } = await anthropicChain([""]);
    const reply = await respond(key.secret, BODY);
    expect(reply.status).toBe(400);
    const error = (JSON.parse(reply.text) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("endpoint_not_supported");
    expect(error.message).toContain("the Responses API is only served by openai, azure and openai-compatible bindings");
    expect(recorded).toEqual([]);
  });

  it("a preset without the Responses API is skipped, and a failure elsewhere makes it a 502 listing both", async () => {
    const groq = await createProvider({ type: "groq", base_url: `${FAKE_BASE}/v1` });
    const { bindings } = await keyWithBindings(["status-503"]);
    const key = await createKey({ config: { providers: [groq.name, bindings[0]] } });
    const reply = await respond(key.secret, BODY);
    expect(reply.status).toBe(502);
    const error = (JSON.parse(reply.text) as { error: { message: string } }).error;
    expect(error.message).toContain(`${groq.name}: binding type "groq" cannot serve this request`);
    expect(error.message).toContain(`${bindings[0]}: HTTP 503`);
    expect(recorded.map((r) => r.scenario)).toEqual(["status-503"]);
  });

  it.each([
    [{ input: "x" }, "model"],
    [{ model: "gpt-4o-mini" }, "input"],
    [{ model: "gpt-4o-mini", input: 3 }, "input"],
    [{ ...BODY, stream: "yes" }, "stream"],
  ])("rejects %j with a 400 naming %s", async (body, param) => {
    const { key } = await keyWithBindings([""]);
    const res = await gatewayFetch("/v1/responses", {
      method: "POST",
      headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect((await readOpenAIError(res)).param).toBe(param);
    expect(recorded).toEqual([]);
  });
});
