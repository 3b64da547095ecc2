import { describe, expect, it } from "vitest";
import { HEADER_VALUE_LIMIT, safeHeaderValue } from "../../src/http/edge";

/** The X-LangWatch-* writer: any value becomes one a header carries, so setting it never throws. */

/** Whether `value` holds anything but printable ASCII. */
const unprintable = (value: string): boolean => [...value].some((ch) => ch < " " || ch > "~");

describe("safeHeaderValue", () => {
  it.each([
    ["gpt-4o-mini", "gpt-4o-mini"],
    ["a\u0000b", "a%00b"],
    ["a\r\nb", "a%0D%0Ab"],
    ["\u0001", "%01"],
    ["a\u007fb", "a%7Fb"],
    ["gpt-é", "gpt-%C3%A9"],
    ["a😀", "a%F0%9F%98%80"],
    ["a\ud800b", "a%EF%BF%BDb"],
    ["  padded  ", "padded"],
  ])("%j → %j", (value, expected) => {
    expect(safeHeaderValue(value)).toBe(expected);
  });

  it("cuts a long value at the limit with a marker, never in the middle of an escape", () => {
    expect(safeHeaderValue("m".repeat(600_000))).toBe(`${"m".repeat(HEADER_VALUE_LIMIT)}...`);
    const escaped = safeHeaderValue(`${"m".repeat(HEADER_VALUE_LIMIT - 1)}\u0000tail`);
    expect(escaped).toBe(`${"m".repeat(HEADER_VALUE_LIMIT - 1)}...`);
    expect(safeHeaderValue("m".repeat(HEADER_VALUE_LIMIT))).toBe("m".repeat(HEADER_VALUE_LIMIT));
  });

  it("every value of every code unit can be set on Headers and reads back without a control byte", () => {
    const headers = new Headers();
    for (let unit = 0; unit <= 0xffff; unit += unit < 0x300 ? 1 : 97) {
      const value = safeHeaderValue(`x${String.fromCharCode(unit)}y`);
      headers.set("X-LangWatch-Model", value);
      expect(headers.get("X-LangWatch-Model")).toBe(value);
      expect(unprintable(value)).toBe(false);
    }
  });
});
