import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, adminCall, createKey, createProject, uniqueName } from "../helpers/admin";
import { FAKE_PROVIDER_KEY, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, REQUEST_ID } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";
import { mulberry32 } from "../../src/lib/prng";

/**
 * Issue 11 part 4, item 5: a seeded fuzz over every route (the public /v1 API, /proxy, the admin API,
 * the health routes and unknown paths). A deterministic PRNG builds FUZZ_CASES malformed requests —
 * bad JSON, wrong types, huge strings, control characters, duplicate keys, invalid UTF-8, deep
 * nesting, big numbers, wrong content types, odd methods, bad keys and headers — and every answer
 * must hold to the same rules:
 *
 * - never a 500, and a 5xx only from a provider that was called (or /readyz reporting a store);
 * - X-LangWatch-Request-Id on every response;
 * - a gateway error in its route's envelope: Anthropic's on /v1/messages, OpenAI's everywhere else;
 * - no secret echoed anywhere in the answer (the virtual key, the admin token, provider keys, the
 *   gateway's own secrets);
 * - no provider called for a request the gateway refused, and a request that must be refused (its
 *   body is not JSON every parser reads alike, or its model breaks the model-name rule) is a 4xx.
 *
 * SEED is fixed so CI runs the same cases every time; change it to explore other inputs. A failure
 * names the seed, the case number and the request, so it replays exactly.
 */

const SEED = 0x5eed2026;
const FUZZ_CASES = 800;

