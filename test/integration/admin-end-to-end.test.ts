import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adminCall, uniqueName, type CreatedKey, type ProjectReply, type ProviderReply } from "../helpers/admin";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, USER_MESSAGE } from "../helpers/gateway";

/**
 * Issue 3's "done when": with nothing but the admin API, an operator creates a project, a provider
 * binding at an OpenAI-compatible URL with its API key, and a virtual key, and that key serves chat
 * completions through the binding, authenticated upstream with the key the operator gave.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

describe("operator flow through the admin API only", () => {
  it("project → provider with api_key → key → chat completions reach the provider with that api_key", async () => {
    const apiKey = `sk-operator-${uniqueName("key")}`;
    const project = await adminCall<ProjectReply>("/projects", { body: { name: uniqueName("shop") } });
    expect(project.status, project.text).toBe(201);

    const provider = await adminCall<ProviderReply>("/providers", {
      body: {
        name: uniqueName("upstream"),
        type: "openai-compatible",
        base_url: fakeBaseUrl(),
        api_key: apiKey,
        models: ["gpt-4o-mini"],
      },
    });
    expect(provider.status, provider.text).toBe(201);
    expect(provider.text).not.toContain(apiKey);

    const key = await adminCall<CreatedKey>("/virtual-keys", {
      body: {
        project_id: project.body.id,
        name: "checkout service",
        environment: "live",
        config: { providers: [provider.body.name], model_aliases: { fast: `${provider.body.name}/gpt-4o-mini` } },
      },
    });
    expect(key.status, key.text).toBe(201);

    const res = await postChat(key.body.secret, { model: "fast", messages: USER_MESSAGE });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<{ object: string; choices: unknown[] }>();
    expect(body.object).toBe("chat.completion");
    expect(res.headers.get("x-langwatch-provider")).toBe(provider.body.name);
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");

    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(recorded[0]?.path).toBe("/v1/chat/completions");
    expect(JSON.stringify(recorded[0])).not.toContain(key.body.secret);
  });

  it("a new provider api_key set with PATCH is used on the very next call", async () => {
    const provider = await adminCall<ProviderReply>("/providers", {
      body: {
        name: uniqueName("rotating"),
        type: "openai-compatible",
        base_url: fakeBaseUrl(),
        api_key: "sk-first-key-0000",
      },
    });
    const project = await adminCall<ProjectReply>("/projects", { body: { name: uniqueName("p") } });
    const key = await adminCall<CreatedKey>("/virtual-keys", {
      body: {
        project_id: project.body.id,
        name: "k",
        environment: "test",
        config: { providers: [provider.body.name] },
      },
    });
    const call = async () => {
      const res = await postChat(key.body.secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });
      await res.text();
      expect(res.status).toBe(200);
      return recorded.at(-1)?.headers.authorization;
    };
    expect(await call()).toBe("Bearer sk-first-key-0000");
    const patched = await adminCall(`/providers/${provider.body.name}`, {
      method: "PATCH",
      body: { api_key: "sk-second-key-1111" },
    });
    expect(patched.status).toBe(200);
    expect(await call()).toBe("Bearer sk-second-key-1111");
  });

  it("a config change (a new alias) applies on the very next call", async () => {
    const provider = await adminCall<ProviderReply>("/providers", {
      body: {
        name: uniqueName("aliasing"),
        type: "openai-compatible",
        base_url: fakeBaseUrl(),
        api_key_secret: "FAKE_OPENAI_KEY",
      },
    });
    const project = await adminCall<ProjectReply>("/projects", { body: { name: uniqueName("p") } });
    const key = await adminCall<CreatedKey>("/virtual-keys", {
      body: {
        project_id: project.body.id,
        name: "k",
        environment: "test",
        config: { providers: [provider.body.name] },
      },
    });
    const first = await postChat(key.body.secret, { model: "smart", messages: USER_MESSAGE });
    await first.text();
    expect(first.status).toBe(200);
    expect(recorded.at(-1)?.body).toMatchObject({ model: "smart" });
    await adminCall(`/virtual-keys/${key.body.id}`, {
      method: "PATCH",
      body: { config: { model_aliases: { smart: `${provider.body.name}/gpt-4o` } } },
    });
    const second = await postChat(key.body.secret, { model: "smart", messages: USER_MESSAGE });
    await second.text();
    expect(second.status).toBe(200);
    expect(recorded.at(-1)?.body).toMatchObject({ model: "gpt-4o" });
  });
});
