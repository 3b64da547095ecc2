import { AwsV4Signer } from "aws4fetch";
import type { ProviderBinding } from "../../contract/bundle";
import type { BedrockSettings } from "./settings";
import { requireApiKey } from "../binding-key";

/**
 * How a request to Bedrock is authorised, for the family's own calls and for the raw passthrough
 * alike. With `settings.access_key_id` the binding's API key is the IAM secret access key, and the
 * request is signed with AWS Signature Version 4 (service `bedrock`, the binding's region) by
 * aws4fetch; otherwise the API key is a Bedrock API key, sent as `Authorization: Bearer`.
 */

/** The SigV4 service name of the Bedrock runtime. */
export const BEDROCK_SIGNING_SERVICE = "bedrock";

/** One request as it will be sent: the signature covers its method, URL, headers and body bytes. */
export interface BedrockCall {
  method: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string | Uint8Array | null;
}

/**
 * The call's headers with the binding's auth added: `Authorization: Bearer`, or the SigV4
 * `Authorization` and `x-amz-date`. May throw BindingMisconfigured (no key).
 */
export async function authorizedHeaders(
  binding: ProviderBinding,
  settings: BedrockSettings,
  call: BedrockCall,
  env: Env,
): Promise<Record<string, string>> {
  const key = requireApiKey(binding, env);
  if (!settings.access_key_id) return { ...call.headers, authorization: `Bearer ${key}` };
  const signed = await new AwsV4Signer({
    method: call.method,
    url: call.url,
    headers: { ...call.headers },
    body: call.body ?? undefined,
    accessKeyId: settings.access_key_id,
    secretAccessKey: key,
    service: BEDROCK_SIGNING_SERVICE,
    region: settings.region,
  }).sign();
  return Object.fromEntries(signed.headers);
}

/** The request to send, authorised for the binding (may throw BindingMisconfigured: no key). */
export async function authorizedRequest(
  binding: ProviderBinding,
  settings: BedrockSettings,
  call: BedrockCall,
  env: Env,
): Promise<Request> {
  const headers = await authorizedHeaders(binding, settings, call, env);
  return new Request(call.url, { method: call.method, headers, body: call.body });
}
