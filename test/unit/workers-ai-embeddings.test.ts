import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { openAIToWorkersAIEmbeddings } from "../../src/providers/workers-ai/embeddings-request";
import {
  float32Base64,
  openAIEmbeddings,
  readWorkersAIEmbeddings,
} from "../../src/providers/workers-ai/embeddings-response";
import { workersAIErrorAnswer } from "../../src/providers/workers-ai/errors";

/**
 * src/providers/workers-ai/embeddings-request.ts and -response.ts: an OpenAI embeddings body as
 * `run`'s `{ text }`, and a Workers AI embeddings output as OpenAI's answer.
 */

const MODEL = "@cf/baai/bge-base-en-v1.5";

/** The GatewayError `fn` throws (the test fails when it throws nothing or something else). */
function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected a GatewayError");
}

describe("openAIToWorkersAIEmbeddings", () => {
  it.each([
    ["one string", "hello", ["hello"]],
    ["an array of strings", ["a", "b"], ["a", "b"]],
  ])("%s becomes text as it was sent", (_, input, texts) => {
    const { body, dropped } = openAIToWorkersAIEmbeddings({ model: MODEL, input });
    expect(body).toEqual({ inputs: { text: input }, texts, encoding: "float" });
    expect(dropped).toEqual([]);
  });

  it("sends Workers AI's own parameters, reads encoding_format, and reports what it leaves out", () => {
    const { body, dropped } = openAIToWorkersAIEmbeddings({
      model: MODEL,
      input: "x",
      encoding_format: "base64",
      pooling: "cls",
      truncate_inputs: true,
      user: "someone",
      dimensions: null,
    });
    expect(body).toEqual({
      inputs: { text: "x", pooling: "cls", truncate_inputs: true },
      texts: ["x"],
      encoding: "base64",
    });
    expect(dropped).toEqual(["user"]);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ["token ids", { input: [1, 2, 3] }, "input", /text only, not token ids/],
    ["arrays of token ids", { input: [[1, 2], [3]] }, "input", /text only, not token ids/],
    ["strings mixed with token ids", { input: ["a", [1]] }, "input", /text only/],
    ["dimensions", { input: "x", dimensions: 256 }, "dimensions", /fixed size .* leave dimensions out/],
    ["an unknown encoding", { input: "x", encoding_format: "int8" }, "encoding_format", /"int8" is not an encoding/],
  ])("refuses %s with a 400 naming the field", (_, fields, param, message) => {
    const err = thrown(() => openAIToWorkersAIEmbeddings({ model: MODEL, ...fields }));
    expect(err.status).toBe(400);
    expect(err.code).toBe("untranslatable_request");
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });
});

describe("readWorkersAIEmbeddings", () => {
  const VECTORS = [
    [0.1, 0.2],
    [0.3, 0.4],
  ];

  it("one vector per text; no usage reported is null", () => {
    expect(readWorkersAIEmbeddings({ shape: [2, 2], data: VECTORS, pooling: "mean" }, 2)).toEqual({
      vectors: VECTORS,
      promptTokens: null,
    });
  });

  it.each([
    [{ prompt_tokens: 12, total_tokens: 12 }, 12],
    [{ total_tokens: 7 }, 7],
    [{ prompt_tokens: 0 }, null],
  ])("usage %j is read as %s prompt tokens", (usage, promptTokens) => {
    expect(readWorkersAIEmbeddings({ data: VECTORS, usage }, 2).promptTokens).toBe(promptTokens);
  });

  it.each<[string, unknown, RegExp]>([
    ["fewer vectors than texts", { data: [[0.1]] }, /data: has 1 vectors for 2 input texts/],
    ["a chat answer", { response: "hello" }, /data/],
    ["an async-queue receipt", { request_id: "abc" }, /data/],
    ["a vector of strings", { data: [["a"], ["b"]] }, /data\[0\]\[0\]/],
  ])("%s is a 502 naming the field", (_, output, message) => {
    const err = thrown(() => readWorkersAIEmbeddings(output, 2));
    expect(err.status).toBe(502);
    expect(err.code).toBe("untranslatable_response");
    expect(err.message).toMatch(message);
  });
});

describe("openAIEmbeddings", () => {
  it("floats: OpenAI's list, each embedding with its index, usage from the prompt tokens", () => {
    expect(openAIEmbeddings([[1], [2]], { model: MODEL, encoding: "float", promptTokens: 5 })).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [1] },
        { object: "embedding", index: 1, embedding: [2] },
      ],
      model: MODEL,
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
  });

  it("base64: the float32 values, little-endian", () => {
    expect(float32Base64([1, -2, 0.5])).toBe("AACAPwAAAMAAAAA/");
    const out = openAIEmbeddings([[1, -2, 0.5]], { model: MODEL, encoding: "base64", promptTokens: 1 });
    expect(out.data[0]?.embedding).toBe("AACAPwAAAMAAAAA/");
  });

  it("base64 of a long vector decodes to its float32 values", () => {
    const vector = Array.from({ length: 20_000 }, (_, i) => Math.sin(i));
    const bytes = Uint8Array.from(atob(float32Base64(vector)), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(vector.length * 4);
    expect(vector.every((v, i) => view.getFloat32(i * 4, true) === Math.fround(v))).toBe(true);
  });
});

describe("workersAIErrorAnswer for embeddings", () => {
  it("input validation: the advice names an embeddings model", () => {
    const answer = workersAIErrorAnswer(
      new Error("5006: required properties at '/' are 'messages'"),
      "x",
      "embeddings",
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain(
      "is a Workers AI text-embeddings model (such as @cf/baai/bge-base-en-v1.5)",
    );
  });

  it("an unknown model: the example id is an embeddings model", () => {
    const answer = workersAIErrorAnswer(new Error("5007: No such model"), "x", "embeddings");
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain("@cf/baai/bge-base-en-v1.5");
    expect(workersAIErrorAnswer(new Error("5007: No such model"), "x").body.error.message).toContain(
      "@cf/meta/llama-3.1-8b-instruct",
    );
  });
});
