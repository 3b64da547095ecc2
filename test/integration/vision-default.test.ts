import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adminCall } from "../helpers/admin";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError } from "../helpers/gateway";
import { chatSettled, keyWithBindings, type SettledReply } from "../helpers/limits";

/**
 * ENABLE_VISION (the Inference Gateway runbook's switch): the gateway-wide default for keys whose
 * config does not set `vision`; a key's own `"vision"` wins either way. Validated like every boolean.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";
const WITH_IMAGE = {
  model: "gpt-4o-mini",
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: PNG } },
      ],
    },
  ],
};
const TEXT_ONLY = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
const errorOf = (reply: SettledReply) => readOpenAIError(new Response(reply.text, { headers: reply.headers }));

describe("ENABLE_VISION=false", () => {
  const OFF = { ENABLE_VISION: "false" };

  it("refuses images for a key that does not set vision, naming ENABLE_VISION, and calls no provider", async () => {
    const { key } = await keyWithBindings([""]);
    expect(key.config).toMatchObject({ vision: null });
    const reply = await chatSettled(key.secret, WITH_IMAGE, OFF);
    expect(reply.status).toBe(400);
    const error = await errorOf(reply);
    expect(error).toMatchObject({
      type: "invalid_request_error",
      code: "vision_disabled",
      param: "messages[0].content[1]",
    });
    expect(error.message).toContain("ENABLE_VISION");
    expect(error.message).toContain(`"vision": true`);
    expect(recorded).toEqual([]);
    expect((await chatSettled(key.secret, TEXT_ONLY, OFF)).status).toBe(200);
  });

  it('lets a key with "vision": true send images; "vision": null falls back to the default again', async () => {
    const { key } = await keyWithBindings([""], { vision: true });
    expect((await chatSettled(key.secret, WITH_IMAGE, OFF)).status).toBe(200);
    const patched = await adminCall(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: { vision: null } } });
    expect(patched.status, patched.text).toBe(200);
    expect((await chatSettled(key.secret, WITH_IMAGE, OFF)).status).toBe(400);
  });
});

describe("ENABLE_VISION unset or true (the default)", () => {
  it("accepts images for a key that does not set vision; a key's own false still refuses them", async () => {
    const { key } = await keyWithBindings([""]);
    expect((await chatSettled(key.secret, WITH_IMAGE)).status).toBe(200);
    expect((await chatSettled(key.secret, WITH_IMAGE, { ENABLE_VISION: "true" })).status).toBe(200);
    expect((await chatSettled(key.secret, WITH_IMAGE, { ENABLE_VISION: "" })).status).toBe(200);
    const { key: blind } = await keyWithBindings([""], { vision: false });
    const reply = await chatSettled(blind.secret, WITH_IMAGE, { ENABLE_VISION: "true" });
    expect(reply.status).toBe(400);
    expect((await errorOf(reply)).message).toContain(`("vision": false)`);
  });
});

describe("a value other than true or false", () => {
  it.each(["True", "1", "yes"])(
    "ENABLE_VISION=%s is a 503 invalid_configuration naming it, and /startupz lists it",
    async (value) => {
      const { key } = await keyWithBindings([""]);
      const reply = await chatSettled(key.secret, TEXT_ONLY, { ENABLE_VISION: value });
      expect(reply.status).toBe(503);
      const error = await errorOf(reply);
      expect(error).toMatchObject({ type: "service_unavailable", code: "invalid_configuration" });
      expect(error.message).toContain(`ENABLE_VISION: must be exactly "true" or "false", got "${value}"`);
      const { response } = await fetchWithEnv(new Request(`${GATEWAY}/startupz`), { ENABLE_VISION: value });
      expect(response.status).toBe(503);
      expect(JSON.stringify(await response.json())).toContain("ENABLE_VISION");
    },
  );
});
