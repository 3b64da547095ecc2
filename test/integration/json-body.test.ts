import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { adminFetch, createKey, expectAdminError } from "../helpers/admin";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/**
 * Issue 11 part 4, item 3: no parser differential. The gateway checks the body it parsed and often
 * forwards the client's bytes, so on every public route a body another parser could read differently
 * (a key twice in one object, bytes that are not UTF-8) is a 400 before anything is called; the
 * proxy does the same for a body it reads as JSON, and leaves other bodies alone.
 */

let secret = "";
let binding = "";
let guarded = "";
beforeAll(async () => {
  const chain = await seedFakeChain([""], { proxy: true });
  secret = chain.secret;
  binding = chain.providers[0] as string;
  // A key whose policy denies a URL: what a duplicate key could smuggle past it.
  guarded = (
    await seedFakeChain([""], { proxy: true, policy_rules: { urls: { allow: null, deny: ["evil\\.example"] } } })
  ).secret;
});
beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const encoder = new TextEncoder();

interface Route {
  name: string;
  path: () => string;
  /** A valid body as text whose model is `"gpt-4o-mini"`, with `$EXTRA` where more fields may go. */
  body: string;
  anthropic?: boolean;
}

const MESSAGES = JSON.stringify(USER_MESSAGE);
const ROUTES: Route[] = [
  {
    name: "chat completions",
    path: () => "/v1/chat/completions",
    body: `{"model":"gpt-4o-mini","messages":${MESSAGES}$EXTRA}`,
  },
  {
    name: "messages",
    path: () => "/v1/messages",
    body: `{"model":"gpt-4o-mini","max_tokens":16,"messages":${MESSAGES}$EXTRA}`,
    anthropic: true,
  },
  { name: "responses", path: () => "/v1/responses", body: `{"model":"gpt-4o-mini","input":"hi"$EXTRA}` },
  { name: "embeddings", path: () => "/v1/embeddings", body: `{"model":"gpt-4o-mini","input":"hi"$EXTRA}` },
  {
    name: "proxy",
    path: () => `/proxy/${binding}/chat/completions`,
    body: `{"model":"gpt-4o-mini","messages":${MESSAGES}$EXTRA}`,
  },
];

const withExtra = (route: Route, extra: string): string => route.body.replace("$EXTRA", extra);

function send(
  route: Route,
  body: string | Uint8Array,
  key = secret,
  contentType = "application/json",
): Promise<Response> {
  return gatewayFetch(route.path(), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": contentType, "anthropic-version": "2023-06-01" },
    body,
  });
}

async function expectRefused(res: Response, route: Route, code: string, param: string | null): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  const body = JSON.parse(text) as { error: { type: string; code: string; message: string; param?: unknown } };
  if (route.anthropic) {
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error", code } });
  } else {
    expect(body.error).toMatchObject({ type: "invalid_request_error", code, param });
  }
  expect(recorded).toEqual([]);
  return body.error.message;
}

/** The body as bytes with `bytes` in place of the first `@` of `text`. */
function spliced(text: string, bytes: number[]): Uint8Array {
  const [before, after] = text.split("@") as [string, string];
  return new Uint8Array([...encoder.encode(before), ...bytes, ...encoder.encode(after)]);
}

describe.each(ROUTES)("$name", (route) => {
  it("a model named twice is a 400 naming the key, whichever value either parser would keep", async () => {
    const message = await expectRefused(
      await send(route, withExtra(route, ',"model":"other-model"')),
      route,
      "duplicate_key",
      "model",
    );
    expect(message).toContain('"model" more than once in the top-level object');
  });

  it("a duplicate spelt with an escape is the same key", async () => {
    await expectRefused(
      await send(route, withExtra(route, ',"mod\\u0065l":"other-model"')),
      route,
      "duplicate_key",
      "model",
    );
  });

  it("a duplicate deep inside a field the gateway does not read is refused too, naming where", async () => {
    const message = await expectRefused(
      await send(route, withExtra(route, ',"metadata":{"tags":[{"k":1},{"k":1,"k":2}]}')),
      route,
      "duplicate_key",
      "metadata.tags[1].k",
    );
    expect(message).toContain("the object at metadata.tags[1]");
  });

  it("bytes that are not UTF-8 are a 400 invalid_encoding, not decoded with replacement characters", async () => {
    const body = spliced(withExtra(route, ',"user":"a@b"'), [0xc3, 0x28]);
    const message = await expectRefused(await send(route, body), route, "invalid_encoding", null);
    expect(message).toContain("not valid UTF-8");
  });

  it("nesting past 128 levels is a 400", async () => {
    const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
    expect(
      await expectRefused(await send(route, withExtra(route, `,"metadata":${deep}`)), route, "invalid_json", null),
    ).toContain("levels deep");
  });

  it("the same key in sibling objects, and well-formed multi-byte UTF-8, go through byte for byte", async () => {
    const body = withExtra(route, ',"metadata":{"a":{"k":"é€😀"},"b":{"k":"\\u00e9"}}');
    const res = await send(route, body);
    expect(res.status, await res.text()).toBe(200);
    expect(recorded).toHaveLength(1);
    if (!route.anthropic) expect(recorded[0]?.raw).toBe(body); // forwarded as sent (messages is translated here)
  });
});

