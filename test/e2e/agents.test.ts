import Anthropic from "@anthropic-ai/sdk";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ResponseCreateParamsStreaming } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { FAKE_COUNTED_TOKENS } from "../fake-provider/anthropic";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import type { RecordedRequest } from "../fake-provider/worker";
import { anthropicClient, openaiClient } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * Real coding agents through the gateway, replayed from what they sent: the requests of Claude Code
 * (`claude -p`) and Codex CLI (`codex exec`, `wire_api = "responses"`) captured against a local
 * gateway (test/fixtures/agents/, README there), sent again over real sockets exactly as captured
 * (raw fetch: the same method, path and query, headers, body bytes) and through the official SDKs,
 * to a native binding and, for Claude Code, to an OpenAI-shaped one (Claude Code served by GPT).
 * Each asserts a well-formed, successful answer and what the fake provider received: natively the
 * client's bytes with its `anthropic-beta` flags and `?beta=true`; translated, the system turns as
 * system messages and nothing Anthropic-only.
 *
 * The agents themselves run only on demand (they are 600 MB of native binaries, not dependencies):
 * set FAREGATE_AGENTS_BIN to a directory holding `claude` and `codex` (e.g. the `node_modules/.bin`
 * of `npm install --prefix /tmp/agents @anthropic-ai/claude-code @openai/codex`).
 */

const REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;

interface Fixture {
  description: string;
  agent: { package: string; version: string; command: string };
  request: {
    method: string;
    path: string;
    headers: Record<string, string>;
    /** The header the agent carried its API key in (left out of `headers`). */
    credential_header: "x-api-key" | "authorization";
    /** The body exactly as the agent sent it. */
    body: string;
  };
}

const fixture = (name: string): Fixture =>
  JSON.parse(
    readFileSync(path.join(import.meta.dirname, "..", "fixtures", "agents", `${name}.json`), "utf8"),
  ) as Fixture;

const CLAUDE_MESSAGES = fixture("claude-code-messages");
const CLAUDE_COUNT = fixture("claude-code-count-tokens");
const CLAUDE_COUNT_TOOLS = fixture("claude-code-count-tokens-tools");
const CODEX_RESPONSES = fixture("codex-responses");

const stack = useStack("e2e-agents", FAKE_PROVIDER_KEY, (root) => ({
  project: "e2e-agents",
  providers: [
    { name: "claude", type: "anthropic", base_url: root(""), api_key_secret: FAKE_KEY_SECRET },
    { name: "gpt", type: "openai-compatible", base_url: `${root("")}/v1`, api_key_secret: FAKE_KEY_SECRET },
    { name: "openai", type: "openai", base_url: `${root("")}/v1`, api_key_secret: FAKE_KEY_SECRET },
  ],
  keys: [
    { name: "native", config: { providers: ["claude"] } },
    { name: "translated", config: { providers: ["gpt"] } },
    { name: "codex", config: { providers: ["openai"] } },
    { name: "codex-compatible", config: { providers: ["gpt"] } },
  ],
}));

/** What the fake provider received since the test began, as it records it (test/fake-provider/worker.ts). */
async function upstream(): Promise<RecordedRequest[]> {
  return (await (await fetch(`${stack.fakeUrl()}/__requests`)).json()) as RecordedRequest[];
}

/** Sends a captured request again, byte for byte, with `key`'s secret where the agent had its own. */
function replay(f: Fixture, key: string): Promise<Response> {
  const secret = stack.secret(key);
  const credential = f.request.credential_header === "x-api-key" ? secret : `Bearer ${secret}`;
  return fetch(`${stack.gatewayUrl()}${f.request.path}`, {
    method: f.request.method,
    headers: { ...f.request.headers, [f.request.credential_header]: credential },
    body: f.request.body,
  });
}

interface SseEvent {
  event: string;
  data: string;
}

function sseEvents(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const field = (name: string) =>
        lines
          .filter((l) => l.startsWith(`${name}:`))
          .map((l) => l.slice(name.length + 1).trimStart())
          .join("\n");
      return { event: field("event"), data: field("data") };
    });
}

