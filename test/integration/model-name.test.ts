import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_AWS_ACCESS_KEY_ID, FAKE_AWS_SECRET_ACCESS_KEY } from "../fake-provider/bedrock";
import { createKey, createProvider, uniqueName } from "../helpers/admin";
import { fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, REQUEST_ID, TRACE_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";
import { MAX_MODEL_NAME_LENGTH } from "../../src/pipeline/json-body";
import { LOG_FIELD_LIMIT } from "../../src/lib/log";
import { HEADER_VALUE_LIMIT } from "../../src/http/edge";

/**
 * Issue 11 part 4, items 1 and 2: a `model` that could break a response header or bloat a log line
 * (control characters, non-ASCII, over 256 characters) is a 400 naming `model` on every route, before
 * any provider is called or anything is counted; and whatever model reaches X-LangWatch-Model, the
 * header writer neither throws nor emits a control byte.
 */

let secret = "";
let binding = "";
beforeAll(async () => {
  const chain = await seedFakeChain([""], { proxy: true });
  secret = chain.secret;
  binding = chain.providers[0] as string;
});
beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

interface Route {
  name: string;
  path: () => string;
  body: (model: string) => Record<string, unknown>;
  anthropic?: boolean;
}

const ROUTES: Route[] = [
  {
    name: "chat completions",
    path: () => "/v1/chat/completions",
    body: (model) => ({ model, messages: USER_MESSAGE }),
  },
  {
    name: "messages",
    path: () => "/v1/messages",
    body: (model) => ({ model, max_tokens: 16, messages: USER_MESSAGE }),
    anthropic: true,
  },
  { name: "responses", path: () => "/v1/responses", body: (model) => ({ model, input: "hi" }) },
  { name: "embeddings", path: () => "/v1/embeddings", body: (model) => ({ model, input: "hi" }) },
  {
    name: "proxy",
    path: () => `/proxy/${binding}/chat/completions`,
    body: (model) => ({ model, messages: USER_MESSAGE }),
  },
];

function send(route: Route, body: string): Promise<Response> {
  return gatewayFetch(route.path(), {
    method: "POST",
    headers: {
      authorization: `Bearer ${secret}`,
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    },
    body,
  });
}

const BAD_MODELS: [string, string][] = [
  ["a NUL", "a\u0000b"],
  ["a CR", "a\rb"],
  ["a LF", "a\nb"],
  ["a CRLF and a header", "gpt-4o\r\nSet-Cookie: x=1"],
  ["a SOH", "a\u0001b"],
  ["a DEL", "a\u007fb"],
  ["a non-ASCII letter", "gpt-4o-é"],
  ["257 characters", "m".repeat(MAX_MODEL_NAME_LENGTH + 1)],
  ["600 KB", "m".repeat(600_000)],
];

describe.each(ROUTES)("$name", (route) => {
  it.each(BAD_MODELS)(
    "a model with %s is a 400 naming model; nothing is called and no header carries it",
    async (_, model) => {
      const res = await send(route, JSON.stringify(route.body(model)));
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
      expect(res.headers.get("x-langwatch-trace-id")).toMatch(TRACE_ID);
      expect(res.headers.get("x-langwatch-model")).toBeNull();
      expect(res.headers.get("x-langwatch-provider")).toBeNull();
      expect(res.headers.get("set-cookie")).toBeNull();
      const body = JSON.parse(text) as Record<string, unknown>;
      if (route.anthropic) {
        expect(body).toMatchObject({
          type: "error",
          error: { type: "invalid_request_error", code: "invalid_request" },
        });
      } else {
        expect(body).toMatchObject({
          error: { type: "invalid_request_error", code: "invalid_request", param: "model" },
        });
      }
      expect(text).toContain("GET /v1/models");
      expect(text.length).toBeLessThan(1000); // the name is never echoed
      expect(recorded).toEqual([]);
    },
  );

  it(`a model of exactly ${MAX_MODEL_NAME_LENGTH} printable characters, spaces inside, is served and sent back in X-LangWatch-Model`, async () => {
    const model = `a ${"m".repeat(MAX_MODEL_NAME_LENGTH - 4)} z`;
    const res = await send(route, JSON.stringify(route.body(model)));
    expect(res.status, await res.text()).toBe(200);
    expect(res.headers.get("x-langwatch-model")).toBe(model);
    expect(recorded).toHaveLength(1);
  });
});

describe("client strings in log lines are bounded", () => {
  it("a 600 KB parameter name that translation drops is logged cut, with a marker", async () => {
    const spy = vi.spyOn(console, "log");
    const name = `x_${"k".repeat(600_000)}`;
    const body = { model: "gpt-4o-mini", max_tokens: 16, messages: USER_MESSAGE, [name]: 1 };
    const res = await send(ROUTES[1] as Route, JSON.stringify(body));
    expect(res.status, await res.text()).toBe(200);
    const id = res.headers.get("x-langwatch-request-id") ?? "";
    const line = spy.mock.calls
      .map((c) => String(c[0]))
      .find((l) => l.includes(id) && l.includes("translation_dropped_params"));
    expect(line).toBeDefined();
    expect(line?.length).toBeLessThan(4 * LOG_FIELD_LIMIT);
    expect(line).toContain("…[+");
  });

  it("a 600 KB model: every log line of the request stays bounded, and the answer is a 400 with its request id", async () => {
    const spies = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error")];
    const res = await send(ROUTES[0] as Route, JSON.stringify({ model: "m".repeat(600_000), messages: USER_MESSAGE }));
    expect(res.status).toBe(400);
    const id = res.headers.get("x-langwatch-request-id") ?? "";
    expect(id).toMatch(REQUEST_ID);
    await res.text();
    const mine = spies.flatMap((s) => s.mock.calls.map((c) => String(c[0]))).filter((l) => l.includes(id));
    for (const line of mine) expect(line.length).toBeLessThan(8 * LOG_FIELD_LIMIT);
  });
});

describe("the response-header writer", () => {
  it.each([
    ["a NUL", "a\u0000b", "a%00b"],
    ["a SOH", "a\u0001b", "a%01b"],
    ["a LF", "a\nb", "a%0Ab"],
    ["non-ASCII", "modèle", "mod%C3%A8le"],
  ])(
    "an alias whose target holds %s (written to D1 by hand) is served, its X-LangWatch-Model escaped",
    async (_, target, header) => {
      const chain = await seedFakeChain([""], { model_aliases: { odd: target } });
      const res = await gatewayFetch("/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${chain.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "odd", messages: USER_MESSAGE }),
      });
      expect(res.status, await res.text()).toBe(200);
      expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
      expect(res.headers.get("x-langwatch-model")).toBe(header);
      expect(recorded).toHaveLength(1);
    },
  );
});

