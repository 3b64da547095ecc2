import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
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

/**
 * Issue 5, what only the Azure OpenAI family has: the model's deployment from settings.deployments,
 * settings.api_version, Azure's content-filter chunk, and settings checked both when a binding is
 * written and when it is used. What every family must do (the deployment URL with the default
 * api-version and the key in `api-key`, usage, Azure-shaped errors, fallback, broken streams) is
 * the azure row of provider-conformance.test.ts.
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
  it("Azure's content-filter chunk reaches the client first, the answer after it", async () => {
    const azure = await createAzure();
    const key = await keyForChain([azure]);
    const events = parseSse(await (await postChat(key.secret, { ...BODY, stream: true })).text());
    expect(JSON.parse(events[0]?.data ?? "null")).toMatchObject({ choices: [], prompt_filter_results: [{}] });
    expect(streamedContent(events)).toBe(FAKE_REPLY_WORDS.join(" "));
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