/** Checks an Anthropic Messages stream is complete and well-formed; returns its text. */
function messagesStreamText(text: string): string {
  const events = sseEvents(text);
  const types = events.map((e) => e.event);
  expect(types[0]).toBe("message_start");
  expect(types.at(-1)).toBe("message_stop");
  expect(types).toContain("message_delta");
  expect(types).not.toContain("error");
  for (const e of events) expect((JSON.parse(e.data) as { type: string }).type).toBe(e.event);
  return events
    .filter((e) => e.event === "content_block_delta")
    .map((e) => (JSON.parse(e.data) as { delta: { text?: string } }).delta.text ?? "")
    .join("");
}

/** An Anthropic client on `key` that notes the URL and the `anthropic-beta` header of every request it sends. */
function watchedAnthropic(key: string): { client: Anthropic; sent: { url: URL; beta: string | null }[] } {
  const sent: { url: URL; beta: string | null }[] = [];
  const client = new Anthropic({
    baseURL: stack.gatewayUrl(),
    apiKey: stack.secret(key),
    maxRetries: 0,
    fetch: (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      sent.push({ url: new URL(request.url), beta: request.headers.get("anthropic-beta") });
      return fetch(request);
    },
  });
  return { client, sent };
}

const bodyOf = <T>(f: Fixture): T => JSON.parse(f.request.body) as T;
const betasOf = (f: Fixture): string[] => (f.request.headers["anthropic-beta"] ?? "").split(",");

interface ClaudeBody {
  model: string;
  messages: { role: string; content: unknown }[];
  system?: unknown;
}

describe("Claude Code's turn (POST /v1/messages?beta=true), replayed byte for byte", () => {
  const sent = bodyOf<ClaudeBody>(CLAUDE_MESSAGES);

  it("the capture is what this file is about: system turns in messages, Claude Code's fields and betas", () => {
    expect(CLAUDE_MESSAGES.request.path).toBe("/v1/messages?beta=true");
    expect(sent.messages.some((m) => m.role === "system")).toBe(true);
    expect(Object.keys(sent)).toEqual(expect.arrayContaining(["thinking", "context_management", "output_config"]));
    expect(betasOf(CLAUDE_MESSAGES).length).toBeGreaterThan(1);
  });

  it("natively: a complete stream, and the binding gets the same bytes, beta flags and ?beta=true", async () => {
    const res = await replay(CLAUDE_MESSAGES, "native");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-langwatch-provider")).toBe("claude");
    expect(messagesStreamText(await res.text())).toBe(REPLY);
    const [call, ...rest] = await upstream();
    expect(rest).toEqual([]);
    expect(call?.path).toBe("/v1/messages");
    expect(call?.query).toEqual({ beta: "true" });
    expect(call?.headers["anthropic-beta"]).toBe(CLAUDE_MESSAGES.request.headers["anthropic-beta"]);
    expect(call?.headers["x-api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(call?.raw).toBe(CLAUDE_MESSAGES.request.body);
  });

  it("translated (Claude Code served by GPT): a complete stream; system turns became system messages in place", async () => {
    const res = await replay(CLAUDE_MESSAGES, "translated");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe("gpt");
    expect(messagesStreamText(await res.text())).toBe(REPLY);
    const [call] = await upstream();
    expect(call?.path).toBe("/v1/chat/completions");
    expect(call?.query).toEqual({});
    expect(call?.headers["anthropic-beta"]).toBeUndefined();
    const body = call?.body as { messages: { role: string }[]; [field: string]: unknown };
    // One system message for the top-level system prompt, then every turn in its order and role.
    expect(body.messages.map((m) => m.role)).toEqual(["system", ...sent.messages.map((m) => m.role)]);
    for (const field of ["thinking", "context_management", "output_config", "metadata"]) {
      expect(body[field], field).toBeUndefined();
    }
    expect(call?.raw).not.toContain("cache_control");
  });
});

describe("Claude Code's turn through @anthropic-ai/sdk (beta.messages.stream with its betas)", () => {
  const params = {
    ...bodyOf<Anthropic.Beta.MessageCreateParamsStreaming>(CLAUDE_MESSAGES),
    betas: betasOf(CLAUDE_MESSAGES),
  };

  it.each([
    ["natively", "native", "/v1/messages"],
    ["translated", "translated", "/v1/chat/completions"],
  ])("%s: the SDK assembles the final message", async (_, key, path) => {
    const { client, sent } = watchedAnthropic(key);
    const final = await client.beta.messages.stream(params).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: REPLY })]);
    expect(final.stop_reason).toBe("end_turn");
    const [call] = await upstream();
    expect(call?.path).toBe(path);
    if (key === "native") {
      // Whatever the SDK put in the query and the beta header (the agent's betas) reaches the binding as it was.
      expect(sent[0]?.beta).toBe(params.betas.join(","));
      expect(call?.query).toEqual(Object.fromEntries(sent[0]?.url.searchParams ?? []));
      expect(call?.headers["anthropic-beta"]).toBe(sent[0]?.beta);
    } else expect(call?.query).toEqual({});
  });
});

