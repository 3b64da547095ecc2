import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { Stack } from "./stack";

/** The official clients pointed at a stack's gateway with one of its keys; no SDK retries, so each call is one request. */
export const openaiClient = (stack: Stack, key: string): OpenAI =>
  new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret(key), maxRetries: 0 });

export const anthropicClient = (stack: Stack, key: string): Anthropic =>
  new Anthropic({ baseURL: stack.gatewayUrl(), apiKey: stack.secret(key), maxRetries: 0 });

/** Every chunk of an OpenAI stream, and the error that ended it early (null when it finished). */
export async function collect(
  stream: AsyncIterable<ChatCompletionChunk>,
): Promise<{ chunks: ChatCompletionChunk[]; error: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error };
  }
}

/** The text the chunks of an OpenAI stream add up to. */
export const contentOf = (chunks: ChatCompletionChunk[]): string =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
