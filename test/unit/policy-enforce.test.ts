import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { enforcePolicy } from "../../src/pipeline/check-policy";
import { binding, bundleWith, recordingLogger, target } from "./policy-fixtures";

/** The policy stage over whole bodies of either API's shape: order, params, and the no-rules fast path. */

const main = binding("main", ["gpt-4o-mini"]);
const backup = binding("backup", ["gpt-4o-mini"]);
const TARGETS = [target(main, "gpt-4o-mini"), target(backup, "gpt-4o-mini")];

/** `enableVision` is the gateway's ENABLE_VISION (its default, true, unless a test says otherwise). */
function run(config: Record<string, unknown>, body: unknown, targets = TARGETS, enableVision = true) {
  const ctx = { log: recordingLogger(), meta: { model: targets[0]?.model, attempts: 0 }, config: { enableVision } };
  return { ctx, targets: enforcePolicy(ctx, bundleWith(config, [main, backup]), { body, targets }) };
}

function refusal(config: Record<string, unknown>, body: unknown, targets = TARGETS, enableVision = true): GatewayError {
  try {
    run(config, body, targets, enableVision);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected the policy to refuse the request");
}

/** A body that throws on any look inside: proof that the stage did not walk it. */
const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error("body was read");
    },
    ownKeys: () => {
      throw new Error("body was walked");
    },
    has: () => {
      throw new Error("body was read");
    },
  },
);

const OPENAI_BODY = {
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "Cite https://docs.example.com/guide." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: "https://img.example.net/cat.png" } },
      ],
    },
    { role: "tool", tool_call_id: "c1", content: "fetched http://evil.example.org/payload" },
  ],
  tools: [{ type: "function", function: { name: "fetch_url", parameters: { type: "object" } } }],
};

const ANTHROPIC_BODY = {
  model: "claude-test",
  max_tokens: 64,
  messages: [
    { role: "user", content: "Look this up" },
    { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "browse", input: { q: "x" } }] },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "t1",
          content: [
            { type: "text", text: "see https://evil.example.org/result" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
      ],
    },
  ],
  tools: [{ name: "browse", input_schema: { type: "object" } }],
  mcp_servers: [{ type: "url", url: "https://mcp.example.com/sse", name: "example-mcp" }],
};

describe("a key with no allowlist, no rules and vision on", () => {
  it("returns the targets as they are without reading the body", () => {
    expect(run({}, untouchable).targets).toBe(TARGETS);
  });

  it("rules in one dimension do not make the stage walk the body for another", () => {
    expect(run({ policy_rules: { tools: { deny: ["^x$"] } } }, { tools: [] }).targets).toBe(TARGETS);
    expect(() => run({ models_allowed: ["gpt-*"] }, untouchable)).not.toThrow();
    expect(run({ policy_rules: { models: { deny: ["^nothing$"] } } }, untouchable).targets).toBe(TARGETS);
  });
});

describe("models", () => {
  it("drops refused targets and moves X-LangWatch-Model to the first one kept", () => {
    const only = [target(main, "gpt-4o"), target(backup, "gpt-4o-mini")];
    const { ctx, targets } = run({ models_allowed: ["backup/*"] }, {}, only);
    expect(targets).toEqual([only[1]]);
    expect(ctx.meta.model).toBe("gpt-4o-mini");
    expect(ctx.log.records).toContainEqual(expect.objectContaining({ event: "policy_targets_dropped" }));
  });

  it("is a 403 naming models_allowed when no target remains", () => {
    const err = refusal({ models_allowed: ["claude-*", "o3"] }, {});
    expect(err).toMatchObject({ type: "model_not_allowed", code: "model_not_allowed", param: "model", status: 403 });
    expect(err.message).toContain('The model "gpt-4o-mini" on provider "main"');
    expect(err.message).toContain("models_allowed list (`claude-*`, `o3`)");
    expect(err.message).toContain("GET /v1/models");
  });

  it("is a 403 naming the deny pattern, or the allow list", () => {
    const denied = refusal({ policy_rules: { models: { deny: ["mini$"] } } }, {});
    expect(denied.message).toContain("matches the pattern `mini$` in this key's policy_rules.models deny list");
    const unlisted = refusal({ policy_rules: { models: { allow: ["^o\\d"] } } }, {});
    expect(unlisted.message).toContain(
      "matches none of the patterns in this key's policy_rules.models allow list (`^o\\d`)",
    );
  });

  it("with zero targets (a raw /proxy body) checks nothing about models", () => {
    expect(run({ models_allowed: [] }, {}, []).targets).toEqual([]);
  });
});