describe("Claude Code's token counts (POST /v1/messages/count_tokens?beta=true)", () => {
  it.each([
    ["its probe", CLAUDE_COUNT],
    ["its tools", CLAUDE_COUNT_TOOLS],
  ])("%s, natively: counted by the binding from the same bytes, beta flags and query", async (_, f) => {
    const res = await replay(f, "native");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-token-count")).toBe("provider");
    expect(await res.json()).toEqual({ input_tokens: FAKE_COUNTED_TOKENS });
    const [call] = await upstream();
    expect(call?.path).toBe("/v1/messages/count_tokens");
    expect(call?.query).toEqual({ beta: "true" });
    expect(call?.headers["anthropic-beta"]).toBe(f.request.headers["anthropic-beta"]);
    expect(call?.raw).toBe(f.request.body);
  });

  it.each([
    ["its probe", CLAUDE_COUNT],
    ["its tools", CLAUDE_COUNT_TOOLS],
  ])("%s, on an OpenAI-shaped binding: estimated and marked so, nothing sent upstream", async (_, f) => {
    const res = await replay(f, "translated");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-token-count")).toBe("estimated");
    const { input_tokens } = (await res.json()) as { input_tokens: number };
    const body = bodyOf<ClaudeBody & { tools?: unknown[] }>(f);
    const prompt = [...(body.system === undefined ? [] : [body.system]), ...body.messages, ...(body.tools ?? [])];
    expect(input_tokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(prompt)) / 4));
    expect(await upstream()).toEqual([]);
  });

  it("through the SDK's beta.messages.countTokens, natively and estimated", async () => {
    const params = {
      ...bodyOf<Anthropic.Beta.MessageCountTokensParams>(CLAUDE_COUNT_TOOLS),
      betas: betasOf(CLAUDE_COUNT_TOOLS),
    };
    const { client, sent } = watchedAnthropic("native");
    const native = await client.beta.messages.countTokens(params).withResponse();
    expect(native.data.input_tokens).toBe(FAKE_COUNTED_TOKENS);
    expect(native.response.headers.get("x-langwatch-token-count")).toBe("provider");
    const [call] = await upstream();
    expect(sent[0]?.url.pathname).toBe("/v1/messages/count_tokens");
    expect(sent[0]?.beta).toContain(params.betas.join(","));
    expect(call?.query).toEqual(Object.fromEntries(sent[0]?.url.searchParams ?? []));
    expect(call?.headers["anthropic-beta"]).toBe(sent[0]?.beta);
    const estimated = await anthropicClient(stack, "translated").beta.messages.countTokens(params).withResponse();
    expect(estimated.data.input_tokens).toBeGreaterThan(0);
    expect(estimated.response.headers.get("x-langwatch-token-count")).toBe("estimated");
  });

  it("a count without a valid key is the SDK's AuthenticationError, in Anthropic's envelope", async () => {
    const params = bodyOf<Anthropic.Beta.MessageCountTokensParams>(CLAUDE_COUNT);
    const error = await anthropicClient(stack, "lw_vk_test_00000000000000000000000000")
      .beta.messages.countTokens(params)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, error: { type: "error", error: { type: "invalid_api_key" } } });
    expect(await upstream()).toEqual([]);
  });
});

