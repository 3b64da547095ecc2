/**
 * The formats requests and answers travel in, and the request bodies every layer passes around.
 */

/** The chat formats a provider family speaks on the wire, translated into one another where they differ. */
export type ChatFormat = "openai-chat" | "anthropic-messages";

/** OpenAI endpoints besides chat that some bindings serve (passed through untranslated to OpenAI-shaped ones). */
export type OpenAIEndpoint = "embeddings" | "responses";

/** Every request and response format the gateway handles: the chat formats and OpenAI's other endpoints. */
export type WireFormat = ChatFormat | "openai-embeddings" | "openai-responses";

/** A request body in some wire format, already validated; fields the gateway does not read pass through. */
export type RequestBody = Record<string, unknown> & { model: string; stream?: boolean };

/** A chat-completions request in OpenAI's shape. */
export type ChatBody = RequestBody;

/** One upstream request: the parsed body (model already the target's) and the exact bytes to send. */
export interface OutgoingBody {
  json: RequestBody;
  /** The client's own bytes when nothing had to change, else `json` serialised. */
  bytes: Uint8Array | string;
}
