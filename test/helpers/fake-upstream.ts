import { vi } from "vitest";
import { handleFakeProvider, recorded, resetRecorded } from "../fake-provider/worker";

/**
 * Routes the gateway's outbound fetches for https://fake.test to the fake provider. Tests and the
 * gateway share one isolate under the vitest plugin, so a global fetch stub reaches the gateway.
 */
export const FAKE_BASE = "https://fake.test";

export function installFakeUpstream(): void {
  resetRecorded();
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname === "fake.test") return handleFakeProvider(request);
    return realFetch(request);
  });
}

export { recorded };
