import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearBundleCache } from "../../src/auth/bundle-cache";
import { adminCall } from "../helpers/admin";
import { ANTHROPIC_BODY, anthropicChain, messagesSettled, readAnthropicError } from "../helpers/anthropic";
import { callModels, logLines } from "../helpers/control-plane";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { chatSettled, keyObjectState, keyWithBindings, type SettledReply } from "../helpers/limits";
import { postSettled } from "../helpers/openai-endpoints";
import { seedFakeProvider, seedKey } from "../helpers/seed";

/** Issue 6: `policy_rules` on tools, MCP servers and URLs, on every route, before limits, failing closed. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const errorOf = (reply: SettledReply) => readOpenAIError(new Response(reply.text, { headers: reply.headers }));

const TOOLS_BODY = {
  model: "gpt-4o-mini",
  messages: USER_MESSAGE,
  tools: [
    { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } },
    { type: "function", function: { name: "search_docs", parameters: { type: "object", properties: {} } } },
    { type: "function", function: { name: "shell.exec", parameters: { type: "object", properties: {} } } },
  ],
};

const URL_BODY = {
  model: "gpt-4o-mini",
  messages: [
    { role: "user", content: "Summarise https://docs.example.com/guide" },
    {
      role: "user",
      content: [
        { type: "text", text: "and this" },
        { type: "image_url", image_url: { url: "https://images.example.net/chart.png" } },
      ],
    },
  ],
};

describe("tools on /v1/chat/completions", () => {
  it("a deny pattern refuses the tool with a 403 pointing at it; the provider is not called", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { tools: { deny: ["^shell\\."] } } });
    const reply = await chatSettled(key.secret, TOOLS_BODY);
    expect(reply.status).toBe(403);
    const error = await errorOf(reply);
    expect(error).toMatchObject({
      type: "tool_not_allowed",
      code: "tool_not_allowed",
      param: "tools[2].function.name",
    });
    expect(error.message).toContain('The tool "shell.exec" (tools[2].function.name) matches the pattern `^shell\\.`');
    expect(error.message).toContain("policy_rules.tools deny list");
    expect(error.message).toContain(`faregate vk update ${key.id}`);
    expect(recorded).toHaveLength(0);
  });

  it("an allow list refuses the first tool it does not match, and serves a request whose tools all match", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { tools: { allow: ["^get_", "^search_"] } } });
    const error = await errorOf(await chatSettled(key.secret, TOOLS_BODY));
    expect(error).toMatchObject({ type: "tool_not_allowed", param: "tools[2].function.name" });
    expect(error.message).toContain(
      "matches none of the patterns in this key's policy_rules.tools allow list (`^get_`, `^search_`)",
    );
    const allowed = { ...TOOLS_BODY, tools: TOOLS_BODY.tools.slice(0, 2) };
    expect((await chatSettled(key.secret, allowed)).status).toBe(200);
    expect(recorded).toHaveLength(1);
  });

  it("deny wins over allow", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { tools: { allow: ["^get_"], deny: ["weather"] } } });
    const error = await errorOf(await chatSettled(key.secret, { ...TOOLS_BODY, tools: TOOLS_BODY.tools.slice(0, 1) }));
    expect(error).toMatchObject({ type: "tool_not_allowed", param: "tools[0].function.name" });
    expect(error.message).toContain("`weather`");
  });
});

describe("MCP servers", () => {
  it("a denied server in mcp_servers is a 403 tool_not_allowed naming the mcp list", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { mcp: { deny: ["^internal-"] } } });
    const body = {
      model: "gpt-4o-mini",
      messages: USER_MESSAGE,
      mcp_servers: [
        { type: "url", url: "https://mcp.example.com/sse", name: "public-docs" },
        { type: "url", url: "https://mcp.internal.example/sse", name: "internal-admin" },
      ],
    };
    const error = await errorOf(await chatSettled(key.secret, body));
    expect(error).toMatchObject({
      type: "tool_not_allowed",
      code: "mcp_server_not_allowed",
      param: "mcp_servers[1].name",
    });
    expect(error.message).toContain("policy_rules.mcp deny list");
  });

  it("an allow list on /v1/responses checks `type: mcp` tools by server_label", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { mcp: { allow: ["^deepwiki$"] } } });
    const tool = (label: string) => ({ type: "mcp", server_label: label, server_url: "https://mcp.example.com/mcp" });
    const refused = await postSettled("/v1/responses", key.secret, {
      model: "gpt-4o-mini",
      input: "hi",
      tools: [tool("other")],
    });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ type: "tool_not_allowed", param: "tools[0].server_label" });
    const served = await postSettled("/v1/responses", key.secret, {
      model: "gpt-4o-mini",
      input: "hi",
      tools: [tool("deepwiki")],
    });
    expect(served.status).toBe(200);
  });
});

describe("URLs", () => {
  it("a denied URL anywhere in the body is a 403 with its param, image URLs included", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { urls: { deny: ["images\\.example\\.net"] } } });
    const reply = await chatSettled(key.secret, URL_BODY);
    expect(reply.status).toBe(403);
    const error = await errorOf(reply);
    expect(error).toMatchObject({
      type: "url_not_allowed",
      code: "url_not_allowed",
      param: "messages[1].content[1].image_url.url",
    });
    expect(error.message).toContain('"https://images.example.net/chart.png"');
    expect(error.message).toContain("policy_rules.urls deny list");
  });

  it("an allow list serves a body whose URLs all match, and refuses one that has another", async () => {
    const { key } = await keyWithBindings([""], {
      policy_rules: { urls: { allow: ["^https://docs\\.example\\.com/", "^https://images\\.example\\.net/"] } },
    });
    expect((await chatSettled(key.secret, URL_BODY)).status).toBe(200);
    const other = { model: "gpt-4o-mini", messages: [{ role: "user", content: "fetch http://10.0.0.1/admin now" }] };
    const error = await errorOf(await chatSettled(key.secret, other));
    expect(error).toMatchObject({ type: "url_not_allowed", param: "messages[0].content" });
    expect(error.message).toContain('"http://10.0.0.1/admin"');
  });

  it("a backtracking-prone pattern against a 100 000-character URL answers", async () => {
    const { key } = await keyWithBindings([""], { policy_rules: { urls: { deny: ["(a+)+$"] } } });
    const body = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `https://a.example/${"a".repeat(100_000)}b` }],
    };
    expect((await chatSettled(key.secret, body)).status).toBe(200);
    const matching = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `https://a.example/${"a".repeat(100_000)}` }],
    };
    expect((await chatSettled(key.secret, matching)).status).toBe(403);
  });
});

describe("on /v1/messages, in Anthropic's envelope", () => {
  it("refuses a denied tool, a denied MCP server, and a URL inside a tool_result", async () => {
    const { key } = await anthropicChain([""], {
      policy_rules: { tools: { deny: ["^bash$"] }, mcp: { deny: ["^evil"] }, urls: { deny: ["evil\\.example"] } },
    });
    const tool = await messagesSettled(key.secret, {
      ...ANTHROPIC_BODY,
      tools: [{ name: "bash", input_schema: { type: "object" } }],
    });
    expect(tool.status).toBe(403);
    const toolError = await readAnthropicError(new Response(tool.text, { headers: tool.headers }));
    expect(toolError).toMatchObject({ type: "tool_not_allowed", code: "tool_not_allowed" });
    expect(toolError.message).toContain('The tool "bash" (tools[0].name)');

    const mcp = await messagesSettled(key.secret, {
      ...ANTHROPIC_BODY,
      mcp_servers: [{ type: "url", url: "https://ok.example/sse", name: "evil-one" }],
    });
    const mcpError = await readAnthropicError(new Response(mcp.text, { headers: mcp.headers }));
    expect(mcpError).toMatchObject({ type: "tool_not_allowed", code: "mcp_server_not_allowed" });
    expect(mcpError.message).toContain("policy_rules.mcp deny list");

    const url = await messagesSettled(key.secret, {
      ...ANTHROPIC_BODY,
      messages: [
        { role: "user", content: "look it up" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "browse", input: {} }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "from http://evil.example/x" }] },
          ],
        },
      ],
    });
    expect(url.status).toBe(403);
    const urlError = await readAnthropicError(new Response(url.text, { headers: url.headers }));
    expect(urlError).toMatchObject({ type: "url_not_allowed", code: "url_not_allowed" });
    expect(urlError.message).toContain("(messages[2].content[0].content[0].text)");
    expect(recorded).toHaveLength(0);
  });
});

describe("policy runs before limits", () => {
  it("with rpm 1, two refused requests consume nothing and the next allowed one passes", async () => {
    const { key } = await keyWithBindings([""], {
      rate_limits: { rpm: 1 },
      models_allowed: ["gpt-4o-mini"],
      policy_rules: { tools: { deny: ["^shell\\."] } },
    });
    expect((await chatSettled(key.secret, TOOLS_BODY)).status).toBe(403);
    expect((await chatSettled(key.secret, { model: "o3", messages: USER_MESSAGE })).status).toBe(403);
    expect((await chatSettled(key.secret, { model: "gpt-4o-mini", messages: USER_MESSAGE })).status).toBe(200);
    expect((await keyObjectState(key.id)).windows.rpm.used).toBe(1);
    expect((await chatSettled(key.secret, { model: "gpt-4o-mini", messages: USER_MESSAGE })).status).toBe(429);
  });
});

describe("a pattern that does not compile at request time", () => {
  it("fails closed with a 503 and logs compile_failed, then broken on each request, until the key is fixed", async () => {
    // The admin API refuses such a pattern, so write it to D1 directly.
    const provider = await seedFakeProvider();
    const { secret, id } = await seedKey({
      config: { providers: [provider], policy_rules: { tools: { deny: ["^ok$", "shell(\\."] } } },
    });
    const warn = vi.spyOn(console, "warn");

    const first = await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
    expect(first.status).toBe(503);
    const error = await readOpenAIError(first);
    expect(error).toMatchObject({ type: "service_unavailable", code: "policy_rules_invalid", param: null });
    expect(error.message).toContain("policy_rules.tools.deny[1]");
    expect(error.message).toContain(`/admin/v1/virtual-keys/${id}`);
    const second = await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
    expect(second.status).toBe(503);
    expect((await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE })).status).toBe(503);
    const models = await callModels(secret);
    expect(models.status).toBe(503);
    expect((await readOpenAIError(models)).code).toBe("policy_rules_invalid");
    expect(recorded).toHaveLength(0);

    const failed = logLines(warn, "policy_rules_compile_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ vk_id: id, dimension: "tools", list: "deny", index: 1, pattern: "shell(\\." });
    expect(failed[0]?.request_id).toEqual(expect.stringMatching(/^grq_/));
    expect(String(failed[0]?.error)).not.toBe("");
    const broken = logLines(warn, "policy_rules_broken");
    expect(broken).toHaveLength(3); // two chat requests and GET /v1/models
    expect(broken[0]).toMatchObject({ vk_id: id, dimension: "tools", pattern: "shell(\\." });

    // Fixing it through the admin API makes a new bundle revision, which compiles.
    const patch = await adminCall(`/virtual-keys/${id}`, {
      method: "PATCH",
      body: { config: { policy_rules: { tools: { deny: ["^shell\\."] } } } },
    });
    expect(patch.status, patch.text).toBe(200);
    clearBundleCache();
    expect((await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE })).status).toBe(200);
    expect((await callModels(secret)).status).toBe(200);
    expect(logLines(warn, "policy_rules_broken")).toHaveLength(3);
    expect(logLines(warn, "policy_rules_compile_failed")).toHaveLength(1);
  });
});
