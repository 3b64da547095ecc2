import { describe, expect, it } from "vitest";
import { isImagePart } from "../../src/policy/vision";
import { pathOf, walkJson } from "../../src/policy/walk-json";

/** The body walk that URL and image detection share, and what counts as an image part. */

describe("walkJson", () => {
  it("visits strings (values, elements and member names) and objects in document order, with their paths", () => {
    const seen: string[] = [];
    walkJson(
      { a: "x", b: [{ c: "y" }, "z"], d: 1 },
      {
        object: (_node, at) => (seen.push(`object ${pathOf(at) || "(root)"}`), false),
        string: (text, at) => (seen.push(`${text} @ ${pathOf(at)}`), false),
      },
    );
    expect(seen).toEqual([
      "object (root)",
      "a @ a",
      "b @ b",
      "d @ d",
      "x @ a",
      "object b[0]",
      "c @ b[0].c",
      "y @ b[0].c",
      "z @ b[1]",
    ]);
  });

  it("stops when a visitor says so", () => {
    const seen: string[] = [];
    walkJson(["a", "b", "c"], { string: (text) => (seen.push(text), text === "b") });
    expect(seen).toEqual(["a", "b"]);
  });

  it("walks 100 000 levels of nesting without overflowing the stack", () => {
    let deep: unknown = "https://deep.example";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let found = "";
    walkJson(deep, { string: (text) => ((found = text), true) });
    expect(found).toBe("https://deep.example");
  });
});

describe("isImagePart", () => {
  it("recognises OpenAI, Responses and Anthropic image parts", () => {
    expect(isImagePart({ type: "image_url", image_url: { url: "https://a.example/i.png" } })).toBe(true);
    expect(isImagePart({ type: "input_image", image_url: "data:image/png;base64,AAAA" })).toBe(true);
    expect(isImagePart({ type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } })).toBe(
      true,
    );
  });

  it("does not take text, files or a bare `type: image` without a source for an image", () => {
    expect(isImagePart({ type: "text", text: "an image_url" })).toBe(false);
    expect(isImagePart({ type: "input_file", file_id: "f" })).toBe(false);
    expect(isImagePart({ type: "image" })).toBe(false);
    expect(isImagePart({ type: "image", source: null })).toBe(false);
  });
});
