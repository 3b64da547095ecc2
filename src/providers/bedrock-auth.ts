import { AwsClient } from "aws4fetch";
import type { ProviderBinding } from "../control-plane/bundles";
import type { BedrockSettings } from "./bedrock-settings";
import { requireApiKey } from "./openai-compatible";

/**
 * How a request to Bedrock is authorised. With `settings.access_key_id` the binding's API key is the
 * IAM secret access key, and the request is signed with AWS Signature Version 4 (service `bedrock`,
 * the binding's region) by aws4fetch; otherwise the API key is a Bedrock API key, sent as
 * `Authorization: Bearer`.
 */

/** The SigV4 service name of the Bedrock runtime. */
export const BEDROCK_SIGNING_SERVICE = "bedrock";

export interface BedrockCall {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** The request to send, authorised for the binding (may throw BindingMisconfigured: no key). */
export async function authorizedRequest(
  binding: ProviderBinding,
  settings: BedrockSettings,
  call: BedrockCall,
  env: Env,
): Promise<Request> {
  const key = requireApiKey(binding, env);
  const init = { method: "POST", headers: call.headers, body: call.body };
  if (!settings.access_key_id) {
    return new Request(call.url, { ...init, headers: { ...call.headers, authorization: `Bearer ${key}` } });
  }
  const signer = new AwsClient({
    accessKeyId: settings.access_key_id,
    secretAccessKey: key,
    service: BEDROCK_SIGNING_SERVICE,
    region: settings.region,
    retries: 0,
  });
  return signer.sign(call.url, init);
}
