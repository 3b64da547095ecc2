import { describe, expect, it } from "vitest";
import { periodOf } from "../../durable-objects/budget-periods";

/** Calendar periods of budgets, in UTC. */

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) => Date.UTC(y, m - 1, d, h, min, s, ms);

describe("periodOf", () => {
  it("hour: from the whole hour to the next", () => {
    expect(periodOf("hour", utc(2026, 3, 10, 14, 59, 59, 999))).toEqual({
      start: utc(2026, 3, 10, 14),
      end: utc(2026, 3, 10, 15),
    });
    expect(periodOf("hour", utc(2026, 3, 10, 15))).toEqual({ start: utc(2026, 3, 10, 15), end: utc(2026, 3, 10, 16) });
  });

  it("day: from midnight UTC to the next", () => {
    expect(periodOf("day", utc(2026, 12, 31, 23, 59, 59, 999))).toEqual({
      start: utc(2026, 12, 31),
      end: utc(2027, 1, 1),
    });
    expect(periodOf("day", utc(2027, 1, 1))).toEqual({ start: utc(2027, 1, 1), end: utc(2027, 1, 2) });
  });

  it("week: starts Monday 00:00 UTC; Sunday belongs to the week before", () => {
    // 2026-03-15 is a Sunday, 2026-03-16 a Monday.
    const week = { start: utc(2026, 3, 9), end: utc(2026, 3, 16) };
    expect(new Date(utc(2026, 3, 15)).getUTCDay()).toBe(0);
    expect(periodOf("week", utc(2026, 3, 9))).toEqual(week);
    expect(periodOf("week", utc(2026, 3, 12, 8))).toEqual(week);
    expect(periodOf("week", utc(2026, 3, 15, 23, 59, 59, 999))).toEqual(week);
    expect(periodOf("week", utc(2026, 3, 16))).toEqual({ start: utc(2026, 3, 16), end: utc(2026, 3, 23) });
  });

  it("week: across a month and a year boundary", () => {
    // 2026-01-01 is a Thursday; its week began Monday 2025-12-29.
    expect(periodOf("week", utc(2026, 1, 1, 12))).toEqual({ start: utc(2025, 12, 29), end: utc(2026, 1, 5) });
  });

  it("month: from the 1st to the 1st, whatever the month's length", () => {
    expect(periodOf("month", utc(2026, 4, 30, 23, 59, 59, 999))).toEqual({
      start: utc(2026, 4, 1),
      end: utc(2026, 5, 1),
    });
    expect(periodOf("month", utc(2026, 5, 1))).toEqual({ start: utc(2026, 5, 1), end: utc(2026, 6, 1) });
    expect(periodOf("month", utc(2026, 12, 31, 23))).toEqual({ start: utc(2026, 12, 1), end: utc(2027, 1, 1) });
  });

  it("month: February in leap and common years", () => {
    expect(periodOf("month", utc(2028, 2, 29, 12))).toEqual({ start: utc(2028, 2, 1), end: utc(2028, 3, 1) });
    expect(periodOf("month", utc(2028, 3, 1))).toEqual({ start: utc(2028, 3, 1), end: utc(2028, 4, 1) });
    expect(periodOf("month", utc(2027, 2, 28, 23, 59))).toEqual({ start: utc(2027, 2, 1), end: utc(2027, 3, 1) });
    expect(periodOf("day", utc(2028, 2, 29, 5))).toEqual({ start: utc(2028, 2, 29), end: utc(2028, 3, 1) });
    expect(utc(2028, 3, 1) - utc(2028, 2, 1)).toBe(29 * 86_400_000);
  });

  it("total: one period from 0 that never resets", () => {
    expect(periodOf("total", utc(2026, 3, 10))).toEqual({ start: 0, end: null });
  });
});