describe("what a duplicate key could smuggle", () => {
  it("a second `messages` holding a denied URL is refused rather than forwarded unchecked", async () => {
    const route = ROUTES[0] as Route;
    const evil = JSON.stringify([{ role: "user", content: "fetch https://evil.example/x" }]);
    const body = `{"messages":${evil},"model":"gpt-4o-mini","messages":${MESSAGES}}`;
    await expectRefused(await send(route, body, guarded), route, "duplicate_key", "messages");
  });
});

describe("the proxy reads as JSON only what looks like JSON", () => {
  const route = ROUTES[4] as Route;

  it.each([
    ["a trailing comma", '{"model":"gpt-4o-mini","messages":[],}'],
    ["a comment", '{"model":"gpt-4o-mini" /* c */}'],
    ["truncated", '{"model":"gpt-'],
  ])("a body starting with `{` that is not JSON (%s) is a 400, never forwarded unchecked", async (_, body) => {
    await expectRefused(await send(route, body, secret, "text/plain"), route, "invalid_json", null);
  });

  it("a JSON content-type with a body that is not JSON is a 400", async () => {
    await expectRefused(await send(route, "model=gpt-4o-mini"), route, "invalid_json", null);
  });

  it("a body that is neither JSON-typed nor starts with `{` goes upstream untouched, invalid UTF-8 included", async () => {
    const body = new Uint8Array([0x2d, 0x2d, 0xff, 0xfe, 0x00, 0x7b]); // "--", two bytes that are not UTF-8, NUL, "{"
    const res = await gatewayFetch(`/proxy/${binding}/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/octet-stream" },
      body,
    });
    expect(res.status).toBe(404); // the fake provider's own answer for a route it lacks
    await res.text();
    expect(recorded).toHaveLength(1);
  });

  it("a JSON content-type with a JSON array is forwarded (no object, so nothing for policy)", async () => {
    const res = await send(route, '[{"model":"gpt-4o-mini"}]');
    await res.text();
    expect(recorded).toHaveLength(1);
  });
});

describe("the admin API reads bodies by the same rules", () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

  it.each([
    ["a key's config", "PATCH", "config"],
    ["a key's model_aliases", "PATCH", "model_aliases"],
  ])("nesting 100 000 levels deep in %s is a 400, not a stack overflow", async (_, method, field) => {
    const key = await createKey({ config: { providers: [] } });
    const body = field === "config" ? `{"config":${deep(100_000)}}` : `{"config":{"model_aliases":${deep(100_000)}}}`;
    const res = await adminFetch(`/virtual-keys/${key.id}`, { method, body });
    const error = await expectAdminError(res, 400, { type: "invalid_request_error", code: "invalid_json" });
    expect(error.message).toContain("more than 128 levels deep");
  });

  it("a provider's settings nested 100 000 levels deep is a 400", async () => {
    const body = `{"name":"deep-settings","type":"openai-compatible","base_url":"https://x.test/v1","settings":${deep(100_000)}}`;
    await expectAdminError(await adminFetch("/providers", { method: "POST", body }), 400, {
      type: "invalid_request_error",
      code: "invalid_json",
    });
  });

  it("a key twice in one object is a 400 duplicate_key naming it", async () => {
    const key = await createKey({ config: { providers: [] } });
    const body = '{"config":{"models_allowed":["a"],"models_allowed":null}}';
    const error = await expectAdminError(await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body }), 400, {
      type: "invalid_request_error",
      code: "duplicate_key",
      param: "config.models_allowed",
    });
    expect(error.message).toContain("the object at config");
  });
});