/** Checks a Responses stream is complete and well-formed (item events included); returns the completed text. */
function responsesStreamText(text: string): string {
  const events = sseEvents(text);
  const types = events.map((e) => e.event);
  expect(types[0]).toBe("response.created");
  expect(types.at(-1)).toBe("response.completed");
  expect(types).toEqual(expect.arrayContaining(["response.output_item.added", "response.output_item.done"]));
  const completed = JSON.parse(events.at(-1)?.data ?? "{}") as {
    response: { output: { content: { text: string }[] }[] };
  };
  return completed.response.output[0]?.content[0]?.text ?? "";
}

describe("Codex's turn (POST /v1/responses, streamed)", () => {
  it.each([
    ["an openai binding", "codex"],
    ["an openai-compatible binding", "codex-compatible"],
  ])("replayed byte for byte to %s: a complete stream, the same bytes upstream", async (_, key) => {
    const res = await replay(CODEX_RESPONSES, key);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(responsesStreamText(await res.text())).toBe(REPLY);
    const [call] = await upstream();
    expect(call?.path).toBe("/v1/responses");
    expect(call?.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
    expect(call?.raw).toBe(CODEX_RESPONSES.request.body);
  });

  it("through the openai SDK's responses.stream: the final response carries the text", async () => {
    const params = bodyOf<ResponseCreateParamsStreaming>(CODEX_RESPONSES);
    const final = await openaiClient(stack, "codex").responses.stream(params).finalResponse();
    expect(final.output_text).toBe(REPLY);
  });

  it("on a key whose chain has only an Anthropic binding: a 400 that says why, nothing sent", async () => {
    const res = await replay(CODEX_RESPONSES, "native");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("endpoint_not_supported");
    expect(body.error.message).toMatch(/Responses API/);
    expect(await upstream()).toEqual([]);
  });
});

/** The directory with the real `claude` and `codex` binaries, when the run asked for them. */
const AGENTS_BIN = process.env.FAREGATE_AGENTS_BIN ?? "";
const haveAgents = AGENTS_BIN !== "" && existsSync(path.join(AGENTS_BIN, "claude"));

/** Runs an agent binary with a hard timeout (it never waits for a prompt: stdin is closed). */
function runAgent(
  bin: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(AGENTS_BIN, bin),
      args,
      { cwd, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe.skipIf(!haveAgents)("the real agents (FAREGATE_AGENTS_BIN)", () => {
  async function home(): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), "faregate-agent-home-"));
  }

  it.each(["native", "translated"])("claude -p on the %s key answers with the fake's reply", async (key) => {
    const dir = await home();
    try {
      const run = await runAgent(
        "claude",
        ["-p", "Say hi"],
        {
          HOME: dir,
          CLAUDE_CONFIG_DIR: path.join(dir, ".claude"),
          ANTHROPIC_BASE_URL: stack.gatewayUrl(),
          ANTHROPIC_API_KEY: stack.secret(key),
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_AUTOUPDATER: "1",
          DISABLE_TELEMETRY: "1",
          DISABLE_ERROR_REPORTING: "1",
        },
        dir,
      );
      expect(run.stdout.trim(), run.stderr).toBe(REPLY);
      expect(run.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("codex exec with a custom provider (wire_api = responses) answers with the fake's reply", async () => {
    const dir = await home();
    try {
      const config = [
        'model = "gpt-5.1-codex"',
        'model_provider = "faregate"',
        "[model_providers.faregate]",
        'name = "Faregate"',
        `base_url = "${stack.gatewayUrl()}/v1"`,
        'env_key = "FAREGATE_KEY"',
        'wire_api = "responses"',
      ].join("\n");
      await writeFile(path.join(dir, "config.toml"), `${config}\n`);
      const run = await runAgent(
        "codex",
        ["exec", "--skip-git-repo-check", "Say hi"],
        { HOME: dir, CODEX_HOME: dir, FAREGATE_KEY: stack.secret("codex") },
        dir,
      );
      expect(run.stdout.trim(), run.stderr).toBe(REPLY);
      expect(run.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
