import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §4: a provider failing mid-stream, and a client leaving mid-stream. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const streamBody = { model: "gpt-4o-mini", messages: USER_MESSAGE, stream: true };

describe.each([
  ["drop-after-3", /broke after 3 chunks/],
  ["truncate-after-3", /closed the stream after 3 chunks without finishing/],
])("%s", (scenario, reason) => {
  it("delivers the partial stream, then exactly one terminal error frame, then ends", async () => {
    const { secret } = await seedFakeChain([scenario]);
    const res = await postChat(secret, streamBody);
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = parseSse(text);

    // The three chunks the provider sent (role, "The", " fake"), untouched.
    expect(events.slice(0, 3).every((e) => e.event === null)).toBe(true);
    expect(streamedContent(events.slice(0, 3))).toBe("The fake");
    expect(events.some((e) => e.data === "[DONE]")).toBe(false);

    const errors = events.filter((e) => e.event === "error");
    expect(errors).toHaveLength(1);
    expect(events).toHaveLength(4);
    expect(events[3]).toBe(errors[0]);
    const frame = JSON.parse(errors[0]?.data ?? "null") as { error: { type: string; code: string; message: string } };
    expect(Object.keys(frame)).toEqual(["error"]);
    expect(frame.error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
    expect(frame.error.message).toMatch(reason);
    expect(text.endsWith("\n\n")).toBe(true);
  });
});

describe("client disconnect", () => {
  it("cancels the upstream request when the client stops reading", async () => {
    const { secret } = await seedFakeChain(["slow-20"]);
    const res = await postChat(secret, streamBody);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
    expect(recorded[0]?.aborted).toBe(false);
    await reader.cancel();
    await vi.waitFor(() => expect(recorded[0]?.aborted).toBe(true), { timeout: 2_000, interval: 10 });
  });
});
