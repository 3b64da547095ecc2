import type { ProviderBinding } from "../../contract/bundle";
import { GatewayError } from "../../errors";
import { ulid } from "../../lib/ids";
import { createLogger } from "../../lib/log";
import { converseErrorToOpenAI } from "./converse-error";
import { openAIToConverseRequest, type ConverseCall } from "./converse-request";
import { converseToOpenAIResponse } from "./converse-response";
import { authorizedHeaders, authorizedRequest } from "./auth";
import { bedrockRuntimeRoot, bedrockSettings } from "./settings";
import { openAIStreamFromConverse } from "./stream";
import { endpoint } from "../binding-key";
import { proxyUrl, sendProxied } from "../proxy-request";
import { retryableStatus, type CallContext, type ProviderFamily } from "../types";
import { type OutgoingBody } from "../../contract/wire";

/**
 * AWS Bedrock through the Converse API. The family speaks OpenAI chat to the rest of the gateway:
 * `send` takes an OpenAI chat body, translates it (src/providers/bedrock/converse-request.ts), POSTs it to
 * `{root}/model/{modelId}/converse` or `/converse-stream`, and answers in OpenAI's shapes: a
 * chat.completion, an SSE stream of chat.completion.chunk events (bedrock-stream.ts), or an error in
 * OpenAI's envelope with Bedrock's status and its exception name as `code`. The root is the
 * binding's `base_url`, else the region's runtime endpoint; auth is SigV4 or a Bedrock API key
 * (bedrock-auth.ts, bedrock-settings.ts). The raw passthrough (`/proxy/:provider/*`) sends the
 * client's request under the same root with the same auth, signature over its bytes as they are.
 */

/** Exceptions another binding (another account, region or model) may not share, whatever their status. */
const RETRYABLE_EXCEPTIONS = new Set([
  "ThrottlingException",
  "ServiceQuotaExceededException",
  "ServiceUnavailableException",
  "InternalServerException",
  "ModelTimeoutException",
  "ModelNotReadyException",
  "ModelErrorException",
  "ModelStreamErrorException",
]);

const json = (status: number, body: unknown): Response => Response.json(body, { status });

function errorCode(body: unknown): string | null {
  const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : null;
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : null;
  return typeof code === "string" ? code : null;
}

/** Where the binding's requests for `model` go; streaming requests to ConverseStream. */
export function converseUrl(binding: ProviderBinding, region: string, model: string, stream: boolean): string {
  const path = `/model/${encodeURIComponent(model)}/${stream ? "converse-stream" : "converse"}`;
  return endpoint(binding, path, bedrockRuntimeRoot(region));
}

/** Bedrock's answer to a request that failed, in OpenAI's envelope; HTML and other non-JSON bodies as they came. */
async function errorAnswer(res: Response): Promise<Response> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return new Response(text, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "" },
    });
  }
  const error = converseErrorToOpenAI(res.status, res.headers.get("x-amzn-errortype"), body);
  return json(error.status, error.body);
}

async function send(binding: ProviderBinding, body: OutgoingBody, ctx: CallContext): Promise<Response> {
  const settings = bedrockSettings(binding);
  let translated: ConverseCall;
  try {
    translated = openAIToConverseRequest(body.json);
  } catch (err) {
    // The request cannot be expressed for Bedrock (a remote image URL, say): the client's to fix.
    if (!(err instanceof GatewayError)) throw err;
    return json(err.status, { error: { type: err.type, code: err.code, message: err.message, param: err.param } });
  }
  if (translated.dropped.length > 0) {
    (ctx.log ?? createLogger()).info("translation_dropped_params", {
      provider: binding.name,
      model: translated.model,
      dropped: translated.dropped.join("; "),
    });
  }
  const { stream, includeUsage } = translated;
  const request = await authorizedRequest(
    binding,
    settings,
    {
      method: "POST",
      url: converseUrl(binding, settings.region, translated.model, stream),
      body: JSON.stringify(translated.body),
      headers: {
        "content-type": "application/json",
        accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
      },
    },
    ctx.env,
  );
  const res = await fetch(request, { signal: ctx.signal });
  if (!res.ok) return errorAnswer(res);

  const id = `chatcmpl-${res.headers.get("x-amzn-requestid") ?? ulid()}`;
  const contentType = res.headers.get("content-type") ?? "";
  if (stream) {
    // Anything but an event stream is passed on as it is, for the gateway to refuse.
    if (!contentType.includes("application/vnd.amazon.eventstream") || !res.body) return res;
    return openAIStreamFromConverse(res.body as ReadableStream<Uint8Array>, {
      id,
      model: body.json.model,
      includeUsage,
    });
  }
  const text = await res.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text) as unknown;
  } catch {
    return new Response(text, { status: res.status, headers: { "content-type": contentType } });
  }
  try {
    return json(res.status, converseToOpenAIResponse(answer, { id, model: body.json.model }));
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return json(err.status, { error: { type: "server_error", code: err.code, message: err.message, param: null } });
  }
}

export const bedrock: ProviderFamily = {
  format: "openai-chat",
  send,
  /** `cache_control` markers become cachePoints (converse-request.ts). */
  promptCacheMarkers: true,
  /** Not found, timeouts, rate limits and 5xx, plus the exceptions that mean "not here, not now" (quota: 400; model errors: 424). */
  isRetryable(status, body) {
    const code = errorCode(body);
    return retryableStatus(status) || (code !== null && RETRYABLE_EXCEPTIONS.has(code));
  },
  /** The path goes under the runtime root (`base_url`, else the region's endpoint), signed or with the Bedrock API key. */
  proxy: {
    async send(binding, request, ctx) {
      const settings = bedrockSettings(binding);
      const url = proxyUrl(binding, request, bedrockRuntimeRoot(settings.region));
      const call = { method: request.method, url, headers: request.headers, body: request.body };
      return sendProxied(url, request, await authorizedHeaders(binding, settings, call, ctx.env), ctx.signal);
    },
    /** `/model/{modelId}/converse`, `/invoke`, …: the model id (or inference profile, or ARN), decoded. */
    modelInPath(path) {
      const id = /^\/model\/([^/]+)\//.exec(path)?.[1];
      if (id === undefined) return null;
      try {
        return decodeURIComponent(id);
      } catch {
        return null; // proxyPath already refused a malformed escape
      }
    },
  },
};