class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  float(): number {
    return this.#next();
  }
  int(below: number): number {
    return Math.floor(this.#next() * below);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  /** A string of `length` characters from `alphabet`. */
  text(length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_./:"): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

interface Fixture {
  secret: string;
  binding: string;
  /** A project the fuzz may attach budgets to (not the fuzz key's own). */
  sideProject: string;
  /** A key the fuzz may patch, rotate and revoke (not the one it calls with). */
  sideKey: string;
}

/** Strings that must never appear in an answer. */
const PROVIDER_KEY_SENT = "sk-fuzz-provider-key-0123456789abcdef";

let fixture: Fixture;
let secrets: string[] = [];

beforeAll(async () => {
  const chain = await seedFakeChain([""], { proxy: true });
  const sideProject = (await createProject()).id;
  const sideKey = (await createKey({ config: { providers: [] } })).id;
  fixture = { secret: chain.secret, binding: chain.providers[0] as string, sideProject, sideKey };
  secrets = [
    chain.secret,
    ADMIN_TOKEN,
    FAKE_PROVIDER_KEY,
    PROVIDER_KEY_SENT,
    env.LW_VIRTUAL_KEY_PEPPER,
    env.LW_GATEWAY_INTERNAL_SECRET,
    env.LW_GATEWAY_JWT_SECRET,
  ];
  expect((await adminCall(`/virtual-keys/${sideKey}`)).status).toBe(200);
});
beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

type Family = "v1" | "messages" | "proxy" | "models" | "admin" | "health" | "unknown";

interface Target {
  family: Family;
  method: string;
  path: string;
  /** A valid body for this route, or null when it takes none. */
  base: (() => Record<string, unknown>) | null;
}

const USER = [{ role: "user", content: "hi" }];

function targets(f: Fixture, rng: Rng): Target[] {
  return [
    {
      family: "v1",
      method: "POST",
      path: "/v1/chat/completions",
      base: () => ({ model: "gpt-4o-mini", messages: USER }),
    },
    {
      family: "v1",
      method: "POST",
      path: "/v1/chat/completions",
      base: () => ({ model: "gpt-4o-mini", messages: USER, stream: true, max_tokens: 16 }),
    },
    {
      family: "messages",
      method: "POST",
      path: "/v1/messages",
      base: () => ({ model: "claude-test", max_tokens: 16, messages: USER, system: "be brief" }),
    },
    { family: "v1", method: "POST", path: "/v1/responses", base: () => ({ model: "gpt-4o-mini", input: "hi" }) },
    { family: "v1", method: "POST", path: "/v1/embeddings", base: () => ({ model: "text-embed", input: ["a", "b"] }) },
    { family: "models", method: "GET", path: "/v1/models", base: null },
    {
      family: "proxy",
      method: "POST",
      path: `/proxy/${f.binding}/chat/completions`,
      base: () => ({ model: "gpt-4o-mini", messages: USER }),
    },
    {
      family: "proxy",
      method: "POST",
      path: `/proxy/${f.binding}/embeddings`,
      base: () => ({ model: "e", input: "x" }),
    },
    { family: "proxy", method: "GET", path: `/proxy/${f.binding}/models`, base: null },
    { family: "proxy", method: "POST", path: `/proxy/no-such-binding/chat/completions`, base: () => ({ model: "m" }) },
    { family: "proxy", method: "GET", path: `/proxy/${f.binding}/%2e%2e/secrets`, base: null },
    { family: "proxy", method: "GET", path: `/proxy/${f.binding}/a%zz`, base: null },
    { family: "admin", method: "POST", path: "/admin/v1/projects", base: () => ({ name: uniqueName("fuzz") }) },
    {
      family: "admin",
      method: "GET",
      path: `/admin/v1/projects?limit=${rng.pick(["5", "0", "-1", "abc", "9999999999"])}`,
      base: null,
    },
    {
      family: "admin",
      method: "PATCH",
      path: `/admin/v1/projects/${f.sideProject}`,
      base: () => ({ name: uniqueName("fuzz") }),
    },
    {
      family: "admin",
      method: "POST",
      path: "/admin/v1/providers",
      base: () => ({
        name: uniqueName("fuzz"),
        type: "openai-compatible",
        base_url: "https://fake.test/v1",
        api_key: PROVIDER_KEY_SENT,
        models: ["m1"],
        prices: { m1: { input_per_mtok: "1", output_per_mtok: "2" } },
      }),
    },
    {
      family: "admin",
      method: "POST",
      path: "/admin/v1/virtual-keys",
      base: () => ({
        project_id: f.sideProject,
        name: "fuzz",
        environment: "test",
        config: { providers: [f.binding], model_aliases: { fast: "gpt-4o-mini" } },
      }),
    },
    {
      family: "admin",
      method: "PATCH",
      path: `/admin/v1/virtual-keys/${f.sideKey}`,
      base: () => ({
        name: "fuzz",
        config: { rate_limits: { rpm: 5 }, policy_rules: { urls: { allow: null, deny: ["^x"] } } },
      }),
    },
    {
      family: "admin",
      method: "POST",
      path: `/admin/v1/virtual-keys/${f.sideKey}/rotate`,
      base: () => ({ grace_seconds: 0 }),
    },
    { family: "admin", method: "GET", path: `/admin/v1/virtual-keys/${f.sideKey}/state`, base: null },
    {
      family: "admin",
      method: "POST",
      path: "/admin/v1/budgets",
      base: () => ({ scope: "project", scope_id: f.sideProject, window: "day", limit_usd: "1.00" }),
    },
    { family: "admin", method: "GET", path: `/admin/v1/audit?target_id=${rng.text(8)}`, base: null },
    { family: "admin", method: "GET", path: `/admin/v1/budgets/${rng.text(10)}`, base: null },
    { family: "admin", method: "DELETE", path: `/admin/v1/providers/${rng.text(12)}`, base: null },
    { family: "health", method: "GET", path: rng.pick(["/healthz", "/startupz", "/readyz"]), base: null },
    {
      family: "unknown",
      method: "GET",
      path: rng.pick([
        "/",
        "/v2/chat/completions",
        "/v1/nope",
        "/v1/chat/completions/extra",
        "/admin/v1/nope",
        "/admin",
        "/%00",
        "/v1/%ff%fe",
        `/${"x".repeat(10_000)}`,
        "/metrics",
        "/console",
      ]),
      base: null,
    },
  ];
}

/** Methods a client may send (the runtime's fetch refuses tokens it does not know, so no made-up ones). */
const ODD_METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST", "PROPFIND"];

/** Printable ASCII and tab: what a header value may hold (fetch refuses NUL, CR and LF in one). */
const HEADER_JUNK = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\t";

interface FuzzCase {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  family: Family;
  /** The gateway must refuse this whatever else is wrong with it: a 4xx, and no provider called. */
  mustRefuse: boolean;
}

const encoder = new TextEncoder();

/** JSON text of `value`, with the first key of the object `dup` written a second time (value `alt`). */
function stringify(value: unknown, dup: object | null, alt: string): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => stringify(v, dup, alt)).join(",")}]`;
  const keys = Object.keys(value);
  const parts = keys.map((k) => `${JSON.stringify(k)}:${stringify((value as Record<string, unknown>)[k], dup, alt)}`);
  if (value === dup && keys.length > 0) parts.push(`${alt}`);
  return `{${parts.join(",")}}`;
}

/** Every object inside `value`, the value itself included. */
function objectsOf(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (value !== null && typeof value === "object") {
    if (!Array.isArray(value)) out.push(value as Record<string, unknown>);
    for (const v of Object.values(value)) objectsOf(v, out);
  }
  return out;
}

function randomValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => rng.int(1000) - 500,
    () => rng.pick([1e308, -1e308, 2 ** 53 + 1, 0.1, -0, 5e-324, 1.5, 123456789012345]),
    () => rng.text(rng.int(20)),
    () => [],
    () => ({}),
    () => [rng.text(3), rng.int(9)],
    () => ({ [rng.text(4)]: rng.text(4) }),
  ])();
}

const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xc0, 0xaf],
  [0xf4, 0x90, 0x80, 0x80],
];

/** Raw text spliced into a body's JSON: numbers JSON.parse reads as Infinity, 0 or an inexact integer. */
const BIG_NUMBERS = ["1e400", "-1e400", "1e-400", "123456789012345678901234567890", "9007199254740993", "-0", "1E+2"];

function buildCase(rng: Rng, f: Fixture, n: number): FuzzCase {
  const target = rng.pick(targets(f, rng));
  const publicBody = target.family === "v1" || target.family === "messages" || target.family === "proxy";
  const method = rng.chance(0.12) ? rng.pick(ODD_METHODS) : target.method;
  const admin = target.path.startsWith("/admin");
  /** Whether the route parses the body as JSON under the strict rules (every admin write does too). */
  const strictBody = publicBody || (admin && method === target.method && target.base !== null);
  const headers: Record<string, string> = {};
  const labels: string[] = [];
  let mustRefuse = false;

  // Credentials: mostly right, sometimes wrong in every way a client gets them wrong.
  const key = f.secret;
  if (rng.chance(0.75)) {
    if (admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    else {
      const where = rng.pick(["authorization", "x-api-key", "api-key", "x-goog-api-key"]);
      headers[where] = where === "authorization" ? `Bearer ${key}` : key;
    }
  } else {
    const bad = rng.pick([
      "",
      "Bearer",
      `Bearer  ${key}`,
      `Bearer "${key}"`,
      `Bearer ${key}x`,
      `bearer ${ADMIN_TOKEN}0`,
      `Basic ${key}`,
      `Bearer lw_vk_live_${rng.text(26, "0123456789ABCDEFGHJKMNPQRSTVWXYZ")}`,
      `Bearer ${rng.text(rng.pick([5, 200, 8000]), HEADER_JUNK)}`,
      admin ? `Bearer ${key}` : `Bearer ${ADMIN_TOKEN}`,
    ]);
    headers[rng.pick(["authorization", "x-api-key", "authorization"])] = bad;
    labels.push("bad credentials");
  }
  if (target.family === "messages" || rng.chance(0.1)) {
    headers["anthropic-version"] = rng.chance(0.9) ? "2023-06-01" : rng.text(12, HEADER_JUNK);
  }
  if (rng.chance(0.15)) {
    headers.traceparent = rng.pick([
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-00000000000000000000000000000000-0000000000000000-01",
      "ff-zz",
      rng.text(rng.pick([10, 4000]), HEADER_JUNK),
    ]);
    labels.push("traceparent");
  }
  if (rng.chance(0.1)) {
    headers[rng.pick(["x-langwatch-cache", "x-mcp-bypass", "cache-control", "x-forwarded-for", "anthropic-beta"])] =
      rng.text(rng.int(60) + 1, HEADER_JUNK);
    labels.push("odd header");
  }

  // The body: the route's own, then one mutation.
  let body: Uint8Array | null = null;
  const takesBody = method !== "GET" && method !== "HEAD";
  if (takesBody && (target.base || rng.chance(0.3))) {
    const value: Record<string, unknown> = target.base ? target.base() : { [rng.text(5)]: randomValue(rng) };
    let text: string | null = null;
    let bytes: Uint8Array | null = null;
    const mutation = rng.int(14);
    switch (mutation) {
      case 0:
        labels.push("valid body");
        break;
      case 1: {
        const k = rng.pick([
          "model",
          "messages",
          "max_tokens",
          "stream",
          "input",
          "tools",
          "system",
          "name",
          "config",
          "stream_options",
          "temperature",
          "limit_usd",
          "type",
        ]);
        value[k] = randomValue(rng);
        labels.push(`${k} of a wrong type`);
        break;
      }
      case 2: {
        const size = rng.pick([300, 20_000, 600_000]);
        const field = rng.pick(["model", "content"]);
        if (field === "model") {
          value.model = "m".repeat(size);
          if (publicBody) mustRefuse = true;
        } else value.messages = [{ role: "user", content: rng.text(size) }];
        labels.push(`huge ${field} (${size})`);
        break;
      }
      case 3: {
        const ch = String.fromCharCode(rng.pick([0, 1, 8, 9, 10, 13, 27, 0x7f, 0x85, 0x2028, 0xfeff, 0xd800]));
        if (rng.chance(0.5)) {
          value.model = `gpt${ch}4o`;
          if (publicBody) mustRefuse = true;
          labels.push(`model with U+${ch.charCodeAt(0).toString(16)}`);
        } else {
          value.messages = [{ role: "user", content: `a${ch}b` }];
          labels.push(`content with U+${ch.charCodeAt(0).toString(16)}`);
        }
        break;
      }
      case 4: {
        const holder = rng.pick(objectsOf(value));
        const first = Object.keys(holder)[0] ?? "";
        const spelt =
          rng.chance(0.3) && first.length > 0
            ? `"\\u${first.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(first).slice(2)}`
            : JSON.stringify(first);
        text = stringify(value, holder, `${spelt}:${JSON.stringify(randomValue(rng))}`);
        if (strictBody && Object.keys(holder).length > 0) mustRefuse = true;
        labels.push(`duplicate key ${JSON.stringify(first)}`);
        break;
      }
      case 5: {
        value[rng.pick(["model", "name", "input", "user"])] = "x@@BAD@@y";
        const seq = rng.pick(INVALID_UTF8);
        const encoded = encoder.encode(JSON.stringify(value));
        const at = indexOfBytes(encoded, encoder.encode("@@BAD@@"));
        bytes = new Uint8Array([...encoded.subarray(0, at), ...seq, ...encoded.subarray(at + 7)]);
        if (strictBody) mustRefuse = true;
        labels.push(`invalid UTF-8 ${seq.map((b) => b.toString(16)).join(" ")}`);
        break;
      }
      case 6: {
        const depth = rng.pick([20, 127, 129, 1_000, 100_000]);
        const open = rng.chance(0.5) ? "[" : '{"a":';
        const close = open === "[" ? "]" : "}";
        value[rng.pick(["metadata", "config", "input", "tools"])] = "@@DEEP@@";
        text = JSON.stringify(value).replace('"@@DEEP@@"', `${open.repeat(depth)}1${close.repeat(depth)}`);
        if (strictBody && depth >= 128) mustRefuse = true;
        labels.push(`nesting ${depth}`);
        break;
      }
      case 7: {
        const field = rng.pick(["max_tokens", "temperature", "max_completion_tokens", "limit_usd", "grace_seconds"]);
        value[field] = "@@NUM@@";
        text = JSON.stringify(value).replace('"@@NUM@@"', rng.pick(BIG_NUMBERS));
        labels.push(`${field} a big number`);
        break;
      }
      case 8: {
        const full = encoder.encode(JSON.stringify(value));
        bytes = full.subarray(0, 1 + rng.int(Math.max(1, full.length - 1)));
        if (strictBody) mustRefuse = true;
        labels.push("truncated");
        break;
      }
      case 9: {
        text = rng.pick([
          "{",
          "}",
          "nul",
          '{"model":"gpt-4o-mini",}',
          "{'model':'x'}",
          '{"model":"x" /* c */}',
          "{\u0000}",
          '{"a":01}',
          '{"a":NaN}',
          '{"a":"\\x41"}',
          '{"a":"\\ud800"}',
        ]);
        // the proxy reads as JSON only a body that starts with `{` (or says it is JSON)
        const looksLikeObject = text.startsWith("{") && text !== '{"a":"\\ud800"}';
        if (target.family === "v1" || target.family === "messages" || (publicBody && looksLikeObject))
          mustRefuse = true;
        labels.push(`bad JSON ${JSON.stringify(text)}`);
        break;
      }
      case 10: {
        text = rng.pick(["[]", '"model"', "42", "null", "true", '[{"model":"gpt-4o-mini"}]']);
        if (target.family === "v1" || target.family === "messages") mustRefuse = true;
        labels.push(`not an object: ${text}`);
        break;
      }
      case 11: {
        text = JSON.stringify(value).replace(
          "{",
          `{"__proto__":{"model":"x","admin":true},"constructor":{"prototype":1},`,
        );
        labels.push("prototype keys");
        break;
      }
      case 12: {
        bytes = new Uint8Array(rng.int(64) + 1).map(() => rng.int(256));
        if (target.family === "v1" || target.family === "messages") mustRefuse = true;
        labels.push("random bytes");
        break;
      }
      default: {
        text = "";
        if (target.family === "v1" || target.family === "messages") mustRefuse = true;
        labels.push("empty body");
      }
    }
    body = bytes ?? encoder.encode(text ?? JSON.stringify(value));
  }
  if (body !== null) {
    headers["content-type"] = rng.chance(0.8)
      ? "application/json"
      : rng.pick([
          "text/plain",
          "multipart/form-data; boundary=x",
          "application/x-www-form-urlencoded",
          "application/json; charset=latin1",
          "application/vnd.api+json",
        ]);
  }
  if (method !== target.method) labels.push(`method ${method}`);
  return {
    label: `#${n} ${method} ${target.path.slice(0, 80)} [${labels.join(", ")}]`,
    method,
    path: target.path,
    headers,
    body,
    family: target.family,
    mustRefuse,
  };
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** What is wrong with one answer, or nothing. */
async function violations(c: FuzzCase, res: Response, calledBefore: number): Promise<string[]> {
  const problems: string[] = [];
  const text = await res.text();
  const called = recorded.length > calledBefore;
  const viaProvider = res.headers.get("x-langwatch-provider") !== null;
  const health = c.path === "/readyz" || c.path === "/startupz";
  if (res.status === 500) problems.push(`a 500: ${text.slice(0, 300)}`);
  if (res.status > 500 && !viaProvider && !health)
    problems.push(`a ${res.status} without a provider: ${text.slice(0, 300)}`);
  if (!REQUEST_ID.test(res.headers.get("x-langwatch-request-id") ?? "")) problems.push("no X-LangWatch-Request-Id");
  if (!viaProvider && called) problems.push("a provider was called for a request the gateway answered itself");
  if (c.mustRefuse && (res.status < 400 || res.status >= 500)) problems.push(`must be refused, got ${res.status}`);
  if (c.mustRefuse && called) problems.push("a provider was called for a request that must be refused");
  const answers = [text, ...[...res.headers].map(([k, v]) => `${k}: ${v}`)].join("\n");
  for (const s of secrets) if (answers.includes(s)) problems.push(`echoed a secret (${s.slice(0, 6)}…)`);
  if (res.status >= 400 && !viaProvider && c.method !== "HEAD" && !(health && res.status === 503)) {
    problems.push(...envelopeProblems(c, res, text));
  }
  return problems;
}

