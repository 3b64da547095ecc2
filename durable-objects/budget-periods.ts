import type { BudgetWindow } from "../src/contract/budgets";

/**
 * Calendar periods of budgets, in UTC: the hour, the day, the week starting Monday 00:00, the month,
 * or `total` (one period that never ends, starting at 0).
 */

export interface Period {
  /** First instant of the period (epoch ms). */
  start: number;
  /** First instant of the next period; null for `total`. */
  end: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function periodOf(window: BudgetWindow, nowMs: number): Period {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const dayStart = Date.UTC(year, month, now.getUTCDate());
  switch (window) {
    case "hour": {
      const start = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
      return { start, end: start + HOUR_MS };
    }
    case "day":
      return { start: dayStart, end: dayStart + DAY_MS };
    case "week": {
      // getUTCDay: 0 = Sunday … 6 = Saturday; days since the last Monday:
      const start = dayStart - ((now.getUTCDay() + 6) % 7) * DAY_MS;
      return { start, end: start + 7 * DAY_MS };
    }
    case "month":
      return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
    case "total":
      return { start: 0, end: null };
  }
}
