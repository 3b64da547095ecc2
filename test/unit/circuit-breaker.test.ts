import { describe, expect, it } from "vitest";
import {
  CIRCUIT_COOL_DOWN_MS,
  CIRCUIT_FAILURE_THRESHOLD,
  circuitAllows,
  reportAttempt,
} from "../../src/pipeline/circuit-breaker";
import { ulid } from "../../src/lib/ids";

/** The per-binding circuit breaker's states: closed, open for a cool-down, one probe, closed or open again. */

const T0 = 1_000_000;
const fresh = () => `binding-${ulid()}`;
const failTimes = (b: string, n: number, at = T0) => {
  for (let i = 0; i < n; i++) reportAttempt(b, "failure", at);
};

describe("the circuit breaker", () => {
  it("stays closed below the threshold, and a success resets the count", () => {
    const b = fresh();
    failTimes(b, CIRCUIT_FAILURE_THRESHOLD - 1);
    expect(circuitAllows(b, T0)).toEqual({ pass: true, probe: false });
    reportAttempt(b, "success", T0);
    failTimes(b, CIRCUIT_FAILURE_THRESHOLD - 1);
    expect(circuitAllows(b, T0).pass).toBe(true);
  });

  it("opens at the threshold for the cool-down, then lets exactly one probe through", () => {
    const b = fresh();
    failTimes(b, CIRCUIT_FAILURE_THRESHOLD);
    expect(circuitAllows(b, T0 + CIRCUIT_COOL_DOWN_MS - 1)).toMatchObject({ pass: false });
    expect(circuitAllows(b, T0 + CIRCUIT_COOL_DOWN_MS)).toEqual({ pass: true, probe: true });
    const during = circuitAllows(b, T0 + CIRCUIT_COOL_DOWN_MS + 1);
    expect(during).toMatchObject({
      pass: false,
      reason: expect.stringContaining("probe request is in flight") as string,
    });
  });

  it("a successful probe closes it; a failed one opens it for another cool-down", () => {
    const ok = fresh();
    failTimes(ok, CIRCUIT_FAILURE_THRESHOLD);
    circuitAllows(ok, T0 + CIRCUIT_COOL_DOWN_MS);
    reportAttempt(ok, "success", T0 + CIRCUIT_COOL_DOWN_MS);
    expect(circuitAllows(ok, T0 + CIRCUIT_COOL_DOWN_MS)).toEqual({ pass: true, probe: false });

    const bad = fresh();
    const probeAt = T0 + CIRCUIT_COOL_DOWN_MS;
    failTimes(bad, CIRCUIT_FAILURE_THRESHOLD);
    circuitAllows(bad, probeAt);
    reportAttempt(bad, "failure", probeAt);
    expect(circuitAllows(bad, probeAt + CIRCUIT_COOL_DOWN_MS - 1)).toMatchObject({ pass: false });
    expect(circuitAllows(bad, probeAt + CIRCUIT_COOL_DOWN_MS)).toEqual({ pass: true, probe: true });
  });

  it("a probe that ends neither way frees the slot; one that never reports is presumed lost after a cool-down", () => {
    const b = fresh();
    const probeAt = T0 + CIRCUIT_COOL_DOWN_MS;
    failTimes(b, CIRCUIT_FAILURE_THRESHOLD);
    circuitAllows(b, probeAt);
    reportAttempt(b, "neutral", probeAt);
    expect(circuitAllows(b, probeAt + 1)).toEqual({ pass: true, probe: true });
    expect(circuitAllows(b, probeAt + 2).pass).toBe(false);
    expect(circuitAllows(b, probeAt + 1 + CIRCUIT_COOL_DOWN_MS)).toEqual({ pass: true, probe: true });
  });
});