/**
 * The envelope a gateway error must use: Anthropic's on /v1/messages (and its sub-paths), and on
 * /v1/models for a client that sends `anthropic-version` (the Anthropic SDK's models.list()); OpenAI's
 * everywhere else.
 */
function envelopeProblems(c: FuzzCase, res: Response, text: string): string[] {
  const path = c.path.split("?")[0] ?? "";
  if (!(res.headers.get("content-type") ?? "").startsWith("application/json")) {
    return [`error content-type ${res.headers.get("content-type")}`];
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`error body is not JSON: ${text.slice(0, 200)}`];
  }
  const anthropic =
    path === "/v1/messages" ||
    path.startsWith("/v1/messages/") ||
    (path === "/v1/models" && "anthropic-version" in c.headers);
  const b = body as { type?: unknown; error?: Record<string, unknown> };
  const keys = Object.keys(b.error ?? {})
    .sort()
    .join(",");
  const fine =
    typeof b.error?.type === "string" &&
    typeof b.error.code === "string" &&
    typeof b.error.message === "string" &&
    b.error.message !== "" &&
    (anthropic
      ? b.type === "error" && keys === "code,message,type" && Object.keys(b).sort().join(",") === "error,type"
      : keys === "code,message,param,type" && Object.keys(b).join(",") === "error");
  return fine ? [] : [`not the ${anthropic ? "Anthropic" : "OpenAI"} error envelope: ${text.slice(0, 300)}`];
}