describe("a long model in a header", () => {
  it("an alias whose target is 20 000 characters (written to D1 by hand) is served, its X-LangWatch-Model cut", async () => {
    const target = "m".repeat(20_000);
    const chain = await seedFakeChain([""], { model_aliases: { long: target } });
    const res = await gatewayFetch("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${chain.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "long", messages: USER_MESSAGE }),
    });
    expect(res.status, await res.text()).toBe(200);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(res.headers.get("x-langwatch-model")).toBe(`${"m".repeat(HEADER_VALUE_LIMIT)}...`);
  });
});

describe("the proxy's model", () => {
  const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
  const RAW = JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] });

  async function bedrockKey(config: Record<string, unknown> = {}) {
    const provider = await createProvider({
      name: uniqueName("bedrock"),
      type: "bedrock",
      base_url: fakeRoot(),
      api_key_secret: null,
      api_key: FAKE_AWS_SECRET_ACCESS_KEY,
      settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
    });
    const key = await createKey({ config: { providers: [provider.name], proxy: true, ...config } });
    return { provider, key };
  }

  function converse(provider: string, secretOf: string, modelSegment: string, body = RAW): Promise<Response> {
    return gatewayFetch(`/proxy/${provider}/model/${modelSegment}/converse`, {
      method: "POST",
      headers: { authorization: `Bearer ${secretOf}`, "content-type": "application/json" },
      body,
    });
  }

  it.each([
    ["a LF", "a%0Ab"],
    ["a NUL", "a%00b"],
    ["300 characters", "m".repeat(300)],
  ])("a model in a Bedrock path with %s is a 400 naming the path's model, and nothing is sent", async (_, segment) => {
    const { provider, key } = await bedrockKey();
    const res = await converse(provider.name, key.secret, segment);
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_request", param: "model" } });
    expect(text).toContain("the model in the path");
    expect(res.headers.get("x-langwatch-model")).toBeNull();
    expect(recorded).toEqual([]);
  });

  it("on a Bedrock path, policy checks the path's model (the one called), not a model the body names", async () => {
    const { provider, key } = await bedrockKey({ models_allowed: ["allowed-model"] });
    const body = JSON.stringify({ model: "allowed-model", ...JSON.parse(RAW) });
    const res = await converse(provider.name, key.secret, encodeURIComponent(MODEL), body);
    expect(res.status, await res.text()).toBe(403);
    expect(recorded).toEqual([]);
  });

  it("a proxied body's model over the rule is a 400, and one that is not a string is still ignored", async () => {
    const route = ROUTES[4] as Route;
    const bad = await send(route, JSON.stringify({ model: "a\u0001b", messages: USER_MESSAGE }));
    expect(bad.status).toBe(400);
    const ignored = await send(route, JSON.stringify({ model: 42, messages: USER_MESSAGE }));
    expect(ignored.status).toBe(200); // the provider answers for it
    expect(recorded).toHaveLength(1);
  });
});
