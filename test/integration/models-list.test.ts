import Anthropic from "@anthropic-ai/sdk";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKey, createProvider } from "../helpers/admin";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { GATEWAY, gatewayFetch, postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";

/**
 * GET /v1/models lists every exact model a key can call, so that the runbook's
 * `curl …/v1/models | jq -r '.data[].id'` shows one, even when its bindings declare no model list;
 * and answers in Anthropic's list shape to a client that sends `anthropic-version`.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

interface OpenAIList {
  object: string;
  data: { id: string; object: string; created: number; owned_by: string }[];
}

async function listed(secret: string, headers: Record<string, string> = {}, query = ""): Promise<Response> {
  return gatewayFetch(`/v1/models${query}`, { headers: { authorization: `Bearer ${secret}`, ...headers } });
}

/** id → owner, in OpenAI's shape. */
async function owners(secret: string): Promise<Record<string, string>> {
  const res = await listed(secret);
  expect(res.status).toBe(200);
  const body = await res.json<OpenAIList>();
  expect(body.object).toBe("list");
  for (const m of body.data) expect(m).toMatchObject({ object: "model", created: 0 });
  return Object.fromEntries(body.data.map((m) => [m.id, m.owned_by]));
}

/** A binding that declares no models (serves any), the usual shape of a real `openai` binding. */
const anyModel = async () => (await createProvider({ models: [] })).name;

describe("exact models a key can reach", () => {
  it("lists the exact entries of models_allowed on bindings that declare no models, and each of them can be called", async () => {
    const open = await anyModel();
    const key = await createKey({ config: { providers: [open], models_allowed: ["gpt-4o-mini", "claude-*"] } });
    expect(await owners(key.secret)).toEqual({ "gpt-4o-mini": open });
    const res = await postChat(key.secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
    expect(res.status).toBe(200);
    expect(recorded.map((r) => (r.body as { model: string }).model)).toEqual(["gpt-4o-mini"]);
  });

  it("lists a provider/model entry by its bare id when the bare id reaches it", async () => {
    const open = await anyModel();
    const key = await createKey({ config: { providers: [open], models_allowed: [`${open}/gpt-4o`] } });
    expect(await owners(key.secret)).toEqual({ "gpt-4o": open });
  });

  it("owns a bare id by the first binding the key may send it to, and that is where it goes", async () => {
    const first = await anyModel();
    const second = await anyModel();
    const key = await createKey({
      config: { providers: [first, second], models_allowed: [`${second}/*`], model_aliases: { pick: `${second}/o4` } },
    });
    // Bare `o4` would reach `first` too (it serves anything), but the allowlist leaves only `second`.
    expect(await owners(key.secret)).toEqual({ pick: second, o4: second });
    const res = await postChat(key.secret, { model: "o4", messages: USER_MESSAGE });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(second);
  });

  it("lists an alias's target model when the key may call it bare", async () => {
    const open = await anyModel();
    const key = await createKey({ config: { providers: [open], model_aliases: { fast: `${open}/gpt-4o-mini` } } });
    expect(await owners(key.secret)).toEqual({ fast: open, "gpt-4o-mini": open });
  });

  it("lists an alias's target as provider/model when no binding serves its bare id", async () => {
    const strict = (await createProvider({ models: ["gpt-4o"] })).name;
    const key = await createKey({
      config: { providers: [strict], model_aliases: { preview: `${strict}/o4-preview` } },
    });
    expect(await owners(key.secret)).toEqual({ preview: strict, "gpt-4o": strict, [`${strict}/o4-preview`]: strict });
    expect((await postChat(key.secret, { model: "o4-preview", messages: USER_MESSAGE })).status).toBe(400);
    expect((await postChat(key.secret, { model: `${strict}/o4-preview`, messages: USER_MESSAGE })).status).toBe(200);
  });

  it("leaves out what policy_rules.models refuses, wherever the name came from", async () => {
    const open = await anyModel();
    const key = await createKey({
      config: {
        providers: [open],
        models_allowed: ["gpt-4o-mini", "o3"],
        model_aliases: { fast: `${open}/gpt-4o` },
        policy_rules: { models: { allow: null, deny: ["^o3$", "^gpt-4o$"] } },
      },
    });
    expect(await owners(key.secret)).toEqual({ "gpt-4o-mini": open });
    const refused = await postChat(key.secret, { model: "o3", messages: USER_MESSAGE });
    expect(refused.status).toBe(403);
  });

  it("does not list a prefix entry, nor anything when nothing names an exact model", async () => {
    const open = await anyModel();
    const key = await createKey({ config: { providers: [open], models_allowed: ["gpt-*", "*"] } });
    expect(await owners(key.secret)).toEqual({});
  });
});

interface AnthropicPage {
  data: Record<string, unknown>[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

describe("in Anthropic's shape, for a client that sends anthropic-version", () => {
  /** Five models, in the order the list gives them. */
  async function fiveModelKey() {
    const strict = (await createProvider({ models: ["m1", "m2", "m3", "m4", "m5"] })).name;
    return { key: await createKey({ config: { providers: [strict] } }), strict };
  }
  const anthropicHeaders = { "anthropic-version": "2023-06-01" };

  it("answers with type, id, display_name and created_at, and the paging fields", async () => {
    const { key } = await fiveModelKey();
    const res = await listed(key.secret, anthropicHeaders);
    expect(res.status).toBe(200);
    const page = await res.json<AnthropicPage>();
    expect(page).toMatchObject({ has_more: false, first_id: "m1", last_id: "m5" });
    expect(page.data.map((m) => m.id)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(page.data[0]).toMatchObject({
      type: "model",
      id: "m1",
      display_name: "m1",
      created_at: "1970-01-01T00:00:00.000Z",
      lifecycle: "active",
    });
    expect(Number.isNaN(Date.parse(String(page.data[0]?.created_at)))).toBe(false);
  });

  it("pages with limit, after_id and before_id", async () => {
    const { key } = await fiveModelKey();
    const page = (q: string) => listed(key.secret, anthropicHeaders, q).then((r) => r.json<AnthropicPage>());
    const ids = (p: AnthropicPage) => p.data.map((m) => m.id);
    const first = await page("?limit=2");
    expect([ids(first), first.has_more, first.first_id, first.last_id]).toEqual([["m1", "m2"], true, "m1", "m2"]);
    const next = await page("?limit=2&after_id=m2");
    expect([ids(next), next.has_more]).toEqual([["m3", "m4"], true]);
    const last = await page("?limit=2&after_id=m4");
    expect([ids(last), last.has_more]).toEqual([["m5"], false]);
    const back = await page("?limit=2&before_id=m3");
    expect([ids(back), back.has_more]).toEqual([["m1", "m2"], false]);
    const backMore = await page("?limit=1&before_id=m3");
    expect([ids(backMore), backMore.has_more]).toEqual([["m2"], true]);
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=1001", "limit"],
    ["?limit=two", "limit"],
    ["?after_id=nope", "after_id"],
    ["?after_id=m1&before_id=m3", "before_id"],
  ])("refuses %s with a 400 in Anthropic's envelope naming %s", async (query, param) => {
    const { key } = await fiveModelKey();
    const res = await listed(key.secret, anthropicHeaders, query);
    expect(res.status).toBe(400);
    const body = await res.json<{ type: string; error: { type: string; code: string; message: string } }>();
    expect(body.type).toBe("error");
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
    expect(body.error.message).toContain(param);
  });

  it("answers a bad key in Anthropic's envelope; without the header, in OpenAI's", async () => {
    const anthropic = await gatewayFetch("/v1/models", { headers: { "x-api-key": "nope", ...anthropicHeaders } });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "invalid_api_key" } });
    const openai = await gatewayFetch("/v1/models", { headers: { "x-api-key": "nope" } });
    expect(openai.status).toBe(401);
    expect((await readOpenAIError(openai)).type).toBe("invalid_api_key");
  });

  it("is what the Anthropic SDK's models.list() reads, following has_more across pages", async () => {
    const { key } = await fiveModelKey();
    const client = new Anthropic({
      baseURL: GATEWAY,
      apiKey: key.secret,
      maxRetries: 0,
      // The SDK's requests go to the Worker's own fetch entry point, as over the network.
      fetch: (url: string | URL | Request, init?: RequestInit) => {
        const target = new URL(url instanceof Request ? url.url : String(url));
        return gatewayFetch(`${target.pathname}${target.search}`, init);
      },
    });
    const seen: string[] = [];
    for await (const model of client.models.list({ limit: 2 })) {
      expect(model.type).toBe("model");
      seen.push(model.id);
    }
    expect(seen).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    const page = await client.models.list();
    expect(page.data.map((m) => m.display_name)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(page.has_more).toBe(false);
  });
});
