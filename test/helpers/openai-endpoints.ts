import { fetchWithEnv, GATEWAY } from "./gateway";
import type { SettledReply } from "./limits";

/** POSTs `body` to the gateway's `path` with the key as a bearer token, reads the reply, then waits for settlement. */
export async function postSettled(path: string, secret: string, body: unknown): Promise<SettledReply> {
  const request = new Request(`${GATEWAY}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const { response, settled } = await fetchWithEnv(request, {});
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}
