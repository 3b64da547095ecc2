import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { ProviderBinding } from "../../src/contract/bundle";
import { lookupPrice } from "../../src/pricing";
import { bedrock, converseUrl } from "../../src/providers/bedrock/bedrock";
import { authorizedHeaders, authorizedRequest } from "../../src/providers/bedrock/auth";
import { bedrockSettings, bedrockSettingsSchema } from "../../src/providers/bedrock/settings";
import { BindingMisconfigured } from "../../src/providers/types";

/** The Bedrock family's pieces that need no upstream: settings, URLs, auth headers, retry rules, prices. */

function binding(fields: Partial<ProviderBinding> = {}): ProviderBinding {
  return {
    id: "prv_1",
    name: "bedrock-main",
    type: "bedrock",
    baseUrl: null,
    apiKeySecret: null,
    apiKey: "secret-key",
    models: [],
    prices: {},
    settings: { region: "us-west-2" },
    ...fields,
  };
}

const env = {} as Env;
const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";

describe("settings", () => {
  it.each([
    [{ region: "us-east-1" }],
    [{ region: "eu-central-2", access_key_id: "AKIAIOSFODNN7EXAMPLE" }],
    [{ region: "us-gov-west-1", unpriced: "free" }],
  ])("accepts %j", (settings) => {
    expect(bedrockSettingsSchema.safeParse(settings).success).toBe(true);
  });

  it.each([
    [{}, "region", /expected string/],
    [{ region: "US East" }, "region", /AWS region such as us-east-1/],
    [{ region: "us-east-1", access_key_id: "akia-lower" }, "access_key_id", /access key id/],
    [{ region: "us-east-1", secret_access_key: "x" }, "secret_access_key", /stored unencrypted.*api_key/],
    [{ region: "us-east-1", session_token: "x" }, "session_token", /session token are not supported/],
  ])("refuses %j at %s", (settings, field, message) => {
    const result = bedrockSettingsSchema.safeParse(settings);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });

  it("a binding with bad settings fails as misconfigured, naming the binding and the field", () => {
    expect(() => bedrockSettings(binding({ settings: {} }))).toThrow(BindingMisconfigured);
    expect(() => bedrockSettings(binding({ settings: { region: 5 } }))).toThrow(
      /binding bedrock-main \(bedrock\) has an invalid settings.region: it is missing or not a string/,
    );
  });
});

describe("converseUrl", () => {
  it("is the region's runtime endpoint, the model id URL-encoded", () => {
    expect(converseUrl(binding(), "us-west-2", MODEL, false)).toBe(
      "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
    );
  });

  it("streams go to converse-stream, under the binding's base_url when it has one", () => {
    const url = converseUrl(binding({ baseUrl: "https://vpce.example.com/" }), "us-west-2", "arn:aws:x/y", true);
    expect(url).toBe("https://vpce.example.com/model/arn%3Aaws%3Ax%2Fy/converse-stream");
  });
});

describe("authorizedRequest", () => {
  const call = {
    method: "POST",
    url: converseUrl(binding(), "us-west-2", MODEL, false),
    body: "{}",
    headers: { accept: "x" },
  };

  it("without access_key_id, sends the key as a bearer token and signs nothing", async () => {
    const req = await authorizedRequest(binding(), { region: "us-west-2" }, call, env);
    expect(req.headers.get("authorization")).toBe("Bearer secret-key");
    expect(req.headers.get("x-amz-date")).toBeNull();
    expect(req.method).toBe("POST");
    expect(await req.text()).toBe("{}");
  });

  it("with access_key_id, signs with SigV4 for bedrock in the binding's region", async () => {
    const req = await authorizedRequest(
      binding(),
      { region: "us-west-2", access_key_id: "AKIAIOSFODNN7EXAMPLE" },
      call,
      env,
    );
    const date = req.headers.get("x-amz-date") ?? "";
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(req.headers.get("authorization")).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/${date.slice(0, 8)}/us-west-2/bedrock/aws4_request, ` +
          "SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$",
      ),
    );
    expect(req.headers.get("authorization")).not.toContain("secret-key");
    expect(req.url).toBe(call.url);
  });

  it("the signature covers the method, the query and the body bytes, whatever they are", async () => {
    const settings = { region: "us-west-2", access_key_id: "AKIAIOSFODNN7EXAMPLE" };
    const bytes = new TextEncoder().encode('{ "odd" :  "sp\u00e9cing" }');
    const url = "https://bedrock-runtime.us-west-2.amazonaws.com/model/m%3A0/converse?x=1&a=b";
    const headers = await authorizedHeaders(binding(), settings, { method: "PUT", url, headers: {}, body: bytes }, env);
    const datetime = headers["x-amz-date"] ?? "";
    const expected = (method: string, body: Uint8Array | undefined, at = url) =>
      new AwsV4Signer({
        method,
        url: at,
        headers: {},
        body,
        accessKeyId: settings.access_key_id,
        secretAccessKey: "secret-key",
        service: "bedrock",
        region: "us-west-2",
        datetime,
      }).authHeader();
    expect(headers.authorization).toBe(await expected("PUT", bytes));
    expect(headers.authorization).not.toBe(await expected("POST", bytes));
    expect(headers.authorization).not.toBe(await expected("PUT", bytes.slice(1)));
    expect(headers.authorization).not.toBe(await expected("PUT", bytes, url.replace("x=1", "x=2")));

    const get = await authorizedHeaders(binding(), settings, { method: "GET", url, headers: {}, body: null }, env);
    expect(get.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
  });

  it("a binding without a key is misconfigured, with how to give it one", async () => {
    await expect(authorizedRequest(binding({ apiKey: null }), { region: "us-west-2" }, call, env)).rejects.toThrow(
      /has no API key: give it api_key or api_key_secret/,
    );
  });
});

describe("isRetryable", () => {
  const retryable = bedrock.isRetryable?.bind(bedrock) ?? (() => false);
  const body = (code: string) => ({ error: { type: "x", code, message: "m", param: null } });

  it.each([
    [429, "ThrottlingException", true],
    [503, "ServiceUnavailableException", true],
    [500, "InternalServerException", true],
    [408, "ModelTimeoutException", true],
    [404, "ResourceNotFoundException", true],
    [424, "ModelErrorException", true],
    [400, "ServiceQuotaExceededException", true],
    [400, "ValidationException", false],
    [403, "AccessDeniedException", false],
    [400, "untranslatable_request", false],
  ])("HTTP %i %s: %s", (status, code, expected) => {
    expect(retryable(status, body(code))).toBe(expected);
  });
});

describe("prices", () => {
  const priced = (model: string) => lookupPrice(binding(), model);

  it("come from the catalogue for a model id", () => {
    expect(priced(MODEL)).toMatchObject({
      source: "catalogue",
      inputMicrosPerMtok: 800_000,
      outputMicrosPerMtok: 4_000_000,
    });
  });

  it.each([
    `us.${MODEL}`,
    `eu.${MODEL}`,
    `global.${MODEL}`,
    `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${MODEL}`,
  ])("a cross-region inference profile %s is priced as its model", (model) => {
    expect(priced(model)).toEqual(priced(MODEL));
  });

  it("an unknown model has no price", () => {
    expect(priced("example.unknown-model-v1:0")).toBeNull();
  });
});
