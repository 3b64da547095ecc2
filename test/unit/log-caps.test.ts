import { afterEach, describe, expect, it, vi } from "vitest";
import { capLogValue, createLogger, LOG_BODY_FIELD_LIMIT, LOG_FIELD_LIMIT } from "../../src/lib/log";

/** No input can make a log line long: every string field is cut at a bound, with a marker. */

afterEach(() => vi.restoreAllMocks());

function lines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
}

describe("capLogValue", () => {
  it("leaves a value at the limit alone and cuts one past it, saying how much went", () => {
    expect(capLogValue("a".repeat(LOG_FIELD_LIMIT))).toBe("a".repeat(LOG_FIELD_LIMIT));
    expect(capLogValue("a".repeat(LOG_FIELD_LIMIT + 5))).toBe(`${"a".repeat(LOG_FIELD_LIMIT)}…[+5 chars]`);
  });

  it("never splits a surrogate pair", () => {
    const value = `${"a".repeat(LOG_FIELD_LIMIT - 1)}😀tail`;
    const cut = capLogValue(value);
    expect(cut.startsWith(`${"a".repeat(LOG_FIELD_LIMIT - 1)}…`)).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe("createLogger", () => {
  it("cuts a 600 KB field of a line, of a child's fields and of enriched fields", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const huge = "m".repeat(600_000);
    const log = createLogger({ request_id: "grq_test", base: huge });
    log.info("event_one", { model: huge, count: 3 });
    log.enrich({ enriched: huge });
    log.child({ child_field: huge }).info("event_two");
    const [one, two] = lines(spy);
    for (const call of spy.mock.calls) expect(String(call[0]).length).toBeLessThan(6 * LOG_FIELD_LIMIT);
    expect(one?.model).toBe(`${"m".repeat(LOG_FIELD_LIMIT)}…[+${600_000 - LOG_FIELD_LIMIT} chars]`);
    expect(one?.count).toBe(3);
    expect(one?.request_id).toBe("grq_test");
    expect(String(one?.base)).toContain("…[+");
    expect(String(two?.enriched)).toContain("…[+");
    expect(String(two?.child_field)).toContain("…[+");
  });

  it("gives the message-body log's *_body excerpts their own, larger bound", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    createLogger().info("message_bodies", { request_body: "b".repeat(5000), response_body: "c".repeat(20_000) });
    const [line] = lines(spy);
    expect(line?.request_body).toBe("b".repeat(5000));
    expect(String(line?.response_body)).toBe(
      `${"c".repeat(LOG_BODY_FIELD_LIMIT)}…[+${20_000 - LOG_BODY_FIELD_LIMIT} chars]`,
    );
  });

  it("writes control characters escaped, never raw", () => {
    const spy = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    createLogger().warn("event", { value: "a\u0000b\r\nc" });
    const text = String(spy.mock.calls[0]?.[0]);
    expect([...text].some((ch) => ch < " ")).toBe(false);
    expect(lines(spy)[0]?.value).toBe("a\u0000b\r\nc");
  });
});
