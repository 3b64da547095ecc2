import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BODY_LOG_LIMIT, redactCredentials } from "../../src/telemetry/body-log";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { createServingKey } from "../helpers/admin";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, streamedContent } from "../helpers/gateway";
import { sendChat } from "../helpers/limits";
import { seedFakeChain } from "../helpers/seed";

/** Contract §8, LW_LOG_MESSAGE_BODY: bodies in the logs when asked, cut short, never a credential. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

interface BodyLine {
  event: string;
  request_id: string;
  request_body: string;
  response_body: string;
  response_status: number;
  response_body_status: string;
}

function bodyLines(spy: { mock: { calls: unknown[][] } }): BodyLine[] {
  return spy.mock.calls
    .map((args) => String(args[0]))
    .filter((line) => line.includes('"event":"message_bodies"'))
    .map((line) => JSON.parse(line) as BodyLine);
}

const ON = { LW_LOG_MESSAGE_BODY: "true" };
const SECRET_IN_PROMPT = "lw_vk_live_0123456789ABCDEFGHJKMNPQRS";

describe("LW_LOG_MESSAGE_BODY", () => {
  it("is off by default: no body is logged", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await createServingKey();
    const { response, settled } = await sendChat(key.secret, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    await response.text();
    await settled();
    expect(bodyLines(info)).toEqual([]);
  });

  it("logs the request and the JSON answer once, with the request id, credentials redacted", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await createServingKey();
    const prompt = `my key is ${SECRET_IN_PROMPT} and sk-abcdefghijklmnopqrstuvwx`;
    const { response, settled } = await sendChat(
      key.secret,
      { model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] },
      ON,
    );
    const text = await response.text();
    await settled();
    const lines = bodyLines(info);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.request_id).toBe(response.headers.get("x-langwatch-request-id"));
    expect(line.response_status).toBe(200);
    expect(line.response_body).toBe(text);
    expect(line.request_body).toContain("my key is [redacted] and [redacted]");
    expect(JSON.stringify(line)).not.toContain(SECRET_IN_PROMPT);
    expect(JSON.stringify(line)).not.toContain(key.secret);
  });

  it("logs a stream as the client received it, after it ended, without changing it", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await createServingKey();
    const { response, settled } = await sendChat(
      key.secret,
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true },
      ON,
    );
    const text = await response.text();
    await settled();
    expect(streamedContent(parseSse(text))).toBe(FAKE_REPLY_WORDS.join(" "));
    const [line] = bodyLines(info);
    expect(line?.response_body).toBe(text);
    expect(line?.response_body_status).toBe("complete");
  });

  it("still cancels the upstream request when the client leaves, and logs what was sent", async () => {
    const info = vi.spyOn(console, "log");
    const { secret } = await seedFakeChain(["slow-20"]);
    const { response, settled } = await sendChat(
      secret,
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true },
      ON,
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    await reader.cancel();
    await vi.waitFor(() => expect(recorded[0]?.aborted).toBe(true), { timeout: 2_000, interval: 10 });
    await settled();
    const [line] = bodyLines(info);
    expect(line?.response_body_status).toBe("cancelled");
    expect(line?.response_body.startsWith(new TextDecoder().decode(first.value))).toBe(true);
  });

  it("cuts each body at the limit and says how much was left out", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await createServingKey();
    const long = "x".repeat(BODY_LOG_LIMIT * 2);
    const { response, settled } = await sendChat(
      key.secret,
      { model: "gpt-4o-mini", messages: [{ role: "user", content: long }] },
      ON,
    );
    await response.text();
    await settled();
    const [line] = bodyLines(info);
    expect(line?.request_body).toMatch(/… \[\d+ more bytes\]$/);
    expect(line?.request_body.length).toBeLessThan(BODY_LOG_LIMIT + 40);
  });
});

describe("redactCredentials", () => {
  it.each([
    ["a virtual key", "lw_vk_test_ABCDEFGHJKMNPQRSTVWXYZ0123"],
    ["an OpenAI key", "sk-proj-abcdefghijklmnop_qrst"],
    ["an Anthropic key", "sk-ant-api03-abcdefghijklmnopqrstuv"],
    ["an AWS access key id", "AKIAABCDEFGHIJKLMNOP"],
    ["a bearer token", "Bearer abcdefghijklmnopqrstuvwxyz"],
  ])("redacts %s", (_, secret) => {
    expect(redactCredentials(`before ${secret} after`)).toBe("before [redacted] after");
  });

  it("leaves ordinary text alone", () => {
    expect(redactCredentials("ask the sk-team about AKIA and Bearer x")).toBe(
      "ask the sk-team about AKIA and Bearer x",
    );
  });
});
