/**
 * Reading what an upstream answered, the same way for every call the gateway makes (the chain walk
 * in dispatch.ts, token counts in count-tokens.ts): HTML error pages and bodies that are not JSON are
 * told apart from a provider's JSON answer, which alone may be passed on as the provider's verdict.
 */

export const NOT_JSON = Symbol("not JSON");

/** Whether an answer is an HTML page (a proxy's or load balancer's error page) rather than an API answer. */
export function looksLikeHtml(contentType: string, text: string): boolean {
  return contentType.includes("text/html") || /^\s*<(!doctype|html|head|body)/i.test(text);
}

/** The parsed JSON of an answer's text, or NOT_JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
