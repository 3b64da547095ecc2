import { exports } from "cloudflare:workers";
import { beforeEach, afterEach, describe, expect, it, vi } from "vitest";
import { FAKE_BASE, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { seedKey, seedProvider } from "../helpers/seed";

async function keyFor(scenario = "", models: string[] = []) {
  const name = `fake${scenario ? `-${scenario}` : ""}`;
  await seedProvider({ name, base_url: `${FAKE_BASE}${scenario ? `/s/${scenario}` : ""}/v1`, api_key_secret: "FAKE_OPENAI_KEY", models });
  return seedKey({ config: { providers: [name], fallback: { max_attempts: 3, attempt_timeout_ms: 500 } } });
}

const chat = (secret: string, body: unknown, headers: Record<string, string> = {}) =>
  exports.default.fetch("http://gw/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

describe("POST /v1/chat/completions", () => {
  it("proxies a non-streaming completion with the contract's headers", async () => {
    const { secret } = await keyFor();
    const res = await chat(secret, { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const body = await res.json<{ choices: { message: { content: string } }[] }>();
    expect(body.choices[0]?.message.content).toContain("fake provider");
    expect(res.headers.get("x-langwatch-provider")).toBe("fake");
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
    expect(recorded[0]?.headers.authorization).toBe("Bearer sk-fake-provider-key");
  });

  it("streams, and hides the usage chunk it asked for on the client's behalf", async () => {
    const { secret } = await keyFor();
    const res = await chat(secret, { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(recorded[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(text).not.toContain('"choices":[]');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  });
});