describe("tools and MCP servers", () => {
  it("refuses a denied OpenAI tool with its param, and a tool the allow list misses", () => {
    const err = refusal({ policy_rules: { tools: { deny: ["^fetch_"] } } }, OPENAI_BODY);
    expect(err).toMatchObject({ type: "tool_not_allowed", code: "tool_not_allowed", param: "tools[0].function.name" });
    expect(err.message).toContain('The tool "fetch_url" (tools[0].function.name) matches the pattern `^fetch_`');
    expect(err.message).toContain("policy_rules.tools deny list");
    const unlisted = refusal({ policy_rules: { tools: { allow: ["^search$"] } } }, ANTHROPIC_BODY);
    expect(unlisted).toMatchObject({ param: "tools[0].name" });
    expect(unlisted.message).toContain("policy_rules.tools allow list (`^search$`)");
  });

  it("lets allowed tools through", () => {
    expect(run({ policy_rules: { tools: { allow: ["^fetch_url$"], deny: ["^shell"] } } }, OPENAI_BODY).targets).toEqual(
      TARGETS,
    );
  });

  it("refuses a denied MCP server as tool_not_allowed with the mcp list named", () => {
    const err = refusal({ policy_rules: { mcp: { deny: ["^example"] } } }, ANTHROPIC_BODY);
    expect(err).toMatchObject({
      type: "tool_not_allowed",
      code: "mcp_server_not_allowed",
      param: "mcp_servers[0].name",
    });
    expect(err.message).toContain("policy_rules.mcp deny list");
    expect(run({ policy_rules: { mcp: { allow: ["^example-mcp$"] } } }, ANTHROPIC_BODY).targets).toEqual(TARGETS);
  });

  it("checks models before tools, and tools before MCP servers", () => {
    const both = { models_allowed: ["none"], policy_rules: { tools: { deny: ["."] }, mcp: { deny: ["."] } } };
    expect(refusal(both, ANTHROPIC_BODY).type).toBe("model_not_allowed");
    expect(refusal({ policy_rules: { tools: { deny: ["."] }, mcp: { deny: ["."] } } }, ANTHROPIC_BODY).code).toBe(
      "tool_not_allowed",
    );
  });
});

describe("URLs", () => {
  it("finds a denied URL in an OpenAI tool message and points at it", () => {
    const err = refusal({ policy_rules: { urls: { deny: ["evil\\.example"] } } }, OPENAI_BODY);
    expect(err).toMatchObject({ type: "url_not_allowed", code: "url_not_allowed", param: "messages[2].content" });
    expect(err.message).toContain('The URL "http://evil.example.org/payload" (messages[2].content)');
  });

  it("finds a denied URL inside an Anthropic tool_result's content blocks", () => {
    const err = refusal({ policy_rules: { urls: { deny: ["evil\\.example"] } } }, ANTHROPIC_BODY);
    expect(err.param).toBe("messages[2].content[0].content[0].text");
  });

  it("with an allow list, refuses the first URL it does not match, image URLs included", () => {
    const err = refusal(
      { policy_rules: { urls: { allow: ["^https://docs\\.example\\.com/", "^http://evil\\."] } } },
      OPENAI_BODY,
    );
    expect(err.param).toBe("messages[1].content[1].image_url.url");
    expect(err.message).toContain('"https://img.example.net/cat.png"');
    expect(err.message).toContain("policy_rules.urls allow list");
  });

  it("checks URL fields such as mcp_servers[].url, and member names", () => {
    expect(refusal({ policy_rules: { urls: { deny: ["mcp\\.example"] } } }, ANTHROPIC_BODY).param).toBe(
      "mcp_servers[0].url",
    );
    expect(
      refusal({ policy_rules: { urls: { deny: ["k\\.example"] } } }, { metadata: { "https://k.example": 1 } }).param,
    ).toBe("metadata.https://k.example");
  });

  it("passes when every URL is allowed, and ignores data: URLs", () => {
    const body = {
      messages: [
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: "data:image/png;base64,aHR0cHM6Ly9ldmls" } }],
        },
        { role: "user", content: "read https://docs.example.com/a and https://docs.example.com/b" },
      ],
    };
    expect(run({ policy_rules: { urls: { allow: ["^https://docs\\.example\\.com/"] } } }, body).targets).toEqual(
      TARGETS,
    );
  });

  it("is linear on a 100 000-character string against a backtracking-prone pattern", () => {
    const body = { messages: [{ role: "user", content: `https://a.example/${"a".repeat(100_000)}b` }] };
    const err = refusal({ policy_rules: { urls: { allow: ["(a+)+$"] } } }, body);
    expect(err.param).toBe("messages[0].content");
  });
});

