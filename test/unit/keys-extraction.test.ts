import { describe, expect, it } from "vitest";
import { extractKey, generateSecret } from "../../src/auth/keys";

/** Contract §1: where a client may send its key, and what counts as malformed (never trimmed). */

const SECRET = generateSecret("live");
const headers = (h: Record<string, string>) => new Headers(h);

function malformedReason(h: Record<string, string>): string {
  const found = extractKey(headers(h));
  if (found.kind !== "malformed") throw new Error(`expected malformed, got ${JSON.stringify(found)}`);
  return found.reason;
}

describe("accepted headers", () => {
  it.each([
    ["authorization", `Bearer ${SECRET}`],
    ["x-api-key", SECRET],
    ["api-key", SECRET],
    ["x-goog-api-key", SECRET],
  ])("finds the key in %s", (name, value) => {
    expect(extractKey(headers({ [name]: value }))).toEqual({ kind: "ok", secret: SECRET, header: name });
  });

  it("reads header names case-insensitively", () => {
    expect(extractKey(headers({ "X-Api-Key": SECRET }))).toMatchObject({ kind: "ok", secret: SECRET });
  });

  it("prefers Authorization when several headers carry a key", () => {
    const other = generateSecret("test");
    expect(extractKey(headers({ authorization: `Bearer ${SECRET}`, "x-api-key": other }))).toMatchObject({
      secret: SECRET,
      header: "authorization",
    });
  });

  it("does not let an empty header hide a key sent in another one", () => {
    expect(extractKey(headers({ "x-api-key": "", "api-key": SECRET }))).toEqual({
      kind: "ok",
      secret: SECRET,
      header: "api-key",
    });
  });
});

describe("missing", () => {
  it("reports missing when no key header is present", () => {
    expect(extractKey(headers({ "content-type": "application/json" }))).toEqual({ kind: "missing" });
  });

  it("reports missing when the only key header is empty", () => {
    expect(extractKey(headers({ "x-api-key": "" }))).toEqual({ kind: "missing" });
  });
});

describe("malformed, never trimmed", () => {
  it("rejects whitespace between Bearer and the key", () => {
    expect(malformedReason({ authorization: `Bearer  ${SECRET}` })).toMatch(/whitespace or quotes/);
    expect(malformedReason({ authorization: `Bearer \t${SECRET}` })).toMatch(/whitespace or quotes/);
  });

  it.each([
    ["double quotes in Authorization", { authorization: `Bearer "${SECRET}"` }],
    ["single quotes in Authorization", { authorization: `Bearer '${SECRET}'` }],
    ["double quotes in x-api-key", { "x-api-key": `"${SECRET}"` }],
    ["a trailing quote in api-key", { "api-key": `${SECRET}'` }],
  ])("rejects %s", (_, h) => {
    expect(malformedReason(h)).toMatch(/whitespace or quotes/);
  });

  it("rejects a key with whitespace inside it", () => {
    expect(malformedReason({ "x-api-key": `${SECRET.slice(0, 20)} ${SECRET.slice(20)}` })).toMatch(/37/);
  });

  it("rejects another product's key, explaining the expected shape", () => {
    expect(malformedReason({ authorization: "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123456789" })).toMatch(
      /lw_vk_live_.*37/,
    );
  });

  it("recognises the 16-character display prefix pasted instead of the secret", () => {
    expect(malformedReason({ authorization: `Bearer ${SECRET.slice(0, 16)}` })).toMatch(/display prefix/);
  });

  it("does not call a 17-character fragment a display prefix", () => {
    expect(malformedReason({ authorization: `Bearer ${SECRET.slice(0, 17)}` })).not.toMatch(/display prefix/);
  });

  it("accepts the Bearer scheme in any case", () => {
    expect(extractKey(headers({ authorization: `bearer ${SECRET}` }))).toMatchObject({ kind: "ok", secret: SECRET });
    expect(extractKey(headers({ authorization: `BEARER ${SECRET}` }))).toMatchObject({ kind: "ok", secret: SECRET });
  });

  it("rejects Basic auth and a bare key in Authorization, asking for Bearer", () => {
    expect(malformedReason({ authorization: `Basic ${btoa(`user:${SECRET}`)}` })).toMatch(/Bearer <key>/);
    expect(malformedReason({ authorization: SECRET })).toMatch(/Bearer <key>/);
  });

  it("rejects a Bearer prefix inside x-api-key", () => {
    const found = extractKey(headers({ "x-api-key": `Bearer ${SECRET}` }));
    expect(found).toMatchObject({ kind: "malformed", header: "x-api-key" });
  });

  it("names the header the bad value came from", () => {
    expect(extractKey(headers({ "x-goog-api-key": "nope" }))).toMatchObject({
      kind: "malformed",
      header: "x-goog-api-key",
    });
  });
});
