import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, gatewayFetch, readOpenAIError, REQUEST_ID } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §4: a body over SERVER_MAX_REQUEST_BODY_BYTES is a 413, decided before authentication. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const DEFAULT_CAP = 33_554_432;
const MiB = 1 << 20;

/** A body stream of `total` bytes in pieces of at most `piece` bytes, with no length known up front. */
function byteStream(total: number, piece = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const block = new Uint8Array(piece).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(piece, total - sent);
      sent += n;
      c.enqueue(n === piece ? block : block.slice(0, n));
    },
  });
  return { stream, pulled: () => sent };
}

const chatRequest = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

async function expect413(res: Response, cap: number): Promise<void> {
  expect(res.status).toBe(413);
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "payload_too_large", code: "payload_too_large", param: null });
  expect(error.message).toContain(String(cap));
  expect(error.message).toContain("SERVER_MAX_REQUEST_BODY_BYTES");
}

describe("at the default cap (33554432 bytes), through the Worker's fetch", () => {
  it("rejects a body that declares its length, before authentication", async () => {
    const res = await gatewayFetch("/v1/chat/completions", { method: "POST", body: new Uint8Array(DEFAULT_CAP + 1) });
    await expect413(res, DEFAULT_CAP);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  });

  it("rejects a streamed body without Content-Length once it passes the cap, and stops reading", async () => {
    const body = byteStream(40 * MiB, MiB);
    const res = await gatewayFetch("/v1/chat/completions", { method: "POST", body: body.stream });
    await expect413(res, DEFAULT_CAP);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(body.pulled()).toBeLessThan(40 * MiB);
  });

  it("answers 413 even with a valid key (the body cap comes first)", async () => {
    const { secret } = await seedFakeChain([""]);
    const res = await gatewayFetch("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
      body: new Uint8Array(DEFAULT_CAP + 1),
    });
    await expect413(res, DEFAULT_CAP);
    expect(recorded).toHaveLength(0);
  });
});

describe("with SERVER_MAX_REQUEST_BODY_BYTES=1024", () => {
  const CAP = { SERVER_MAX_REQUEST_BODY_BYTES: "1024" };

  it("accepts exactly 1024 bytes (then asks for a key) and rejects 1025, with Content-Length", async () => {
    const at = await fetchWithEnv(chatRequest(new Uint8Array(1024)), CAP);
    expect(at.response.status).toBe(401);
    const over = await fetchWithEnv(chatRequest(new Uint8Array(1025)), CAP);
    await expect413(over.response, 1024);
  });

  it("accepts exactly 1024 bytes and rejects 1025, without Content-Length", async () => {
    const at = byteStream(1024, 100);
    const atRequest = chatRequest(at.stream);
    expect(atRequest.headers.get("content-length")).toBeNull();
    expect((await fetchWithEnv(atRequest, CAP)).response.status).toBe(401);

    const over = byteStream(1025, 100);
    const overRequest = chatRequest(over.stream);
    expect(overRequest.headers.get("content-length")).toBeNull();
    await expect413((await fetchWithEnv(overRequest, CAP)).response, 1024);
  });

  it("counts the bytes actually sent, whatever Content-Length claims", async () => {
    const request = chatRequest(byteStream(4096, 512).stream, { "content-length": "10" });
    await expect413((await fetchWithEnv(request, CAP)).response, 1024);
  });

  it("stops reading a streamed body as soon as it passes the cap", async () => {
    const body = byteStream(1_000_000, 256);
    await expect413((await fetchWithEnv(chatRequest(body.stream), CAP)).response, 1024);
    expect(body.pulled()).toBeLessThan(4096);
  });

  it("still applies while the rest of the configuration is broken", async () => {
    const res = (await fetchWithEnv(chatRequest(new Uint8Array(2048)), { ...CAP, LW_GATEWAY_JWT_SECRET: undefined }))
      .response;
    await expect413(res, 1024);
  });

  it("applies to every /v1 route, not just chat completions", async () => {
    const request = new Request(`${GATEWAY}/v1/embeddings`, { method: "POST", body: new Uint8Array(2048) });
    await expect413((await fetchWithEnv(request, CAP)).response, 1024);
  });
});

describe("SERVER_MAX_REQUEST_BODY_BYTES=0", () => {
  it("means the default, not a zero-byte cap", async () => {
    const res = (await fetchWithEnv(chatRequest(new Uint8Array(64 * 1024)), { SERVER_MAX_REQUEST_BODY_BYTES: "0" }))
      .response;
    expect(res.status).toBe(401);
  });
});
