import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeProvider, seedKey } from "../helpers/seed";

/** Contract §2: alias, provider/model and bare model names; a name that resolves nowhere says what would work. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/** Two bindings: `mini` serves gpt-4o-mini, `big` serves gpt-4o and o3; plus an alias. */
async function twoBindingKey(extra: Record<string, unknown> = {}) {
  const mini = await seedFakeProvider("", ["gpt-4o-mini"]);
  const big = await seedFakeProvider("", ["gpt-4o", "o3"]);
  const key = await seedKey({
    config: { providers: [mini, big], model_aliases: { fast: `${mini}/gpt-4o-mini`, smart: `${big}/o3` }, ...extra },
  });
  return { ...key, mini, big };
}

const chat = (secret: string, model: string) => postChat(secret, { model, messages: USER_MESSAGE });

describe("resolution", () => {
  it("sends an alias to the binding and model it names", async () => {
    const { secret, big } = await twoBindingKey();
    const res = await chat(secret, "smart");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(big);
    expect(res.headers.get("x-langwatch-model")).toBe("o3");
    expect(recorded[0]?.body).toMatchObject({ model: "o3" });
  });

  it("lets an alias win over a model of the same name", async () => {
    const mini = await seedFakeProvider("", ["gpt-4o"]);
    const big = await seedFakeProvider("", ["gpt-4o"]);
    const { secret } = await seedKey({
      config: { providers: [mini, big], model_aliases: { "gpt-4o": `${big}/gpt-4o` } },
    });
    const res = await chat(secret, "gpt-4o");
    expect(res.headers.get("x-langwatch-provider")).toBe(big);
  });

  it("sends provider/model to that binding, even when it is not first in the chain", async () => {
    const { secret, big } = await twoBindingKey();
    const res = await chat(secret, `${big}/gpt-4o`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(big);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(recorded[0]?.body).toMatchObject({ model: "gpt-4o" });
  });

  it("sends a bare model id to the first binding that declares it", async () => {
    const { secret, big } = await twoBindingKey();
    const res = await chat(secret, "gpt-4o");
    expect(res.headers.get("x-langwatch-provider")).toBe(big);
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o");
    expect(recorded).toHaveLength(1);
  });

  it("treats a binding that declares no models as serving any model", async () => {
    const open = await seedFakeProvider();
    const { secret } = await seedKey({ config: { providers: [open] } });
    const res = await chat(secret, "whatever-model-1");
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({ model: "whatever-model-1" });
  });
});

describe("names that resolve nowhere", () => {
  it("is a 400 listing the aliases and provider/model names that would work", async () => {
    const { secret, mini, big } = await twoBindingKey();
    const res = await chat(secret, "gpt-5");
    expect(res.status).toBe(400);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
    expect(error.message).toContain('"gpt-5"');
    for (const name of ["fast", "smart", `${mini}/gpt-4o-mini`, `${big}/gpt-4o`, `${big}/o3`])
      expect(error.message).toContain(name);
    expect(res.headers.get("x-langwatch-provider")).toBeNull();
    expect(recorded).toHaveLength(0);
  });

  it("is a 400 for a provider/model whose binding is not in the chain", async () => {
    const { secret } = await twoBindingKey();
    const res = await chat(secret, "someone-else/gpt-4o");
    expect(res.status).toBe(400);
    expect((await readOpenAIError(res)).code).toBe("model_not_found");
  });

  it("is a 400 naming the missing chain when the key has no providers", async () => {
    const { secret } = await seedKey({ config: { providers: [] } });
    const res = await chat(secret, "gpt-4o-mini");
    expect(res.status).toBe(400);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "no_providers", param: "model" });
    expect(error.message).toContain("providers");
  });

  it("treats a chain of deleted bindings as empty", async () => {
    const { secret } = await seedKey({ config: { providers: ["no-such-binding-x"] } });
    const res = await chat(secret, "gpt-4o-mini");
    expect(res.status).toBe(400);
    expect((await readOpenAIError(res)).code).toBe("no_providers");
  });
});

describe("GET /v1/models", () => {
  it("lists the key's aliases and every declared model in OpenAI's list shape", async () => {
    const { secret, mini, big } = await twoBindingKey();
    const res = await gatewayFetch("/v1/models", { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    const body = await res.json<{
      object: string;
      data: { id: string; object: string; created: number; owned_by: string }[];
    }>();
    expect(body.object).toBe("list");
    expect(body.data.map((m) => m.id).sort()).toEqual(["fast", "gpt-4o", "gpt-4o-mini", "o3", "smart"]);
    for (const m of body.data) expect(m.object).toBe("model");
    const owner = Object.fromEntries(body.data.map((m) => [m.id, m.owned_by]));
    expect(owner).toMatchObject({ "gpt-4o-mini": mini, "gpt-4o": big, o3: big, fast: mini, smart: big });
    expect(recorded).toHaveLength(0);
  });

  it("is an empty list for a key without providers", async () => {
    const { secret } = await seedKey({ config: { providers: [] } });
    const res = await gatewayFetch("/v1/models", { headers: { "x-api-key": secret } });
    expect(await res.json()).toEqual({ object: "list", data: [] });
  });
});