describe("vision", () => {
  it("refuses an OpenAI image_url part with its param", () => {
    const err = refusal({ vision: false }, OPENAI_BODY);
    expect(err).toMatchObject({
      type: "invalid_request_error",
      code: "vision_disabled",
      param: "messages[1].content[1]",
    });
    expect(err.status).toBe(400);
    expect(err.message).toContain('"vision": true');
  });

  it("refuses an Anthropic image block inside a tool_result", () => {
    expect(refusal({ vision: false }, ANTHROPIC_BODY).param).toBe("messages[2].content[0].content[1]");
  });

  it("refuses a Responses input_image part", () => {
    const body = {
      model: "gpt-4o-mini",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "hi" },
            { type: "input_image", image_url: "https://a/i.png" },
          ],
        },
      ],
    };
    expect(refusal({ vision: false }, body).param).toBe("input[0].content[1]");
  });

  it("lets text-only bodies through, and images when vision is on", () => {
    expect(run({ vision: false }, { messages: [{ role: "user", content: "an image_url, in words" }] }).targets).toEqual(
      TARGETS,
    );
    expect(run({ policy_rules: { urls: { deny: ["nothing-matches"] } } }, OPENAI_BODY).targets).toEqual(TARGETS);
  });

  it("a key that does not set vision follows ENABLE_VISION; one that sets it overrides it either way", () => {
    expect(run({}, OPENAI_BODY, TARGETS, true).targets).toBe(TARGETS);
    const off = refusal({}, OPENAI_BODY, TARGETS, false);
    expect(off).toMatchObject({ code: "vision_disabled", param: "messages[1].content[1]" });
    expect(off.message).toContain("ENABLE_VISION");
    expect(off.message).toContain('"vision": true');
    expect(refusal({ vision: null }, OPENAI_BODY, TARGETS, false).code).toBe("vision_disabled");
    expect(run({ vision: true }, OPENAI_BODY, TARGETS, false).targets).toEqual(TARGETS);
    const keyOff = refusal({ vision: false }, OPENAI_BODY, TARGETS, true);
    expect(keyOff.message).toContain('("vision": false)');
    expect(keyOff.message).not.toContain("ENABLE_VISION");
  });

  it("with ENABLE_VISION=false, a text-only body still passes without a refusal", () => {
    const text = { messages: [{ role: "user", content: "no pictures" }] };
    expect(run({}, text, TARGETS, false).targets).toEqual(TARGETS);
  });

  it("a refused URL is reported before an image, wherever each is", () => {
    const config = { vision: false, policy_rules: { urls: { deny: ["evil\\.example"] } } };
    expect(refusal(config, OPENAI_BODY).type).toBe("url_not_allowed");
    const clean = { vision: false, policy_rules: { urls: { deny: ["nothing-matches"] } } };
    expect(refusal(clean, OPENAI_BODY).code).toBe("vision_disabled");
  });
});
