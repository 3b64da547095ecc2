import type * as z from "zod";

/** What the mock's routes share on the wire: OpenAI's error answers and event-stream responses. */

const encoder = new TextEncoder();

/** An error answer in OpenAI's shape, as OpenAI sends it for a request it refuses. */
export function mockError(status: number, message: string, param: string | null = null): Response {
  return Response.json({ error: { message, type: "invalid_request_error", param, code: null } }, { status });
}

/** The first problem zod found in a request body, as OpenAI's 400 naming the field. */
export function invalidBody(error: z.ZodError, what: string, under: PropertyKey[] = []): Response {
  const issue = error.issues[0];
  const path = [...under, ...(issue?.path ?? [])];
  const param = path.length
    ? path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .replace(/^\./, "")
    : null;
  const detail = issue?.code === "invalid_type" && issue.input === undefined ? "is required" : issue?.message;
  return mockError(
    400,
    `Invalid ${what}: ${param ?? "the body"} ${detail ?? "is invalid"}. Fix the request and send it again.`,
    param,
  );
}

/** An event stream of complete SSE events (each ends with its blank line), sent at once. */
export function eventStream(events: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(encoder.encode(e));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
}

/** The current time in whole seconds, as OpenAI's `created` fields carry it. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The text of a message's content: a string, or the `text` of its parts (images and files add none). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p: unknown) =>
      typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string"
        ? (p as { text: string }).text
        : "",
    )
    .filter((t) => t !== "")
    .join(" ");
}
