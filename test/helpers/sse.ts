/** Reading SSE bodies in tests, independently of the gateway's own SSE code. */

export interface SseEvent {
  event: string | null;
  data: string;
}

/** Splits an SSE body into its events (the spec's line endings, blank-line separated). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    if (block.trim() === "") continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (event === null && data.length === 0) continue; // a comment-only block dispatches nothing
    events.push({ event, data: data.join("\n") });
  }
  return events;
}

/** The assistant text a chat-completions stream carried, chunk deltas joined. */
export function streamedContent(events: SseEvent[]): string {
  let text = "";
  for (const e of events) {
    if (e.event !== null || e.data === "[DONE]") continue;
    const chunk = JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[] };
    text += chunk.choices?.[0]?.delta?.content ?? "";
  }
  return text;
}
