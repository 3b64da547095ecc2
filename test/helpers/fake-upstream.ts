import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { handleFakeProvider, recorded, resetRecorded } from "../fake-provider/worker";

/**
 * Routes the gateway's outbound fetches for https://fake.test to the fake provider. Tests and the
 * gateway share one isolate under the vitest plugin, so a global fetch stub reaches the gateway.
 *
 * The stub behaves like a real `fetch` where the gateway can tell the difference: when the caller's
 * signal aborts before the response head arrives, the returned promise rejects with the signal's
 * reason (a real fetch never resolves with whatever the server answers after the abort).
 */
export const FAKE_BASE = "https://fake.test";

/** The fake provider's root when it plays `scenario` (see test/fake-provider/worker.ts); healthy without one. */
export const fakeRoot = (scenario?: string): string => `${FAKE_BASE}${scenario ? `/s/${scenario}` : ""}`;

/** The OpenAI API root of a fake binding that plays `scenario`. */
export const fakeBaseUrl = (scenario?: string): string => `${fakeRoot(scenario)}/v1`;

/** The key the fake bindings' `api_key_secret` (FAKE_OPENAI_KEY) names, as the fake provider receives it. */
export const FAKE_PROVIDER_KEY = env.FAKE_OPENAI_KEY;

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export function installFakeUpstream(): void {
  resetRecorded();
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname !== "fake.test") return realFetch(request);
    return Promise.race([handleFakeProvider(request), rejectOnAbort(request.signal)]);
  });
}

export { recorded };
