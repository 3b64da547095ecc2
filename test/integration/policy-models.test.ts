import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKey, createProvider } from "../helpers/admin";
import { ANTHROPIC_BODY, anthropicChain, postMessages, readAnthropicError } from "../helpers/anthropic";
import { callModels } from "../helpers/control-plane";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { postSettled } from "../helpers/openai-endpoints";

/** Issue 6: `models_allowed` and `policy_rules.models` on the routes, and GET /v1/models filtered by them. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/** Two bindings: `mini` serves gpt-4o-mini, `big` serves gpt-4o, o3 and gpt-4o-mini; aliases to each. */
async function twoBindingKey(
  config: Record<string, unknown> | ((names: { mini: string; big: string }) => Record<string, unknown>),
) {
  const mini = (await createProvider({ models: ["gpt-4o-mini"] })).name;
  const big = (await createProvider({ models: ["gpt-4o", "o3", "gpt-4o-mini"] })).name;
  const key = await createKey({
    config: {
      providers: [mini, big],
      model_aliases: { fast: `${mini}/gpt-4o-mini`, smart: `${big}/o3`, cheap: "gpt-4o-mini" },
      ...(typeof config === "function" ? config({ mini, big }) : config),
    },
  });
  return { key, mini, big };
}

const chat = (secret: string, model: string) => postChat(secret, { model, messages: USER_MESSAGE });

describe("on /v1/chat/completions", () => {
  it("serves a model models_allowed lists, exactly or by prefix", async () => {
    const { key } = await twoBindingKey({ models_allowed: ["gpt-4o-mini", "o*"] });
    expect((await chat(key.secret, "gpt-4o-mini")).status).toBe(200);
    expect((await chat(key.secret, "smart")).status).toBe(200);
    expect(recorded.map((r) => (r.body as { model: string }).model)).toEqual(["gpt-4o-mini", "o3"]);
  });

  it("refuses a model outside models_allowed with a 403 that names the list, and calls no provider", async () => {
    const { key, big } = await twoBindingKey({ models_allowed: ["gpt-4o-mini", "claude-*"] });
    const res = await chat(key.secret, "gpt-4o");
    expect(res.status).toBe(403);
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o");
    expect(res.headers.get("x-langwatch-provider")).toBeNull();
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "model_not_allowed", code: "model_not_allowed", param: "model" });
    expect(error.message).toContain(`The model "gpt-4o" on provider "${big}" is not in this key's models_allowed list`);
    expect(error.message).toContain("`gpt-4o-mini`, `claude-*`");
    expect(error.message).toContain(`/admin/v1/virtual-keys/${key.id}`);
    expect(recorded).toHaveLength(0);
  });

  it("matches models_allowed against provider/model too, dropping the bindings it does not allow", async () => {
    const { key, mini, big } = await twoBindingKey(({ big }) => ({ models_allowed: [`${big}/*`] }));
    const res = await chat(key.secret, "gpt-4o-mini"); // both serve it; only `big` is allowed
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(big);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(recorded).toHaveLength(1);
    const refused = await readOpenAIError(await chat(key.secret, `${mini}/gpt-4o-mini`));
    expect(refused.type).toBe("model_not_allowed");
  });

  it("refuses on a policy_rules.models deny pattern, even one the allow list also matches", async () => {
    const { key } = await twoBindingKey({ policy_rules: { models: { allow: ["^gpt-"], deny: ["^gpt-4o$"] } } });
    expect((await chat(key.secret, "gpt-4o-mini")).status).toBe(200);
    const denied = await readOpenAIError(await chat(key.secret, "gpt-4o"));
    expect(denied).toMatchObject({ type: "model_not_allowed", param: "model" });
    expect(denied.message).toContain("matches the pattern `^gpt-4o$` in this key's policy_rules.models deny list");
    const unlisted = await readOpenAIError(await chat(key.secret, "smart"));
    expect(unlisted.message).toContain(
      "matches none of the patterns in this key's policy_rules.models allow list (`^gpt-`)",
    );
  });

  it("a fallback target the policy refuses is never tried", async () => {
    const first = (await createProvider({ base_url: fakeBaseUrl("status-500") })).name;
    const second = (await createProvider()).name;
    const key = await createKey({
      config: {
        providers: [first, second],
        policy_rules: { models: { deny: [`^${second}/`] } },
        fallback: { max_attempts: 3, attempt_timeout_ms: 1_000 },
      },
    });
    const res = await chat(key.secret, "gpt-4o-mini");
    expect(res.status).toBe(502);
    expect(res.headers.get("x-langwatch-provider")).toBe(first);
    expect(recorded).toHaveLength(1);
  });
});

describe("on the other routes", () => {
  it("/v1/messages refuses in Anthropic's envelope", async () => {
    const { key } = await anthropicChain([""], { models_allowed: ["claude-opus-*"] });
    const res = await postMessages(key.secret, ANTHROPIC_BODY);
    expect(res.status).toBe(403);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "model_not_allowed", code: "model_not_allowed" });
    expect(error.message).toContain('The model "claude-test"');
    expect(error.message).toContain("`claude-opus-*`");
    expect(recorded).toHaveLength(0);
  });

  it("/v1/embeddings and /v1/responses refuse a model the key may not call", async () => {
    const { key } = await twoBindingKey({ models_allowed: ["gpt-4o-mini"] });
    for (const [path, body] of [
      ["/v1/embeddings", { model: "o3", input: "hello" }],
      ["/v1/responses", { model: "o3", input: "hello" }],
    ] as const) {
      const reply = await postSettled(path, key.secret, body);
      expect(reply.status, path).toBe(403);
      const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
      expect(error.type).toBe("model_not_allowed");
    }
    expect((await postSettled("/v1/embeddings", key.secret, { model: "gpt-4o-mini", input: "hi" })).status).toBe(200);
    expect(recorded).toHaveLength(1);
  });
});

describe("GET /v1/models", () => {
  const ids = async (secret: string) => {
    const res = await callModels(secret);
    expect(res.status).toBe(200);
    const body = await res.json<{ object: string; data: { id: string; owned_by: string }[] }>();
    expect(body.object).toBe("list");
    return Object.fromEntries(body.data.map((m) => [m.id, m.owned_by]));
  };

  it("lists every alias and model when nothing restricts the key", async () => {
    const { key, mini, big } = await twoBindingKey({});
    expect(await ids(key.secret)).toEqual({
      fast: mini,
      smart: big,
      cheap: mini,
      "gpt-4o-mini": mini,
      "gpt-4o": big,
      o3: big,
    });
  });

  it("lists only what models_allowed lets the key call", async () => {
    const { key, big } = await twoBindingKey(({ big }) => ({ models_allowed: ["o3", `${big}/gpt-4o-mini`] }));
    // gpt-4o-mini and `cheap` are served by `big` only; `fast` names `mini` and is gone.
    expect(await ids(key.secret)).toEqual({ smart: big, cheap: big, "gpt-4o-mini": big, o3: big });
  });

  it("lists only what policy_rules.models lets the key call", async () => {
    const { key, mini } = await twoBindingKey({ policy_rules: { models: { allow: ["mini"], deny: ["^o"] } } });
    expect(await ids(key.secret)).toEqual({ fast: mini, cheap: mini, "gpt-4o-mini": mini });
  });

  it("is an empty list when the key may call nothing", async () => {
    const { key } = await twoBindingKey({ models_allowed: [] });
    expect(await callModels(key.secret).then((r) => r.json())).toEqual({ object: "list", data: [] });
  });
});
