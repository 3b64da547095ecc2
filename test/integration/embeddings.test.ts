import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeTokenCount, fakeVector } from "../fake-provider/embeddings";
import { createKey, createProvider, uniqueName } from "../helpers/admin";
import { anthropicChain } from "../helpers/anthropic";
import { FAKE_BASE, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, readOpenAIError } from "../helpers/gateway";
import { drainOutbox, keyWithBindings, ledgerRows } from "../helpers/limits";
import { postSettled } from "../helpers/openai-endpoints";
import { AZURE_DEFAULT_API_VERSION } from "../../src/providers/openai-shaped/azure";

/** Contract §2, POST /v1/embeddings: validation, the provider's JSON untouched, fallback, usage. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const MODEL = "text-embedding-3-small";

interface EmbeddingsReply {
  object: string;
  data: { index: number; embedding: number[] }[];
  usage: { prompt_tokens: number };
}

const embed = (secret: string, body: unknown) => postSettled("/v1/embeddings", secret, body);

describe("a served request", () => {
  it("reaches {root}/embeddings with the client's bytes and returns the provider's JSON untouched", async () => {
    const { key, bindings } = await keyWithBindings([""]);
    const raw = `{"model":"${MODEL}",  "input":["hello","world"],"encoding_format":"float"}`;
    const reply = await embed(key.secret, raw);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(recorded.map((r) => r.path)).toEqual(["/v1/embeddings"]);
    expect(recorded[0]?.raw).toBe(raw);
    const body = JSON.parse(reply.text) as EmbeddingsReply;
    expect(body.data.map((d) => d.embedding)).toEqual([fakeVector("hello"), fakeVector("world")]);
    expect(body.usage.prompt_tokens).toBe(fakeTokenCount("hello") + fakeTokenCount("world"));
  });

  it("accepts token arrays and arrays of them", async () => {
    const { key } = await keyWithBindings([""]);
    for (const input of [
      [1, 2, 3],
      [[1, 2], [3]],
    ]) {
      const reply = await embed(key.secret, { model: MODEL, input });
      expect(reply.status).toBe(200);
    }
    expect(recorded.map((r) => (r.body as { input: unknown }).input)).toEqual([
      [1, 2, 3],
      [[1, 2], [3]],
    ]);
  });

  it("records the provider's prompt tokens and no output in the ledger", async () => {
    const { key, bindings } = await keyWithBindings([""], { rate_limits: { tpm: 100_000 } });
    const reply = await embed(key.secret, { model: MODEL, input: "a sentence to embed" });
    expect(reply.status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({
        provider: bindings[0],
        model: MODEL,
        input_tokens: fakeTokenCount("a sentence to embed"),
        output_tokens: 0,
        outcome: "ok",
      }),
    ]);
  });

  it("falls back past a 503 to the next binding", async () => {
    const { key, bindings } = await keyWithBindings(["status-503", ""]);
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[1]);
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded.map((r) => r.scenario)).toEqual(["status-503", "ok"]);
  });

  it("goes to an Azure deployment's embeddings with api-version and api-key", async () => {
    const azure = await createProvider({ name: uniqueName("azure"), type: "azure", base_url: FAKE_BASE });
    const key = await createKey({ config: { providers: [azure.name] } });
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(200);
    expect(recorded[0]?.path).toBe(`/openai/deployments/${MODEL}/embeddings`);
    expect(recorded[0]?.query).toEqual({ "api-version": AZURE_DEFAULT_API_VERSION });
    expect(recorded[0]?.headers["api-key"]).toBeTruthy();
  });
});

describe("what cannot be served", () => {
  it("an Anthropic-only chain is a 400 that says why, with no call made", async () => {
    const { key, bindings } = await anthropicChain([""]);
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(400);
    const error = (JSON.parse(reply.text) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("endpoint_not_supported");
    expect(error.message).toContain(bindings[0]);
    expect(error.message).toContain("no OpenAI-compatible embeddings endpoint");
    expect(recorded).toEqual([]);
  });

  it("an Anthropic binding ahead of an OpenAI one is skipped", async () => {
    const anthropic = await createProvider({ type: "anthropic", base_url: FAKE_BASE });
    const { bindings } = await keyWithBindings([""]);
    const key = await createKey({ config: { providers: [anthropic.name, bindings[0]] } });
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(recorded.map((r) => r.path)).toEqual(["/v1/embeddings"]);
  });

  it.each(["groq", "deepseek", "xai"])("a %s binding (no embeddings API) is skipped without a call", async (type) => {
    const preset = await createProvider({ type, base_url: `${FAKE_BASE}/v1` });
    const { bindings } = await keyWithBindings([""]);
    const key = await createKey({ config: { providers: [preset.name, bindings[0]] } });
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(recorded.map((r) => r.path)).toEqual(["/v1/embeddings"]);
  });

  it("a chain of bindings none of which has embeddings is a 400 naming each of them", async () => {
    const groq = await createProvider({ type: "groq", base_url: `${FAKE_BASE}/v1` });
    const deepseek = await createProvider({ type: "deepseek", base_url: `${FAKE_BASE}/v1` });
    const key = await createKey({ config: { providers: [groq.name, deepseek.name] } });
    const reply = await embed(key.secret, { model: MODEL, input: "x" });
    expect(reply.status).toBe(400);
    const error = (JSON.parse(reply.text) as { error: { type: string; code: string; message: string } }).error;
    expect(error).toMatchObject({ type: "invalid_request_error", code: "endpoint_not_supported" });
    expect(error.message).toContain(`${groq.name}: binding type "groq" cannot serve this request`);
    expect(error.message).toContain(`${deepseek.name}: binding type "deepseek" cannot serve this request`);
    expect(recorded).toEqual([]);
  });

  it.each(["mistral", "together", "fireworks", "openrouter", "gemini"])(
    "a %s binding serves embeddings under its API root",
    async (type) => {
      const preset = await createProvider({ type, base_url: `${FAKE_BASE}/v1` });
      const key = await createKey({ config: { providers: [preset.name] } });
      const reply = await embed(key.secret, { model: MODEL, input: "x" });
      expect(reply.status).toBe(200);
      expect(recorded.map((r) => r.path)).toEqual(["/v1/embeddings"]);
    },
  );

  it.each([
    [{ input: "x" }, "model"],
    [{ model: MODEL }, "input"],
    [{ model: MODEL, input: "" }, "input"],
    [{ model: MODEL, input: [] }, "input"],
    [{ model: MODEL, input: { text: "x" } }, "input"],
    [{ model: MODEL, input: "x", stream: true }, "stream"],
  ])("rejects %j with a 400 naming %s", async (body, param) => {
    const { key } = await keyWithBindings([""]);
    const res = await gatewayFetch("/v1/embeddings", {
      method: "POST",
      headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect((await readOpenAIError(res)).param).toBe(param);
    expect(recorded).toEqual([]);
  });
});
