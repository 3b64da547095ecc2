/**
 * A per-binding circuit breaker, local to the isolate (each isolate learns on its own; nothing is
 * shared or stored). After CIRCUIT_FAILURE_THRESHOLD consecutive retryable failures (network errors,
 * timeouts, 404/408/429/5xx, HTML or non-JSON answers) a binding is skipped for CIRCUIT_COOL_DOWN_MS;
 * then ONE request is let through as a probe: success closes the circuit, failure opens it for another
 * cool-down. A probe that ends neither way (the client left) frees the slot for the next request; a
 * probe that never reports is presumed lost after another cool-down.
 */

export const CIRCUIT_FAILURE_THRESHOLD = 5;
export const CIRCUIT_COOL_DOWN_MS = 30_000;

interface Circuit {
  consecutiveFailures: number;
  /** While open: when the next probe may go. */
  openUntil: number;
  /** When the probe in flight started, or null. */
  probeSince: number | null;
}

const circuits = new Map<string, Circuit>();

export type CircuitVerdict = { pass: true; probe: boolean } | { pass: false; reason: string };

/** Whether a request may be sent to `binding` now. */
export function circuitAllows(binding: string, now = Date.now()): CircuitVerdict {
  const c = circuits.get(binding);
  if (!c || c.consecutiveFailures < CIRCUIT_FAILURE_THRESHOLD) return { pass: true, probe: false };
  const probeInFlight = c.probeSince !== null && now < c.probeSince + CIRCUIT_COOL_DOWN_MS;
  if (now >= c.openUntil && !probeInFlight) {
    c.probeSince = now;
    return { pass: true, probe: true };
  }
  const seconds = Math.max(1, Math.ceil((c.openUntil - now) / 1000));
  return {
    pass: false,
    reason: probeInFlight
      ? `circuit open (${c.consecutiveFailures} consecutive failures; a probe request is in flight)`
      : `circuit open (${c.consecutiveFailures} consecutive failures; next probe in ${seconds} s)`,
  };
}

/** What an attempt let through by `circuitAllows` came to. */
export function reportAttempt(binding: string, result: "success" | "failure" | "neutral", now = Date.now()): void {
  if (result === "success") {
    circuits.delete(binding);
    return;
  }
  const c = circuits.get(binding) ?? { consecutiveFailures: 0, openUntil: 0, probeSince: null };
  c.probeSince = null;
  if (result === "failure") {
    c.consecutiveFailures++;
    if (c.consecutiveFailures >= CIRCUIT_FAILURE_THRESHOLD) c.openUntil = now + CIRCUIT_COOL_DOWN_MS;
  }
  if (c.consecutiveFailures > 0) circuits.set(binding, c);
}
