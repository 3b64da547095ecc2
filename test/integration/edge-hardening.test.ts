import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../../src/http/app-env";
import { renderError, requestIdentity } from "../../src/http/edge";
import { logLines } from "../helpers/control-plane";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError, REQUEST_ID } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/**
 * Issue 11 part 4: the edge's response writer cannot fail, whatever the response it is handed and
 * whatever a stage recorded for the headers; and a HEAD request never leaves work hanging.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/** A bare app with the identity middleware and the gateway's error handler, around `route`. */
function appWith(route: (c: Context<AppEnv>) => Response | Promise<Response>) {
  const app = new Hono<AppEnv>().use(requestIdentity()).get("/t", route);
  app.onError((err, c) => renderError(err, c.req.path, c.get("log")));
  return app;
}

async function call(app: Hono<AppEnv>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${GATEWAY}/t`), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("the X-LangWatch-* writer", () => {
  it("a response whose headers are immutable gets its headers through a copy", async () => {
    const res = await call(appWith(() => Response.redirect("https://example.test/next", 302)));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://example.test/next");
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  });

  it("whatever a stage put in meta, the headers are escaped and bounded, never a throw", async () => {
    const res = await call(
      appWith((c) => {
        const meta = c.get("meta");
        meta.model = "a\u0000b\r\nc";
        meta.provider = "p\u0001";
        meta.budgetWarning = "w".repeat(100_000);
        return c.json({ ok: true });
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-model")).toBe("a%00b%0D%0Ac");
    expect(res.headers.get("x-langwatch-provider")).toBe("p%01");
    expect(res.headers.get("x-langwatch-budget-warning")?.length).toBeLessThanOrEqual(1030);
  });

  it("a thrown value that is not an Error is still an enveloped 500 with the request id", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call(
      appWith(() => {
        throw "a string, not an Error"; // eslint-disable-line @typescript-eslint/only-throw-error
      }),
    );
    expect(res.status).toBe(500);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await readOpenAIError(res)).toMatchObject({ type: "internal_error", code: "internal_error" });
    expect(logLines(error, "unhandled_error")[0]).toMatchObject({ error: "a string, not an Error" });
  });
});

describe("HEAD", () => {
  it("a proxied HEAD whose upstream answer has a body settles instead of hanging", async () => {
    const log = vi.spyOn(console, "log");
    const chain = await seedFakeChain([""], { proxy: true });
    const { response, settled } = await fetchWithEnv(
      new Request(`${GATEWAY}/proxy/${chain.providers[0]}/embeddings`, {
        method: "HEAD",
        headers: { authorization: `Bearer ${chain.secret}` },
      }),
      {},
    );
    expect(response.status).toBe(404); // the fake provider's own answer, without its body
    expect(await response.text()).toBe("");
    expect(recorded.map((r) => r.method)).toEqual(["HEAD"]);
    await settled(); // hangs (and times out) when the dropped body is never cancelled
    const id = response.headers.get("x-langwatch-request-id");
    expect(logLines(log, "request_settled").find((l) => l.request_id === id)).toBeDefined();
  });
});
