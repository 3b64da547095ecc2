import type { ProviderBinding } from "../../contract/bundle";
import type { OpenAIEndpoint } from "../../contract/wire";
import { BindingMisconfigured, type CallContext, type ProviderFamily, type ProxyRequest } from "../types";
import { chatCompletion } from "./chat";
import { embeddingsAnswer } from "./embeddings";
import { responsesAnswer } from "./responses";
import { mockError } from "./wire";

/**
 * The built-in `mock` provider for local development (ENVIRONMENT=development only): a small model
 * that answers in process, in OpenAI's wire formats, for any model name. It serves chat completions
 * (and so `/v1/messages`, which the gateway translates to and from chat), the Responses API and
 * embeddings, streaming and not, with tool calls, honest stop reasons and usage, always the same
 * answer to the same request (model.ts says what it answers).
 */

function requireDevelopment(binding: ProviderBinding, ctx: CallContext): void {
  if (!ctx.development) {
    throw new BindingMisconfigured(
      `binding ${binding.name} is a mock provider, which exists only when ENVIRONMENT=development`,
    );
  }
}

const ENDPOINTS: Record<OpenAIEndpoint, (json: unknown) => Response> = {
  embeddings: embeddingsAnswer,
  responses: responsesAnswer,
};

export const mock: ProviderFamily = {
  format: "openai-chat",
  async send(binding, outgoing, ctx) {
    requireDevelopment(binding, ctx);
    return chatCompletion(outgoing.json);
  },
  openAIEndpoints: {
    serves: () => true,
    async send(endpoint, binding, body, ctx) {
      requireDevelopment(binding, ctx);
      return ENDPOINTS[endpoint](body.json);
    },
  },
  proxy: { send: (binding, request, ctx) => proxyToMock(binding, request, ctx) },
};

/** The mock's routes below its API root, as the raw passthrough reaches them. */
const ROUTES: Record<string, (json: unknown) => Response> = {
  "/chat/completions": chatCompletion,
  "/responses": responsesAnswer,
  "/embeddings": embeddingsAnswer,
};

/** A raw passthrough to the mock: its routes, from the body as sent; anything else is its OpenAI-shaped 404 or 400. */
async function proxyToMock(binding: ProviderBinding, request: ProxyRequest, ctx: CallContext): Promise<Response> {
  requireDevelopment(binding, ctx);
  // The mock's API root stands for OpenAI's `…/v1`: the provider's own path (`/v1/chat/completions`,
  // as the runbooks write it) reaches the same route as the one relative to the root.
  const path = request.path.startsWith("/v1/") ? request.path.slice("/v1".length) : request.path;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (request.method !== "POST" || !route) {
    return mockError(
      404,
      `The mock provider has no route ${request.method} ${request.path || "/"}; it serves POST ${Object.keys(ROUTES).join(", ")}.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(request.body ?? new Uint8Array(0)));
  } catch {
    return mockError(400, "The body is not valid JSON; send a JSON object.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return mockError(400, "The body must be a JSON object.");
  }
  return route(json);
}
