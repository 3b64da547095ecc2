/**
 * Money as the gateway counts it: integer micro-USD (1 USD = 1 000 000 µUSD), so sums are exact.
 * Decimal strings cross the API boundary; floats never enter the counters.
 */

export const MICROS_PER_USD = 1_000_000;

/** How the API shows an amount: always six decimal places, e.g. "12.500000", "0.000150". */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD).padStart(6, "0");
  return `${sign}${whole}.${fraction}`;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * A non-negative decimal string of dollars (`"0.15"`) as micro-USD. Digits past the sixth decimal
 * round UP (`"0.0000001"` → 1): a price is never read lower than it was written. Null when the text
 * is not a plain decimal or the result is not a safe integer.
 */
export function decimalUsdToMicros(text: string): number | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  const kept = fraction.slice(0, 6).padEnd(6, "0");
  const dropped = fraction.slice(6);
  let micros = Number(whole) * MICROS_PER_USD + Number(kept);
  if (/[1-9]/.test(dropped)) micros += 1;
  return Number.isSafeInteger(micros) ? micros : null;
}

/**
 * A catalogue rate (a float of USD) as micro-USD: the nearest integer when the float is a decimal
 * with at most six places (0.15 × 1e6 = 150000.00000000003 → 150000), rounded up otherwise.
 */
export function usdFloatToMicros(usd: number): number {
  const scaled = usd * MICROS_PER_USD;
  const nearest = Math.round(scaled);
  return Math.abs(scaled - nearest) < 1e-6 ? nearest : Math.ceil(scaled);
}
