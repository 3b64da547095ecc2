import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKey, createProvider } from "../helpers/admin";
import { logLines } from "../helpers/control-plane";
import { FAKE_BASE, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { readOpenAIError } from "../helpers/gateway";
import { postSettled } from "../helpers/openai-endpoints";
import { chatSettled, drainOutbox, keyObjectState, ledgerRows } from "../helpers/limits";

/**
 * A request that dispatch refuses before calling any provider (no binding of the chain has the
 * endpoint) is the client's 400 like any other refused before dispatch: its bindings are logged as
 * skipped, not as failed attempts; it holds and counts nothing, leaves no usage row and no
 * `request_settled` line, and its answer carries no provider headers.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

function spies() {
  return { warn: vi.spyOn(console, "warn"), info: vi.spyOn(console, "log") };
}

describe("/v1/embeddings on a chain without an embeddings endpoint", () => {
  it("is a 400 logged as skipped bindings and not dispatched, counting nothing", async () => {
    const groq = await createProvider({ type: "groq", base_url: `${FAKE_BASE}/v1` });
    const deepseek = await createProvider({ type: "deepseek", base_url: `${FAKE_BASE}/v1` });
    const key = await createKey({ config: { providers: [groq.name, deepseek.name], rate_limits: { rpm: 1 } } });
    const log = spies();
    const reply = await postSettled("/v1/embeddings", key.secret, { model: "text-embedding-3-small", input: "x" });
    expect(reply.status).toBe(400);
    const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
    expect(error.code).toBe("endpoint_not_supported");
    expect(reply.headers.get("x-langwatch-provider")).toBeNull();
    expect(reply.headers.get("x-langwatch-fallback-count")).toBeNull();
    expect(reply.headers.get("x-langwatch-model")).toBe("text-embedding-3-small");
    expect(recorded).toEqual([]);

    const id = reply.headers.get("x-langwatch-request-id");
    const mine = (lines: Record<string, unknown>[]) => lines.filter((l) => l.request_id === id);
    expect(mine(logLines(log.warn, "provider_attempt_failed"))).toEqual([]);
    expect(mine(logLines(log.info, "provider_skipped")).map((l) => l.provider)).toEqual([groq.name, deepseek.name]);
    expect(mine(logLines(log.info, "request_not_dispatched"))).toEqual([
      expect.objectContaining({ level: "info", status: 400, code: "endpoint_not_supported" }),
    ]);
    expect(mine(logLines(log.info, "request_settled"))).toEqual([]);

    // Its rpm admission was given back: the key's one request a minute is still there.
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(0);
    expect(state.reservations).toEqual([]);
    const chat = await chatSettled(key.secret, { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(chat.status).toBe(200);
    await drainOutbox(key.id);
    expect((await ledgerRows(key.id)).map((r) => r.outcome)).toEqual(["ok"]);
  });

  it("a skipped binding ahead of one that serves is logged as skipped, and the request is settled as usual", async () => {
    const groq = await createProvider({ type: "groq", base_url: `${FAKE_BASE}/v1` });
    const open = await createProvider();
    const key = await createKey({ config: { providers: [groq.name, open.name] } });
    const log = spies();
    const reply = await postSettled("/v1/embeddings", key.secret, { model: "text-embedding-3-small", input: "x" });
    expect(reply.status).toBe(200);
    const id = reply.headers.get("x-langwatch-request-id");
    const mine = (lines: Record<string, unknown>[]) => lines.filter((l) => l.request_id === id);
    expect(mine(logLines(log.info, "provider_skipped")).map((l) => l.provider)).toEqual([groq.name]);
    expect(mine(logLines(log.warn, "provider_attempt_failed"))).toEqual([]);
    expect(mine(logLines(log.info, "request_settled"))).toEqual([expect.objectContaining({ outcome: "ok" })]);
  });
});
