/** Writes one SSE event: an optional `event:` line, one `data:` line of JSON (or a literal), a blank line. */
export function sseEvent(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`;
}

/** A parsed upstream SSE event, as an SSE parser (eventsource-parser) hands it over. */
export interface UpstreamEvent {
  event?: string | undefined;
  data: string;
}
