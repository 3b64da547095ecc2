import { describe, expect, it } from "vitest";
import { answer, digest, toolArguments, type Ask } from "../../src/providers/mock/model";
import { exampleValue } from "../../src/providers/mock/schema-value";
import { countTokens, tokenPieces, tokensOf } from "../../src/providers/mock/tokens";

/** The mock provider's parts that need no gateway: its tokenizer, its schema values and its choices. */

describe("the mock's tokenizer", () => {
  it("counts words, numbers and each other mark as one token", () => {
    expect(tokensOf("Hello, world! It's 2025.")).toEqual(["Hello", ",", "world", "!", "It", "'", "s", "2025", "."]);
    expect(countTokens("")).toBe(0);
    expect(countTokens("   \n\t")).toBe(0);
    expect(countTokens('{"city":"mock"}')).toBe(9);
    expect(countTokens("héllo wörld 東京")).toBe(3);
  });

  it("cuts a text into one piece per token that join back to the text", () => {
    for (const text of ["Hello from the Faregate mock provider.", '  {"a": [1, 2]}  ', "x", "naïve café\nnext line "]) {
      const pieces = tokenPieces(text);
      expect(pieces.join("")).toBe(text);
      expect(pieces).toHaveLength(countTokens(text));
    }
    expect(tokenPieces("Hello from")).toEqual(["Hello", " from"]);
    expect(tokenPieces("   ")).toEqual([]);
  });
});

describe("values from a JSON Schema", () => {
  it("prefers const, enum, default and examples, in that order", () => {
    expect(exampleValue({ type: "string", const: "c", enum: ["e"], default: "d" })).toBe("c");
    expect(exampleValue({ type: "string", enum: ["e", "f"], default: "d" })).toBe("e");
    expect(exampleValue({ type: "integer", default: 42, examples: [7] })).toBe(42);
    expect(exampleValue({ type: "integer", examples: [7] })).toBe(7);
  });

  it("fills every property of an object, nested, with local $refs and allOf", () => {
    const schema = {
      type: "object",
      properties: {
        name: { type: "string" },
        when: { type: "string", format: "date-time" },
        tags: { type: "array", items: { type: "string", minLength: 6 } },
        home: { $ref: "#/$defs/place" },
        both: { allOf: [{ properties: { a: { type: "boolean" } } }, { properties: { b: { type: "null" } } }] },
        maybe: { anyOf: [{ type: "null" }, { type: "number", exclusiveMinimum: 2 }] },
        either: { type: ["null", "integer"], minimum: 3, multipleOf: 5 },
      },
      $defs: { place: { type: "object", properties: { city: { type: "string", maxLength: 2 } } } },
    };
    expect(exampleValue(schema)).toEqual({
      name: "mock",
      when: "2025-01-01T00:00:00Z",
      tags: ["mockkk"],
      home: { city: "mo" },
      both: { a: true, b: null },
      maybe: 2.5,
      either: 5,
    });
  });

  it("honours array bounds and numeric bounds", () => {
    expect(exampleValue({ type: "array", items: { type: "integer" }, minItems: 3 })).toEqual([1, 1, 1]);
    expect(exampleValue({ type: "array", items: { type: "integer" }, maxItems: 0 })).toEqual([]);
    expect(exampleValue({ prefixItems: [{ type: "string" }, { type: "boolean" }] })).toEqual(["mock", true]);
    expect(exampleValue({ type: "integer", maximum: -4 })).toBe(-4);
    expect(exampleValue({ type: "integer", exclusiveMaximum: 0 })).toBe(-1);
    expect(exampleValue({ type: "number", minimum: 0.25 })).toBe(0.25);
  });

  it("stops at a $ref that refers to itself, and at refs it cannot follow", () => {
    const tree = {
      $ref: "#/$defs/node",
      $defs: { node: { type: "object", properties: { child: { $ref: "#/$defs/node" } } } },
    };
    let depth = 0;
    for (let v = exampleValue(tree) as { child?: unknown } | null; v && typeof v === "object"; depth++) {
      v = v.child as { child?: unknown } | null;
    }
    expect(depth).toBeGreaterThan(3);
    expect(exampleValue({ $ref: "https://example.com/schema.json" })).toBe("mock");
  });

  it("always gives a tool a JSON object of arguments", () => {
    expect(toolArguments({ name: "t", parameters: undefined })).toBe("{}");
    expect(toolArguments({ name: "t", parameters: { type: "string" } })).toBe("{}");
    expect(toolArguments({ name: "t", parameters: { type: "object", properties: { n: { type: "integer" } } } })).toBe(
      '{"n":1}',
    );
  });
});

describe("what the mock answers", () => {
  const base: Ask = {
    promptTexts: ["Hello"],
    last: { kind: "user", text: "Hello" },
    tools: [],
    toolChoice: { kind: "auto" },
    parallelToolCalls: true,
    maxTokens: null,
    stop: [],
    format: { kind: "text" },
    seed: digest("request"),
  };
  const tools = [
    { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
    { name: "search-web", parameters: { type: "object", properties: {} } },
  ];

  it("is deterministic, and its ids follow the request", () => {
    expect(answer(base)).toEqual(answer(base));
    expect(digest("a")).toMatch(/^[0-9a-f]{24}$/);
    expect(digest("a")).toBe(digest("a"));
    expect(digest("a")).not.toBe(digest("b"));
  });

  it("says length only when the limit cut the answer", () => {
    const whole = answer(base);
    expect(whole).toMatchObject({ kind: "text", finish: "stop", outputTokens: 11, promptTokens: 1 });
    expect(answer({ ...base, maxTokens: 11 })).toMatchObject({ finish: "stop", outputTokens: 11 });
    expect(answer({ ...base, maxTokens: 10 })).toMatchObject({ finish: "length", outputTokens: 10 });
    expect(answer({ ...base, maxTokens: 1 })).toMatchObject({ text: "Hello", finish: "length" });
  });

  it("finds a tool named with spaces for its separators, and none when the prompt asks for none", () => {
    const ask = (text: string) => answer({ ...base, tools, last: { kind: "user", text } });
    expect(ask("please search web for cats")).toMatchObject({ kind: "tools", calls: [{ name: "search-web" }] });
    expect(ask("GET_WEATHER now")).toMatchObject({ kind: "tools", calls: [{ name: "get_weather" }] });
    expect(ask("because I said so")).toMatchObject({ kind: "text" }); // "use" inside a word is not "use"
    expect(ask("recall the weather")).toMatchObject({ kind: "text" });
  });

  it("answers a tool result in words unless a call is forced", () => {
    const last = { kind: "tool" as const, name: "get_weather", text: "sunny" };
    expect(answer({ ...base, tools, last })).toMatchObject({
      kind: "text",
      text: "Hello from the Faregate mock provider. The tool get_weather returned: sunny",
    });
    expect(answer({ ...base, tools, last, toolChoice: { kind: "required" } })).toMatchObject({ kind: "tools" });
    expect(answer({ ...base, tools, last: { kind: "tool", name: null, text: "" } })).toMatchObject({
      text: "Hello from the Faregate mock provider. The tool returned: (nothing)",
    });
  });
});
