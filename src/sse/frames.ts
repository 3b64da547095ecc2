/** SSE frames the gateway itself writes into a client's stream. */

const encoder = new TextEncoder();

/** The one terminal frame (docs/api.md, Errors) after a provider fails mid-stream. */
export function midStreamFailureFrame(message: string): Uint8Array {
  const data = JSON.stringify({
    error: { type: "provider_error", code: "upstream_mid_stream_failure", message },
  });
  return encoder.encode(`event: error\ndata: ${data}\n\n`);
}

/** The same terminal frame in Anthropic's error envelope, for `/v1/messages` streams. */
export function anthropicMidStreamFailureFrame(message: string): Uint8Array {
  const data = JSON.stringify({
    type: "error",
    error: { type: "provider_error", code: "upstream_mid_stream_failure", message },
  });
  return encoder.encode(`event: error\ndata: ${data}\n\n`);
}
