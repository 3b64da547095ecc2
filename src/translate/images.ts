import type { AnthropicSource } from "./schemas/anthropic";
import { untranslatable } from "./invalid";

/** Images and documents: OpenAI's data: or http(s) URLs ⇄ Anthropic's `base64` / `url` sources. */

const DATA_URL = /^data:([^;,]+)((?:;[^;,=]+=[^;,]*)*);base64,(.*)$/s;

/** An OpenAI image URL as an Anthropic image source; `field` names it in the error when it cannot be. */
export function sourceFromUrl(url: string, field: string): AnthropicSource {
  if (url.startsWith("data:")) {
    const m = DATA_URL.exec(url);
    if (!m) throw untranslatable(field, "a data: URL must be base64-encoded (data:<media type>;base64,<data>)");
    return { type: "base64", media_type: (m[1] as string).toLowerCase(), data: m[3] as string };
  }
  if (/^https?:\/\//i.test(url)) return { type: "url", url };
  throw untranslatable(field, "an image URL must be an http(s) URL or a base64 data: URL");
}

/** An Anthropic source as a URL OpenAI accepts. */
export function urlFromSource(source: AnthropicSource, field: string): string {
  switch (source.type) {
    case "base64":
      return `data:${source.media_type};base64,${source.data}`;
    case "url":
      return source.url;
    case "file":
    case "text":
    case "content":
      throw untranslatable(
        `${field}.type`,
        `a "${source.type}" source has no OpenAI equivalent; send base64 data or a URL`,
      );
  }
}
