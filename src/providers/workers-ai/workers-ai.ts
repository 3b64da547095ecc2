import { createParser } from "eventsource-parser";
import type { ProviderBinding } from "../../contract/bundle";
import { GatewayError } from "../../errors";
import { createLogger } from "../../lib/log";
import { workersAIErrorAnswer } from "./errors";
import { openAIToWorkersAIInputs } from "./request";
import { workersAIToOpenAIResponse } from "./response";
import { WorkersAIStreamError, WorkersAIToOpenAIStream } from "./stream";
import type { CallContext, ProviderFamily } from "../types";
import type { ChatBody } from "../../contract/wire";
import { aiBinding, jsonAnswer as json, unreadableAnswer } from "./binding";
import { sendEmbeddings } from "./embeddings";

/**
 * Cloudflare Workers AI through the Worker's AI binding (`env.AI.run(model, inputs, { signal })`), not
 * HTTP: no URL, no key. The family speaks OpenAI's chat format to the pipeline: the request goes to
 * `run` as Workers AI's inputs (translate/workers-ai-request.ts) and what comes back, whichever of
 * Workers AI's two output shapes, is turned into an OpenAI answer: a chat completion, or an SSE stream
 * of chat.completion.chunk events ending in `data: [DONE]` (translate/workers-ai-response.ts and
 * workers-ai-stream.ts). A model that answers a streaming request with a whole output gets it
 * streamed in one go. An error `run` throws becomes an OpenAI error answer with the status its code
 * stands for (translate/workers-ai-errors.ts), so capacity and upstream failures fall back and bad
 * input does not. A stream that breaks, or reports an error, makes the returned stream error, which
 * the gateway ends with its terminal frame.
 *
 * The same binding serves `/v1/embeddings` (`openAIEndpoints`): see workers-ai-embeddings.ts. The
 * binding's settings are read in workers-ai-binding.ts.
 */

export { workersAISettingsSchema } from "./binding";

const encoder = new TextEncoder();

/**
 * The Workers AI stream as the OpenAI stream `translator` writes, event by event. A source that breaks
 * or an event the translator refuses errors the returned stream, after what was already written.
 */
function translateStream(
  source: ReadableStream<Uint8Array>,
  translator: WorkersAIToOpenAIStream,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let failure: unknown = null;
  const parser = createParser({
    onEvent(ev) {
      if (failure === null) pending += translator.push(ev.data);
    },
  });
  const feed = (text: string) => {
    try {
      parser.feed(text);
    } catch (err) {
      failure = err;
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        // Erroring a stream discards what is queued: the text before a failure goes out first, and
        // the failure is raised on the next pull.
        if (failure !== null) {
          if (pending) {
            controller.enqueue(encoder.encode(pending));
            pending = "";
            return;
          }
          await reader.cancel(failure).catch(() => undefined);
          return controller.error(failure);
        }
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          return controller.error(err);
        }
        if (chunk.done) {
          feed(`${decoder.decode()}\n\n`); // an event the source did not close with a blank line
          if (failure !== null) continue;
          pending += translator.end();
          if (pending) controller.enqueue(encoder.encode(pending));
          return controller.close();
        }
        feed(decoder.decode(chunk.value, { stream: true }));
        if (pending) {
          controller.enqueue(encoder.encode(pending));
          pending = "";
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A whole output, streamed in one go (for models that answer a streaming request without a stream). */
function streamOf(result: unknown, translator: WorkersAIToOpenAIStream): ReadableStream<Uint8Array> {
  const text = translator.push(JSON.stringify(result)) + translator.push("[DONE]");
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(text));
      controller.close();
    },
  });
}

async function send(binding: ProviderBinding, body: ChatBody, ctx: CallContext): Promise<Response> {
  const ai = aiBinding(binding, ctx.env);
  const { body: inputs, dropped } = openAIToWorkersAIInputs(body);
  if (dropped.length > 0) {
    (ctx.log ?? createLogger()).info("translation_dropped_params", {
      provider: binding.name,
      model: body.model,
      dropped: dropped.join("; "),
    });
  }
  const maxTokens = typeof inputs.max_tokens === "number" ? inputs.max_tokens : null;
  let result: unknown;
  try {
    result = await ai.run(body.model, inputs, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw err; // the gateway's timeout or the client: dispatch tells which
    const answer = workersAIErrorAnswer(err, body.model);
    return json(answer.body, answer.status);
  }
  try {
    if (body.stream !== true) return json(workersAIToOpenAIResponse(result, { model: body.model, maxTokens }));
    const translator = new WorkersAIToOpenAIStream({
      model: body.model,
      includeUsage: (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      maxTokens,
    });
    const source = result instanceof Response ? result.body : result instanceof ReadableStream ? result : null;
    const stream = source
      ? translateStream(source as ReadableStream<Uint8Array>, translator)
      : streamOf(result, translator);
    return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
  } catch (err) {
    if (err instanceof GatewayError) return unreadableAnswer(err.message);
    if (err instanceof WorkersAIStreamError) {
      return unreadableAnswer(`Workers AI answered ${body.model} with ${err.message}. Retry, or use another provider.`);
    }
    throw err;
  }
}

export const workersAI: ProviderFamily = {
  format: "openai-chat",
  send: (binding, outgoing, ctx) => send(binding, outgoing.json, ctx),
  /** Embeddings: the same `run`, with an embedding model (`@cf/baai/bge-base-en-v1.5`, …). */
  openAIEndpoints: {
    serves: (endpoint) => endpoint === "embeddings",
    send: (_, binding, outgoing, ctx) => sendEmbeddings(binding, outgoing.json, ctx),
  },
};
