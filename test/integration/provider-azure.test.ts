import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { azureError } from "../fake-provider/azure";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import {
  adminCall,
  keyForChain,
  createProvider,
  expectInvalid,
  adminFetch,
  uniqueName,
  type ProviderReply,
} from "../helpers/admin";
import { FAKE_PROVIDER_KEY, fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, readOpenAIError, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import { chatSettled, drainOutbox, FAKE_USAGE, ledgerRows } from "../helpers/limits";
import { AZURE_DEFAULT_API_VERSION } from "../../src/providers/openai-shaped/azure";

/**
 * Issue 5, the Azure OpenAI family: deployments under the resource endpoint, `api-version`, the key in
 * `api-key` (never `Authorization`), OpenAI's body and usage, fallback, and settings checked both
 * when a binding is written and when it is used.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };

/** The resource endpoint of a fake Azure resource playing `scenario`. */
const resource = fakeRoot;

function createAzure(fields: Record<string, unknown> = {}): Promise<ProviderReply> {
  return createProvider({ name: uniqueName("azure"), type: "azure", base_url: resource(), ...fields });
}

describe("the request on the wire", () => {
  it("goes to the model's deployment with the default api-version and the key in api-key", async () => {
    const azure = await createAzure();
    const key = await keyForChain([azure]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(azure.name);
    const body = await res.json<{ choices: { message: { content: string } }[] }>();
    expect(body.choices[0]?.message.content).toBe(FAKE_REPLY_WORDS.join(" "));

    expect(recorded).toHaveLength(1);
    const sent = recorded[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.path).toBe("/openai/deployments/gpt-4o-mini/chat/completions");
    expect(sent?.query).toEqual({ "api-version": AZURE_DEFAULT_API_VERSION });
    expect(sent?.headers["api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sent?.headers)).not.toContain(key.secret);
    expect(sent?.body).toMatchObject(BODY);
  });

  it("maps the model to settings.deployments and sends settings.api_version", async () => {
    const azure = await createAzure({
      settings: { api_version: "2025-01-01-preview", deployments: { "gpt-4o-mini": "prod-mini.v2" } },
    });
    const key = await keyForChain([azure]);
    expect((await postChat(key.secret, BODY)).status).toBe(200);
    expect(recorded[0]?.path).toBe("/openai/deployments/prod-mini.v2/chat/completions");
    expect(recorded[0]?.query).toEqual({ "api-version": "2025-01-01-preview" });
  });

  it("a model the map does not list is its own deployment", async () => {
    const azure = await createAzure({ settings: { deployments: { "gpt-4o": "big" } } });
    const key = await keyForChain([azure]);
    expect((await postChat(key.secret, BODY)).status).toBe(200);
    expect(recorded[0]?.path).toBe("/openai/deployments/gpt-4o-mini/chat/completions");
  });

  it("accepts a base_url that already ends in /openai", async () => {
    const azure = await createAzure({ base_url: `${resource()}/openai/` });
    const key = await keyForChain([azure]);
    expect((await postChat(key.secret, BODY)).status).toBe(200);
    expect(recorded[0]?.path).toBe("/openai/deployments/gpt-4o-mini/chat/completions");
  });

  it("the fake resource refuses a request without api-key, in Azure's shape (what the test double checks)", async () => {
    const res = await fetch(`${resource()}/openai/deployments/d/chat/completions?api-version=2024-10-21`, {
      method: "POST",
      headers: { authorization: `Bearer ${FAKE_PROVIDER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(BODY),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "401" } });
  });
});

describe("streaming", () => {
  it("streams the deployment's answer through, Azure's content-filter chunk included", async () => {
    const azure = await createAzure();
    const key = await keyForChain([azure]);
    const res = await postChat(key.secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(await res.text());
    expect(streamedContent(events)).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(events[0]?.data).toContain("prompt_filter_results");
    // The gateway asked for the usage chunk on the client's behalf, and hid it.
    expect(recorded[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events.some((e) => e.data.includes('"usage":{'))).toBe(false);
    expect(recorded[0]?.headers["api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(recorded[0]?.headers.authorization).toBeUndefined();
  });
});

describe("usage", () => {
  it.each([
    ["a JSON answer", false],
    ["a stream", true],
  ])("%s is recorded with its tokens, cache reads included", async (_, stream) => {
    const azure = await createAzure();
    const key = await keyForChain([azure]);
    const reply = await chatSettled(key.secret, { ...BODY, stream });
    expect(reply.status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toMatchObject([
      {
        provider: azure.name,
        model: "gpt-4o-mini",
        input_tokens: FAKE_USAGE.prompt,
        output_tokens: FAKE_USAGE.completion,
        cache_read_tokens: FAKE_USAGE.cached,
        cache_write_tokens: 0,
        outcome: "ok",
      },
    ]);
  });
});

describe("errors and fallback", () => {
  it.each(["status-429", "status-503", "html-502"])("%s moves on to the next binding", async (scenario) => {
    const failing = await createAzure({ base_url: resource(scenario) });
    const healthy = await createAzure();
    const key = await keyForChain([failing, healthy]);
    const res = await postChat(key.secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(healthy.name);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(streamedContent(parseSse(await res.text()))).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(recorded.map((r) => r.scenario)).toEqual([scenario, "ok"]);
  });

  it("a 400 in Azure's shape is final and passed through unchanged", async () => {
    const failing = await createAzure({ base_url: resource("status-400") });
    const healthy = await createAzure();
    const key = await keyForChain([failing, healthy]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-langwatch-provider")).toBe(failing.name);
    expect(await res.json()).toEqual(azureError(400));
    expect(recorded).toHaveLength(1);
  });
});

describe("settings", () => {
  /** Stores `settings` as they are, past the admin API's checks (as an older deployment might have). */
  async function storeSettings(name: string, settings: unknown): Promise<void> {
    await env.DB.prepare("UPDATE providers SET settings = ?, revision = revision + 1 WHERE name = ?")
      .bind(JSON.stringify(settings), name)
      .run();
  }

  it("a bad setting fails the attempt naming the binding and the field, and the next binding serves", async () => {
    const broken = await createAzure();
    await storeSettings(broken.name, { api_version: 20241021 });
    const healthy = await createAzure();
    const key = await keyForChain([broken, healthy]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(healthy.name);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded.map((r) => r.path)).toEqual(["/openai/deployments/gpt-4o-mini/chat/completions"]);
  });

  it("with no other binding, the 502 says which binding and which setting", async () => {
    const broken = await createAzure();
    await storeSettings(broken.name, { deployments: { "gpt-4o-mini": "../../v1/other" } });
    const key = await keyForChain([broken]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(502);
    const error = await readOpenAIError(res);
    expect(error.type).toBe("provider_error");
    expect(error.message).toContain(`binding ${broken.name} (azure) has an invalid settings.deployments.gpt-4o-mini`);
    expect(error.message).toContain("deployment name");
    expect(recorded).toHaveLength(0);
  });

  it.each([
    [
      "an api_version that is not a date",
      { api_version: "latest" },
      "settings.api_version",
      /API version such as 2024-10-21/,
    ],
    ["a non-string api_version", { api_version: 20241021 }, "settings.api_version", /must be a string/],
    ["deployments that is not an object", { deployments: ["a"] }, "settings.deployments", /must be an object/],
    [
      "a deployment name with a slash",
      { deployments: { "gpt-4o": "a/b" } },
      "settings.deployments.gpt-4o",
      /deployment name/,
    ],
  ])("the admin API refuses %s", async (_, settings, param, message) => {
    const res = await adminFetch("/providers", {
      body: {
        name: uniqueName("azure"),
        type: "azure",
        base_url: resource(),
        api_key_secret: "FAKE_OPENAI_KEY",
        settings,
      },
    });
    expect(await expectInvalid(res, param)).toMatch(message);
  });

  it("the admin API checks settings against the type the binding will have after a PATCH", async () => {
    const plain = await createProvider({ settings: { api_version: "latest" } });
    const res = await adminFetch(`/providers/${plain.id}`, { method: "PATCH", body: { type: "azure" } });
    await expectInvalid(res, "settings.api_version");
    const fixed = await adminCall(`/providers/${plain.id}`, {
      method: "PATCH",
      body: { type: "azure", settings: { api_version: "2024-10-21", unpriced: "free" } },
    });
    expect(fixed.status, fixed.text).toBe(200);
  });

  it("an azure binding needs base_url: its resource endpoint", async () => {
    const res = await adminFetch("/providers", {
      body: { name: uniqueName("azure"), type: "azure", api_key_secret: "FAKE_OPENAI_KEY" },
    });
    expect(await expectInvalid(res, "base_url")).toContain("openai.azure.com");
  });
});
