import * as z from "zod";
import type { ProviderBinding } from "../../contract/bundle";
import { BindingMisconfigured, type CallContext, type ProviderFamily, type ProxyRequest } from "../types";
import { type ChatBody } from "../../contract/wire";

/**
 * The built-in `mock` provider for local development (ENVIRONMENT=development only): answers in
 * process, OpenAI-shaped, streaming and not, with usage, so the gateway works without a provider key.
 */

const encoder = new TextEncoder();

function lastUserText(body: ChatBody): string {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (m?.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (Array.isArray(m.content)) {
      return m.content
        .map((p: unknown) => (typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
        .join(" ");
    }
  }
  return "";
}

function reply(body: ChatBody): { words: string[]; promptTokens: number } {
  const said = lastUserText(body).slice(0, 200);
  const text = `Hello from the Faregate mock provider. You said: ${said || "(nothing)"}`;
  const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : Infinity;
  const words = text.split(" ").slice(0, Math.max(1, maxTokens));
  const promptChars = JSON.stringify(body.messages ?? []).length;
  return { words, promptTokens: Math.max(1, Math.ceil(promptChars / 4)) };
}

function requireDevelopment(binding: ProviderBinding, ctx: CallContext): void {
  if (!ctx.development) {
    throw new BindingMisconfigured(
      `binding ${binding.name} is a mock provider, which exists only when ENVIRONMENT=development`,
    );
  }
}

export const mock: ProviderFamily = {
  format: "openai-chat",
  async send(binding, outgoing, ctx) {
    const body = outgoing.json;
    requireDevelopment(binding, ctx);
    const { words, promptTokens } = reply(body);
    const id = `chatcmpl-mock${Date.now().toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: words.length,
      total_tokens: promptTokens + words.length,
    };
    const finish = words.length < 12 && typeof body.max_tokens === "number" ? "length" : "stop";
    if (!body.stream) {
      return Response.json({
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: words.join(" ") }, finish_reason: finish }],
        usage,
      });
    }
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const base = { id, object: "chat.completion.chunk", created, model: body.model };
    const frames: string[] = [
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      }),
      ...words.map((w, i) =>
        JSON.stringify({
          ...base,
          choices: [{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: null }],
        }),
      ),
      JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] }),
    ];
    if (includeUsage) frames.push(JSON.stringify({ ...base, choices: [], usage }));
    frames.push("[DONE]");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const f of frames) controller.enqueue(encoder.encode(`data: ${f}\n\n`));
        controller.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  },
  proxy: { send: (binding, request, ctx) => proxyToMock(binding, request, ctx) },
};

/** The mock's API root serves one route, `POST /chat/completions`; anything else is its OpenAI-shaped 404 or 400. */
const mockChatBody = z.looseObject({ model: z.string(), stream: z.boolean().optional() });

const mockError = (status: number, message: string): Response =>
  Response.json({ error: { message, type: "invalid_request_error", param: null, code: null } }, { status });

/** A raw passthrough to the mock: its chat completions, streaming and not, from the body as sent. */
async function proxyToMock(binding: ProviderBinding, request: ProxyRequest, ctx: CallContext): Promise<Response> {
  requireDevelopment(binding, ctx);
  if (request.method !== "POST" || request.path !== "/chat/completions") {
    return mockError(
      404,
      `The mock provider has no route ${request.method} ${request.path || "/"}; it serves POST /chat/completions.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(request.body ?? new Uint8Array(0)));
  } catch {
    return mockError(400, "The body is not valid JSON.");
  }
  const parsed = mockChatBody.safeParse(json);
  if (!parsed.success) return mockError(400, "The body must be a JSON object with a string `model`.");
  return mock.send(binding, { json: parsed.data, bytes: request.body ?? "" }, ctx);
}
