import { describe, expect, it } from "vitest";
import type { ProviderBinding } from "../../src/contract/bundle";
import { proxyUrl } from "../../src/providers/proxy-request";
import { BindingMisconfigured, type ProxyRequest } from "../../src/providers/types";

/** Where a raw passthrough path goes under a binding's API root: relative to it, or the provider's own API path. */

const binding = (baseUrl: string | null): ProviderBinding => ({
  id: "prv_1",
  name: "b",
  type: "openai-compatible",
  baseUrl,
  apiKeySecret: null,
  apiKey: null,
  models: [],
  prices: {},
  settings: {},
});

const request = (path: string, query = ""): ProxyRequest => ({ method: "POST", path, query, headers: {}, body: null });
const url = (root: string | null, path: string, query = "", fallback?: string) =>
  proxyUrl(binding(root), request(path, query), fallback);

describe("proxyUrl", () => {
  it.each([
    // root, path, upstream
    ["https://api.openai.com/v1", "/chat/completions", "https://api.openai.com/v1/chat/completions"],
    ["https://api.openai.com/v1", "/v1/chat/completions", "https://api.openai.com/v1/chat/completions"],
    ["https://api.openai.com/v1/", "/v1/models", "https://api.openai.com/v1/models"],
    ["https://api.openai.com/v1", "/v1", "https://api.openai.com/v1"],
    ["https://api.openai.com/v1", "", "https://api.openai.com/v1"],
    // Gemini's root: its whole path, or relative to it; a partial overlap without a version is not one.
    [
      "https://generativelanguage.googleapis.com/v1beta/openai",
      "/v1beta/openai/chat/completions",
      "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
    ],
    [
      "https://generativelanguage.googleapis.com/v1beta/openai",
      "/chat/completions",
      "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
    ],
    [
      "https://generativelanguage.googleapis.com/v1beta/openai",
      "/openai/chat/completions",
      "https://generativelanguage.googleapis.com/v1beta/openai/openai/chat/completions",
    ],
    // Groq's root ends in /openai/v1: its own path, or an OpenAI-style /v1 path, or relative.
    ["https://api.groq.com/openai/v1", "/openai/v1/models", "https://api.groq.com/openai/v1/models"],
    ["https://api.groq.com/openai/v1", "/v1/models", "https://api.groq.com/openai/v1/models"],
    ["https://api.groq.com/openai/v1", "/models", "https://api.groq.com/openai/v1/models"],
    // A root without a path (Anthropic, Bedrock, Azure): the path as it is.
    ["https://api.anthropic.com", "/v1/messages", "https://api.anthropic.com/v1/messages"],
    ["http://localhost:11434/v1", "/v1/v1/models", "http://localhost:11434/v1/v1/models"],
    // Segments must match whole: /v10 is not /v1.
    ["https://api.openai.com/v1", "/v10/x", "https://api.openai.com/v1/v10/x"],
    ["https://api.openai.com/v1", "/v1/chat/completions/", "https://api.openai.com/v1/chat/completions/"],
  ])("%s + %s → %s", (root, path, upstream) => {
    expect(url(root, path)).toBe(upstream);
  });

  it("keeps the query and percent-encoding as sent", () => {
    expect(url("https://x.test/v1", "/v1/files/a%2Fb", "?limit=2&x=%20")).toBe(
      "https://x.test/v1/files/a%2Fb?limit=2&x=%20",
    );
  });

  it("uses the family's default root when the binding has none, and refuses a binding with neither or a bad one", () => {
    expect(url(null, "/v1/chat/completions", "", "https://api.openai.com/v1")).toBe(
      "https://api.openai.com/v1/chat/completions",
    );
    expect(() => url(null, "/v1/models")).toThrow(BindingMisconfigured);
    expect(() => url("not a url", "/v1/models")).toThrow(/base_url that is not a URL/);
  });
});
