/**
 * The mock provider's tokenizer: a run of letters, digits and underscores is one token, and so is
 * every other character that is not white space (a punctuation mark, a quote, a brace). It is the
 * only way the mock counts, so the usage it reports always adds up: `completion_tokens` is the number
 * of tokens it sent, `prompt_tokens` the number it read.
 */

const TOKEN = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;
/** A token with the white space before it: joined in order, the pieces of a text are that text. */
const PIECE = /\s*(?:[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_])/gu;

/** How many tokens `text` holds. */
export function countTokens(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(TOKEN)) n++;
  return n;
}

/** The tokens of `text`, in order. */
export const tokensOf = (text: string): string[] => text.match(TOKEN) ?? [];

/**
 * `text` cut into one piece per token, each with the white space before it; white space at the very
 * end goes with the last piece. `tokenPieces(t).length === countTokens(t)`, and the pieces joined are
 * `t` whenever it holds a token (a text of white space only has no piece).
 */
export function tokenPieces(text: string): string[] {
  const out = [...text.matchAll(PIECE)].map((m) => m[0]);
  const used = out.reduce((n, p) => n + p.length, 0);
  if (used < text.length) {
    if (out.length === 0) return [];
    out[out.length - 1] += text.slice(used);
  }
  return out;
}
