import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream } from "../helpers/fake-upstream";
import {
  fetchWithEnv,
  GATEWAY,
  gatewayFetch,
  postChat,
  readOpenAIError,
  REQUEST_ID,
  TRACE_ID,
  USER_MESSAGE,
} from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §3: the ids on every response, errors and unknown routes included; §2: unknown routes. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };
const TRACE = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT = `00-${TRACE}-b7ad6b7169203331-01`;

function ids(res: Response): { requestId: string | null; traceId: string | null } {
  return { requestId: res.headers.get("x-langwatch-request-id"), traceId: res.headers.get("x-langwatch-trace-id") };
}

describe("X-LangWatch-Request-Id and X-LangWatch-Trace-Id on every response", () => {
  const cases: [string, () => Promise<Response>, number][] = [
    ["200 /healthz", () => gatewayFetch("/healthz"), 200],
    ["200 chat completion", async () => postChat((await seedFakeChain([""])).secret, BODY), 200],
    ["404 unknown route", () => gatewayFetch("/nope"), 404],
    ["404 unknown /v1 route", () => gatewayFetch("/v1/nope", { method: "POST", body: "{}" }), 404],
    [
      "413 body too large",
      () => gatewayFetch("/v1/chat/completions", { method: "POST", body: new Uint8Array(33_554_433) }),
      413,
    ],
    ["401 missing key", () => postChat(null, BODY), 401],
    ["400 bad JSON", async () => postChat((await seedFakeChain([""])).secret, "{"), 400],
    ["502 provider error", async () => postChat((await seedFakeChain(["status-503"])).secret, BODY), 502],
    [
      "503 bad configuration",
      async () =>
        (
          await fetchWithEnv(new Request(`${GATEWAY}/v1/chat/completions`, { method: "POST", body: "{}" }), {
            LW_LOG_MESSAGE_BODY: "yes",
          })
        ).response,
      503,
    ],
  ];

  it.each(cases)("%s", async (_, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    const { requestId, traceId } = ids(res);
    expect(requestId).toMatch(REQUEST_ID);
    expect(traceId).toMatch(TRACE_ID);
    await res.body?.cancel();
  });

  it("gives each request its own request id", async () => {
    const seen = new Set<string | null>();
    for (let i = 0; i < 5; i++) seen.add(ids(await gatewayFetch("/healthz")).requestId);
    expect(seen.size).toBe(5);
  });
});

describe("traceparent", () => {
  it("is honoured: the trace id is the incoming one", async () => {
    expect(ids(await gatewayFetch("/healthz", { headers: { traceparent: TRACEPARENT } })).traceId).toBe(TRACE);
  });

  it("is honoured on errors and on proxied completions", async () => {
    expect(ids(await postChat(null, BODY, { traceparent: TRACEPARENT })).traceId).toBe(TRACE);
    const { secret } = await seedFakeChain([""]);
    const res = await postChat(secret, BODY, { traceparent: TRACEPARENT });
    expect(res.status).toBe(200);
    expect(ids(res).traceId).toBe(TRACE);
  });

  it.each([
    ["garbage", "hello"],
    ["an all-zero trace id", `00-${"0".repeat(32)}-b7ad6b7169203331-01`],
    ["a short trace id", `00-${TRACE.slice(2)}-b7ad6b7169203331-01`],
  ])("replaces %s with a fresh 32-hex id", async (_, traceparent) => {
    const a = ids(await gatewayFetch("/healthz", { headers: { traceparent } })).traceId;
    const b = ids(await gatewayFetch("/healthz", { headers: { traceparent } })).traceId;
    expect(a).toMatch(TRACE_ID);
    expect(a).not.toBe(TRACE);
    expect(a).not.toBe("0".repeat(32));
    expect(a).not.toBe(b);
  });
});

describe("unknown routes", () => {
  it.each([
    ["GET", "/nope"],
    ["GET", "/v1/chat/completions"],
    ["DELETE", "/v1/models"],
    ["POST", "/v2/chat/completions"],
  ])("%s %s is a 404 in the OpenAI envelope, naming the route", async (method, path) => {
    const res = await gatewayFetch(path, { method });
    expect(res.status).toBe(404);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "not_found", code: "route_not_found", param: null });
    expect(error.message).toContain(`${method} ${path}`);
  });
});

describe("provider headers", () => {
  it("are absent when no provider was tried", async () => {
    const res = await postChat(null, BODY);
    expect(res.headers.get("x-langwatch-provider")).toBeNull();
    expect(res.headers.get("x-langwatch-model")).toBeNull();
    expect(res.headers.get("x-langwatch-fallback-count")).toBeNull();
  });
});
