import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import {
  GATEWAY,
  fetchWithEnv,
  parseSse,
  postChat,
  streamedContent,
  USER_MESSAGE,
  type SseEvent,
} from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/**
 * Streaming chat completions: what the client sees, and what the provider was asked, beyond what
 * every family's row of provider-conformance.test.ts checks (the usage chunk hidden or shown, the
 * headers, a stream cut into pieces put back together).
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const REPLY = FAKE_REPLY_WORDS.join(" ");
const streamBody = (extra: object = {}) => ({ model: "gpt-4o-mini", messages: USER_MESSAGE, stream: true, ...extra });

interface UsageChunk {
  choices: unknown[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

const usageChunks = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === null && e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as UsageChunk)
    .filter((c) => c.usage !== null && c.usage !== undefined);

function expectCompleteStream(events: SseEvent[]): void {
  expect(streamedContent(events)).toBe(REPLY);
  expect(events.at(-1)?.data).toBe("[DONE]");
  expect(events.filter((e) => e.event === "error")).toHaveLength(0);
}

describe("usage", () => {
  it("hides the usage chunk when the client said include_usage: false, while asking upstream for it", async () => {
    const { secret } = await seedFakeChain([""]);
    const res = await postChat(secret, streamBody({ stream_options: { include_usage: false } }));
    const events = parseSse(await res.text());
    expectCompleteStream(events);
    expect(usageChunks(events)).toHaveLength(0);
    expect(recorded[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
  });
});

describe("the stream", () => {
  it("reaches the client in whole events, never half of one (split)", async () => {
    const { secret } = await seedFakeChain(["split"]);
    // Straight through the app: no transport between the gateway's stream and this reader.
    const request = new Request(`${GATEWAY}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
      body: JSON.stringify(streamBody()),
    });
    const { response, settled } = await fetchWithEnv(request, {});
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const pieces: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(decoder.decode(r.value));
    await settled();
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) expect(p, JSON.stringify(p)).toMatch(/^data: .*\n\n$/s);
    expectCompleteStream(parseSse(pieces.join("")));
  });

  it("flows as the provider produces it, not all at once (slow-5)", async () => {
    const { secret } = await seedFakeChain(["slow-5"]);
    const res = await postChat(secret, streamBody());
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value);
    expect(first).toMatch(/^data: /);
    expect(first).not.toContain("[DONE]");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += decoder.decode(r.value, { stream: true });
    expectCompleteStream(parseSse(first + rest));
  });

  it("passes the provider's chunks through unchanged", async () => {
    const { secret } = await seedFakeChain([""]);
    const res = await postChat(secret, streamBody({ stream_options: { include_usage: true } }));
    const events = parseSse(await res.text());
    const first = JSON.parse(events[0]?.data ?? "null") as {
      id: string;
      object: string;
      model: string;
      system_fingerprint: string;
    };
    expect(first).toMatchObject({
      object: "chat.completion.chunk",
      model: "gpt-4o-mini",
      system_fingerprint: "fp_fake",
    });
    expect(first.id).toMatch(/^chatcmpl-fake/);
  });
});
