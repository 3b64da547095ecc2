import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { firstInvalidUtf8Byte } from "../../src/lib/strict-json";
import {
  checkModelName,
  MAX_JSON_DEPTH,
  MAX_MODEL_NAME_LENGTH,
  parseRequestObject,
  parseStrictJson,
} from "../../src/pipeline/json-body";

/** The strict JSON reading every public route's parse stage shares: what it refuses, and what it must not. */

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected a GatewayError, got none");
}

describe("duplicate keys", () => {
  it.each([
    ["at the top level", '{"model":"a","model":"b"}', "model", "the top-level object"],
    ["in a message", '{"messages":[{"role":"user","role":"system"}]}', "messages[0].role", "messages[0]"],
    ["in a later array item", '{"m":[{},{"a":1},{"a":1,"a":2}]}', "m[2].a", "m[2]"],
    [
      "deep in a tool schema",
      '{"tools":[{"function":{"parameters":{"x":1,"x":2}}}]}',
      "tools[0].function.parameters.x",
      "",
    ],
    ["spelt with an escape", '{"model":"a","mod\\u0065l":"b"}', "model", "the top-level object"],
    ["after a value holding quotes and braces", '{"k":"a\\"}{,\\\\","k":1}', "k", "the top-level object"],
    ["an empty key", '{"":1,"":2}', '[""]', "the top-level object"],
    ["a key that is not an identifier", '{"a b":1,"a b":2}', '["a b"]', "the top-level object"],
  ])("are refused %s, naming the key and where", (_, text, param, where) => {
    const err = refusal(() => parseStrictJson(utf8(text)));
    expect(err).toMatchObject({ type: "invalid_request_error", code: "duplicate_key", param });
    expect(err.message).toContain("more than once");
    if (where) expect(err.message).toContain(where);
    expect(err.message).toContain("send each key once");
  });

  it.each([
    ["the same key in sibling objects", '{"messages":[{"role":"user"},{"role":"assistant"}]}'],
    ["the same key at two depths", '{"a":{"a":{"a":1}}}'],
    ["a key repeated inside a string value", '{"text":"\\"k\\":1,\\"k\\":2","k":3}'],
    ["keys that differ only by escaping something else", '{"a\\\\":1,"a":2}'],
    ["keys that differ by case", '{"Model":"a","model":"b"}'],
    ["a value equal to a key", '{"model":"model"}'],
  ])("are not reported for %s", (_, text) => {
    expect(() => parseStrictJson(utf8(text))).not.toThrow();
  });

  it("a long duplicate key is cut in the message", () => {
    const key = "k".repeat(10_000);
    const err = refusal(() => parseStrictJson(utf8(`{"${key}":1,"${key}":2}`)));
    expect(err.code).toBe("duplicate_key");
    expect(err.message.length).toBeLessThan(500);
  });

  it("a syntax error is reported as such even when the text also repeats a key", () => {
    const err = refusal(() => parseStrictJson(utf8('{"a":1,"a":2,')));
    expect(err.code).toBe("invalid_json");
  });
});

describe("UTF-8", () => {
  it.each([
    ["a lone continuation byte", [0x80], 10],
    ["an invalid lead byte", [0xff], 10],
    ["an overlong encoding of '/'", [0xc0, 0xaf], 10],
    ["a UTF-16 surrogate encoded as UTF-8", [0xed, 0xa0, 0x80], 10],
    ["a truncated sequence", [0xe2, 0x82], 10],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 10],
  ])("refuses %s, with the offset of the first bad byte", (_, bytes, offset) => {
    const raw = new Uint8Array([...utf8('{"model":"'), ...bytes, ...utf8('"}')]);
    const err = refusal(() => parseStrictJson(raw));
    expect(err).toMatchObject({ type: "invalid_request_error", code: "invalid_encoding" });
    expect(err.message).toContain(`offset ${offset}`);
    expect(err.message).toContain("UTF-8");
  });

  it("accepts every well-formed sequence length, and a byte-order mark", () => {
    const text = '{"t":"a é € 😀"}';
    expect(parseStrictJson(utf8(text))).toEqual({ t: "a é € 😀" });
    expect(parseStrictJson(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]))).toEqual({ t: "a é € 😀" });
    expect(firstInvalidUtf8Byte(utf8(text))).toBe(-1);
  });
});

