import type { ProviderBinding } from "../control-plane/bundles";

/** What a provider family needs to make one upstream call. */
export interface CallContext {
  env: Env;
  signal: AbortSignal;
  /** ENVIRONMENT=development: enables the built-in mock provider. */
  development: boolean;
}

/** A chat-completions request in OpenAI's shape, already validated; other fields pass through. */
export type ChatBody = Record<string, unknown> & { model: string; stream?: boolean };

/**
 * One provider family. Families whose API is OpenAI-shaped are declared, not coded (see
 * `openai-compatible.ts`); the others implement the same interface in a module of their own.
 */
export interface ProviderFamily {
  /** Calls the provider's chat-completions endpoint; returns its raw HTTP response. */
  chatCompletions(binding: ProviderBinding, body: ChatBody, ctx: CallContext): Promise<Response>;
}

/** A provider binding that cannot be called as configured (missing key or URL, unknown type). */
export class BindingMisconfigured extends Error {
  override readonly name = "BindingMisconfigured";
}
