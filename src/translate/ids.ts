import { ulid } from "../lib/ids";

/**
 * Ids across the two APIs. A translated id keeps the original's body so a log line can be matched to
 * the provider's: Anthropic `msg_01X` ⇄ OpenAI `chatcmpl-01X`.
 */

const strip = (id: string, prefix: string): string => (id.startsWith(prefix) ? id.slice(prefix.length) : id);

export const completionIdFromMessageId = (id: string): string => `chatcmpl-${strip(id, "msg_")}`;
export const messageIdFromCompletionId = (id: string): string => `msg_${strip(id, "chatcmpl-")}`;

/** Anthropic accepts tool ids of `[a-zA-Z0-9_-]` only; other characters become `_`. */
export const anthropicToolId = (id: string): string => id.replace(/[^a-zA-Z0-9_-]/g, "_") || `toolu_${ulid()}`;

export const freshToolId = (): string => `toolu_${ulid()}`;
export const freshMessageId = (): string => `msg_${ulid()}`;

/** OpenAI's `created`: whole seconds since the epoch. */
export const unixSeconds = (): number => Math.floor(Date.now() / 1000);