describe(`seeded fuzz (seed ${SEED}, ${FUZZ_CASES} requests)`, () => {
  it("every answer keeps the rules", { timeout: 120_000 }, async () => {
    const rng = new Rng(SEED);
    const failures: string[] = [];
    const seen = new Map<Family, number>();
    let refused = 0;
    for (let n = 0; n < FUZZ_CASES; n++) {
      const c = buildCase(rng, fixture, n);
      seen.set(c.family, (seen.get(c.family) ?? 0) + 1);
      if (c.mustRefuse) refused++;
      const before = recorded.length;
      let res: Response;
      try {
        res = await gatewayFetch(c.path, { method: c.method, headers: c.headers, body: c.body });
      } catch (err) {
        failures.push(`${c.label}: the fetch itself failed: ${String(err)}`);
        continue;
      }
      const problems = await violations(c, res, before);
      if (problems.length > 0) failures.push(`${c.label}: ${problems.join("; ")}`);
    }
    // Let the last requests' waitUntil work (settlement batches) finish inside the test.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // The run covered what it claims: every family of route, and a good share of must-refuse cases.
    for (const family of ["v1", "messages", "proxy", "models", "admin", "health", "unknown"] as const) {
      expect(seen.get(family) ?? 0, `cases for ${family}`).toBeGreaterThan(10);
    }
    expect(refused).toBeGreaterThan(FUZZ_CASES / 10);
    expect(
      failures,
      `fuzz seed ${SEED}: ${failures.length} of ${FUZZ_CASES} requests broke a rule (replay with the same SEED)`,
    ).toEqual([]);
  });
});
