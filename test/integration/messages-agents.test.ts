import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { anthropicChain, readAnthropicError } from "../helpers/anthropic";
import { logLines } from "../helpers/control-plane";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, parseSse } from "../helpers/gateway";
import { keyWithBindings } from "../helpers/limits";

/**
 * What coding agents (Claude Code 2.x) send on /v1/messages besides a plain conversation: `system`
 * turns inside `messages` (with `cache_control`), `thinking: {"type": "adaptive"}`,
 * `context_management`, `output_config`, a list of `anthropic-beta` flags and `?beta=true`. Natively
 * all of it reaches the Anthropic binding untouched; translated, system turns become OpenAI system
 * messages where they stand and what OpenAI cannot honour is dropped with a note. The captured
 * requests of the real agents are replayed end to end in test/e2e/agents.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27";
const marker = { cache_control: { type: "ephemeral" } };

/** A Claude Code turn, reduced to the parts that matter here. */
const AGENT_BODY = {
  model: "claude-test",
  max_tokens: 32_000,
  system: [
    { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197;" },
    { type: "text", text: "You are a coding agent.", ...marker },
  ],
  messages: [
    { role: "user", content: [{ type: "text", text: "Say hi", ...marker }] },
    { role: "system", content: "Available agent types: claude, Explore." },
    { role: "assistant", content: [{ type: "text", text: "Hi." }] },
    { role: "system", content: [{ type: "text", text: "Mid-conversation note.", ...marker }] },
    { role: "user", content: "Again" },
  ],
  tools: [{ name: "Bash", description: "Runs a command", input_schema: { type: "object" } }],
  metadata: { user_id: JSON.stringify({ device_id: "d".repeat(64), account_uuid: "", session_id: "s".repeat(36) }) },
  thinking: { type: "adaptive" },
  context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
  output_config: { effort: "high" },
  stream: true,
};

function postAgent(secret: string, body: unknown, query = "?beta=true"): Promise<Response> {
  return gatewayFetch(`/v1/messages${query}`, {
    method: "POST",
    headers: {
      "x-api-key": secret,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": BETAS,
      "content-type": "application/json",
      "x-app": "cli",
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const streamedText = (text: string) =>
  parseSse(text)
    .filter((e) => e.event === "content_block_delta")
    .map((e) => (JSON.parse(e.data) as { delta: { text?: string } }).delta.text ?? "")
    .join("");

const droppedFor = (spy: { mock: { calls: unknown[][] } }, res: Response) =>
  logLines(spy, "translation_dropped_params").filter((l) => l.request_id === res.headers.get("x-langwatch-request-id"));

describe("on an anthropic binding", () => {
  it("reaches the binding byte for byte, with the beta flags and ?beta=true kept", async () => {
    const { key } = await anthropicChain([""]);
    const sent = JSON.stringify(AGENT_BODY);
    const res = await postAgent(key.secret, sent);
    expect(res.status).toBe(200);
    expect(streamedText(await res.text())).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.path).toBe("/v1/messages");
    expect(recorded[0]?.query).toEqual({ beta: "true" });
    expect(recorded[0]?.headers["anthropic-beta"]).toBe(BETAS);
    expect(recorded[0]?.headers["x-app"]).toBeUndefined(); // only what Anthropic honours is forwarded
    expect(recorded[0]?.raw).toBe(sent);
  });

  it("without ?beta=true, none is added", async () => {
    const { key } = await anthropicChain([""]);
    expect((await postAgent(key.secret, { ...AGENT_BODY, stream: false }, "")).status).toBe(200);
    expect(recorded[0]?.query).toEqual({});
  });

  it("an unknown role is a 400 that names the roles Anthropic takes", async () => {
    const { key } = await anthropicChain([""]);
    const res = await postAgent(key.secret, { ...AGENT_BODY, messages: [{ role: "tool", content: "x" }] });
    expect(res.status).toBe(400);
    const error = await readAnthropicError(res);
    expect(error.message).toMatch(/^messages\[0\]\.role must be one of "user", "assistant", "system"/);
    expect(recorded).toEqual([]);
  });
});

describe("on an OpenAI-shaped binding (Claude Code served by GPT)", () => {
  it("system turns become system messages where they stand; what OpenAI cannot honour is dropped and logged", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await keyWithBindings([""]);
    const res = await postAgent(key.secret, AGENT_BODY);
    expect(res.status).toBe(200);
    expect(streamedText(await res.text())).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(recorded).toHaveLength(1);
    const upstream = recorded[0];
    expect(upstream?.path).toBe("/v1/chat/completions");
    expect(upstream?.query).toEqual({}); // ?beta=true is Anthropic's
    expect(upstream?.headers["anthropic-beta"]).toBeUndefined();
    expect(upstream?.body).toEqual({
      model: "claude-test",
      messages: [
        { role: "system", content: "x-anthropic-billing-header: cc_version=2.1.197;\nYou are a coding agent." },
        { role: "user", content: "Say hi" },
        { role: "system", content: "Available agent types: claude, Explore." },
        { role: "assistant", content: "Hi." },
        { role: "system", content: "Mid-conversation note." },
        { role: "user", content: "Again" },
      ],
      max_tokens: 32_000,
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: "function",
          function: { name: "Bash", description: "Runs a command", parameters: { type: "object" } },
        },
      ],
    });
    expect(droppedFor(info, res)).toEqual([
      expect.objectContaining({
        level: "info",
        dropped:
          "cache_control; metadata.user_id (longer than 64 characters); thinking; context_management; output_config",
      }),
    ]);
  });

  it("a short metadata.user_id still becomes OpenAI's user", async () => {
    const { key } = await keyWithBindings([""]);
    const res = await postAgent(key.secret, { ...AGENT_BODY, stream: false, metadata: { user_id: "user-42" } });
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({ user: "user-42" });
  });

  it("blocks OpenAI has no counterpart for are dropped with a note, the rest of the turn kept", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await keyWithBindings([""]);
    const res = await postAgent(key.secret, {
      model: "claude-test",
      max_tokens: 64,
      messages: [
        { role: "user", content: "Search the web" },
        {
          role: "assistant",
          content: [
            { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "x" } },
            { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
            { type: "text", text: "Found it." },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [
                { type: "text", text: "result" },
                { type: "search_result", source: "https://example.com", title: "t", content: [] },
              ],
            },
            { type: "text", text: "Thanks" },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({
      messages: [
        { role: "user", content: "Search the web" },
        { role: "assistant", content: "Found it." },
        { role: "tool", tool_call_id: "toolu_1", content: "result" },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(droppedFor(info, res)[0]?.dropped).toBe(
      'content blocks of type "server_tool_use"; content blocks of type "web_search_tool_result"; content blocks of type "search_result"',
    );
  });

  it("a block of a known type with the wrong shape is still a 400 naming the field", async () => {
    const { key } = await keyWithBindings([""]);
    const res = await postAgent(key.secret, {
      model: "claude-test",
      max_tokens: 64,
      messages: [{ role: "user", content: [{ type: "text" }] }],
    });
    expect(res.status).toBe(400);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "untranslatable_request" });
    expect(error.message).toMatch(/messages\[0\]\.content\[0\]\.text/);
    expect(recorded).toEqual([]);
  });
});
