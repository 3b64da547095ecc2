import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../../src/auth/keys";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { gatewayFetch, postChat, readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeProvider, seedKey } from "../helpers/seed";

/** Contract §1 and §4: every way a key can be refused, each a 401 `invalid_api_key` with its own code. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };

async function activeKey(k: Parameters<typeof seedKey>[0] = {}) {
  const provider = await seedFakeProvider();
  const config = { providers: [provider], ...(k.config ?? {}) };
  return seedKey({ ...k, config });
}

async function expect401(res: Response, code: string): Promise<string> {
  expect(res.status).toBe(401);
  expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  expect(res.headers.get("x-langwatch-provider")).toBeNull();
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "invalid_api_key", code, param: null });
  expect(recorded).toHaveLength(0);
  return error.message;
}

describe("401 invalid_api_key", () => {
  it("missing: no key header at all", async () => {
    const message = await expect401(await postChat(null, BODY), "missing_key");
    expect(message).toContain("Authorization: Bearer");
  });

  it("malformed: not a virtual key", async () => {
    const message = await expect401(await postChat("sk-proj-0123456789abcdef", BODY), "malformed_key");
    expect(message).toContain("authorization");
  });

  it("malformed: the display prefix instead of the secret", async () => {
    const { secret } = await activeKey();
    const message = await expect401(await postChat(secret.slice(0, 16), BODY), "malformed_key");
    expect(message).toContain("display prefix");
  });

  it("malformed: quotes around a real key are not trimmed", async () => {
    const { secret } = await activeKey();
    await expect401(await postChat(`"${secret}"`, BODY), "malformed_key");
  });

  it("malformed: Basic auth", async () => {
    await expect401(await postChat(null, BODY, { authorization: `Basic ${btoa("user:pass")}` }), "malformed_key");
  });

  it("unknown: well-formed but never issued, naming only the display prefix", async () => {
    const secret = generateSecret("live");
    const message = await expect401(await postChat(secret, BODY), "unknown_key");
    expect(message).toContain(secret.slice(0, 16));
    expect(message).not.toContain(secret);
  });

  it("unknown: one character off an issued key", async () => {
    const { secret } = await activeKey();
    const other = `${secret.slice(0, 36)}${secret.endsWith("0") ? "1" : "0"}`;
    await expect401(await postChat(other, BODY), "unknown_key");
  });

  it("revoked", async () => {
    const { secret } = await activeKey({ status: "revoked" });
    const message = await expect401(await postChat(secret, BODY), "revoked_key");
    expect(message).toContain("revoked");
    expect(message).not.toContain(secret);
  });

  it("expired", async () => {
    const expiresAt = Date.now() - 60_000;
    const { secret } = await activeKey({ expires_at: expiresAt });
    const message = await expect401(await postChat(secret, BODY), "expired_key");
    expect(message).toContain(new Date(expiresAt).toISOString());
  });

  it("checks the key before the body: no key and bad JSON is a 401, not a 400", async () => {
    await expect401(await postChat(null, "{not json"), "missing_key");
  });

  it("guards GET /v1/models too", async () => {
    await expect401(await gatewayFetch("/v1/models"), "missing_key");
    await expect401(
      await gatewayFetch("/v1/models", { headers: { "x-api-key": generateSecret("test") } }),
      "unknown_key",
    );
  });
});

describe("accepted keys", () => {
  it("serves a key that expires in the future", async () => {
    const { secret } = await activeKey({ expires_at: Date.now() + 3_600_000 });
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(200);
    expect(recorded).toHaveLength(1);
  });

  it.each(["x-api-key", "api-key", "x-goog-api-key"])("accepts the key in %s", async (header) => {
    const { secret } = await activeKey();
    const res = await postChat(null, BODY, { [header]: secret });
    expect(res.status).toBe(200);
  });

  it("never forwards the virtual key to the provider", async () => {
    const { secret } = await activeKey();
    await postChat(null, BODY, { "x-api-key": secret });
    const sent = JSON.stringify(recorded[0]);
    expect(sent).not.toContain(secret);
    expect(recorded[0]?.headers.authorization).toBe("Bearer sk-fake-provider-key");
  });
});
