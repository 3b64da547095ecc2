import { describe, expect, it } from "vitest";
import { findUrls, isDataUrl } from "../../src/policy/find-urls";

/** Finding http(s) URLs in text for `policy_rules.urls`. */

describe("findUrls", () => {
  it("finds every http and https URL in prose, in order, whatever the scheme's case", () => {
    expect(findUrls("see https://a.example/x?y=1 and HTTP://B.example/path, then http://c.example")).toEqual([
      "https://a.example/x?y=1",
      "HTTP://B.example/path",
      "http://c.example",
    ]);
  });

  it("stops at whitespace, quotes, angle brackets and backticks, and drops trailing punctuation", () => {
    expect(findUrls(`<a href="https://a.example/p">`)).toEqual(["https://a.example/p"]);
    expect(findUrls("(https://b.example/q). Next")).toEqual(["https://b.example/q"]);
    expect(findUrls("`https://c.example/r`")).toEqual(["https://c.example/r"]);
    expect(findUrls("https://d.example/s\nmore")).toEqual(["https://d.example/s"]);
    expect(findUrls("'https://e.example/t'")).toEqual(["https://e.example/t"]);
  });

  it("keeps non-ASCII hosts and paths", () => {
    expect(findUrls("https://bücher.example/straße ok")).toEqual(["https://bücher.example/straße"]);
  });

  it("finds no URL where there is none: other schemes, a bare scheme, protocol-relative links", () => {
    expect(findUrls("ftp://a.example mailto:x@y.example //cdn.example/x")).toEqual([]);
    expect(findUrls("https:// nothing here")).toEqual([]);
    expect(findUrls("https://.")).toEqual([]);
    expect(findUrls("")).toEqual([]);
  });

  it("treats a URL inside another URL's query as part of it", () => {
    expect(findUrls("https://a.example/go?to=https://b.example/")).toEqual([
      "https://a.example/go?to=https://b.example/",
    ]);
  });

  it("yields nothing for a data: URL, whatever it holds", () => {
    expect(isDataUrl("DATA:image/png;base64,AAAA")).toBe(true);
    expect(findUrls("data:text/plain,see https://a.example")).toEqual([]);
    expect(findUrls("data:image/png;base64,iVBORw0KGgo=")).toEqual([]);
    expect(isDataUrl("the data: field")).toBe(false);
  });

  it("is linear: 100 000 characters of near-misses and of one long URL finish (under the test timeout)", () => {
    const nearMisses = "http:/".repeat(20_000);
    expect(findUrls(nearMisses)).toEqual([]);
    const long = `https://a.example/${"a".repeat(100_000)}`;
    expect(findUrls(long)).toEqual([long]);
    const many = "http://x ".repeat(12_000);
    expect(findUrls(many)).toHaveLength(12_000);
  });
});
