import { completion, streamFrames, type ChatRequestLike } from "./openai";
import type { ChatDialect } from "./worker";

/**
 * Azure OpenAI's chat completions as the fake provider speaks them, at
 * /openai/deployments/:deployment/chat/completions. Like Azure it insists on the `api-version` query
 * parameter and on the key in the `api-key` header (a missing key is a 401, in Azure's error shape:
 * `{"error": {"code": "<status>", "message": …}}`), and it adds Azure's content-filter annotations: a
 * stream opens with a chunk whose `choices` is empty and that carries `prompt_filter_results`.
 */

export const AZURE_CHAT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

export const azureError = (status: number, message = `Fake Azure OpenAI error with status ${status}`) => ({
  error: { code: String(status), message },
});

const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: { filtered: false, severity: "safe" },
      self_harm: { filtered: false, severity: "safe" },
      sexual: { filtered: false, severity: "safe" },
      violence: { filtered: false, severity: "safe" },
    },
  },
];

export const AZURE_CHAT: ChatDialect = {
  rejects(request, url) {
    if (!url.searchParams.get("api-version")) {
      return Response.json(
        { error: { code: "BadRequest", message: "The api-version query parameter is missing." } },
        { status: 400 },
      );
    }
    if (!request.headers.get("api-key")) {
      return Response.json(
        azureError(401, "Access denied: send the resource key in the api-key header (fake Azure OpenAI)."),
        { status: 401 },
      );
    }
    return null;
  },
  completion(req: ChatRequestLike, id: string) {
    const base = completion(req, id);
    return {
      ...base,
      prompt_filter_results: PROMPT_FILTER_RESULTS,
      choices: base.choices.map((c) => ({ ...c, content_filter_results: {} })),
    };
  },
  streamFrames(req: ChatRequestLike, id: string) {
    const filterChunk = {
      id: "",
      object: "",
      created: 0,
      model: "",
      choices: [],
      prompt_filter_results: PROMPT_FILTER_RESULTS,
    };
    return [JSON.stringify(filterChunk), ...streamFrames(req, id)];
  },
  error: (status) => azureError(status),
};