describe("nesting", () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more, before building anything`, () => {
    const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    expect(() => parseStrictJson(utf8(ok))).not.toThrow();
    const deep = "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1);
    const err = refusal(() => parseStrictJson(utf8(deep)));
    expect(err).toMatchObject({ code: "invalid_json" });
    expect(err.message).toContain(`more than ${MAX_JSON_DEPTH} levels`);
  });

  it("a million unclosed brackets are refused without a crash", () => {
    const err = refusal(() => parseStrictJson(utf8("[".repeat(1_000_000))));
    expect(err.message).toContain("levels deep");
  });
});

describe("what is not JSON", () => {
  it.each([
    ["empty", "", "empty"],
    ["truncated", '{"model":', "not valid JSON"],
    ["a trailing comma", '{"model":"a",}', "not valid JSON"],
    ["a raw control character in a string", '{"model":"a\u0001b"}', "not valid JSON"],
    ["an unterminated string", '{"model":"abc', "not valid JSON"],
    ["stray closers", "}}]]", "not valid JSON"],
  ])("%s is a 400 invalid_json", (_, text, says) => {
    const err = refusal(() => parseStrictJson(utf8(text)));
    expect(err).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    expect(err.message).toContain(says);
  });

  it.each([["[]"], ['"a"'], ["1"], ["null"]])("parseRequestObject refuses %s: not an object", (text) => {
    expect(refusal(() => parseRequestObject(utf8(text)))).toMatchObject({ code: "invalid_request" });
  });
});

describe("the model-name rule", () => {
  it.each([
    ["gpt-4o-mini"],
    ["@cf/meta/llama-3.1-8b-instruct"],
    ["anthropic.claude-3-5-haiku-20241022-v1:0"],
    ["openai/gpt-4o:free"],
    ["my model"],
    ["m".repeat(MAX_MODEL_NAME_LENGTH)],
    ["~!#$%&'()*+,;=?[]^`{|}"],
  ])("accepts %s", (model) => {
    expect(() => checkModelName(model)).not.toThrow();
  });

  it.each([
    ["a NUL", "a\u0000b", "U+0000 (a control character) at index 1"],
    ["a CR", "a\rb", "U+000D (a control character)"],
    ["a LF", "a\nb", "U+000A (a control character)"],
    ["a SOH", "\u0001", "U+0001 (a control character) at index 0"],
    ["a DEL", "a\u007f", "U+007F (a control character)"],
    ["a C1 control", "a\u0085", "U+0085 (a control character)"],
    ["a tab", "a\tb", "U+0009 (a control character)"],
    ["a non-ASCII letter", "gpt-4o-é", "U+00E9 (not printable ASCII)"],
    ["a line separator", "a\u2028", "U+2028 (not printable ASCII)"],
    ["an emoji", "a😀", "U+1F600 (not printable ASCII)"],
    ["a lone surrogate", "a\ud800", "U+D800 (not printable ASCII)"],
    ["one character too many", "m".repeat(MAX_MODEL_NAME_LENGTH + 1), `at most ${MAX_MODEL_NAME_LENGTH}`],
    ["600 KB", "m".repeat(600_000), "600000 characters long"],
    ["a leading space", " gpt-4o", "starts or ends with a space"],
    ["a trailing space", "gpt-4o ", "starts or ends with a space"],
  ])("refuses %s with a 400 naming model and what to send", (_, model, says) => {
    const err = refusal(() => checkModelName(model));
    expect(err).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param: "model" });
    expect(err.message).toContain(says);
    expect(err.message).toContain("GET /v1/models");
    expect(err.message.length).toBeLessThan(400); // never echoes the name itself
  });

  it("parseRequestObject applies it to a string model and leaves other types to the route's schema", () => {
    expect(refusal(() => parseRequestObject(utf8('{"model":"a\\u0000b"}')))).toMatchObject({ param: "model" });
    expect(parseRequestObject(utf8('{"model":42}'))).toEqual({ model: 42 });
    expect(parseRequestObject(utf8('{"model":""}'))).toEqual({ model: "" });
  });
});
