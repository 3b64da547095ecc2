import { completion, openAIError, streamFrames, type ChatRequestLike } from "./openai";

/**
 * The project's own fake provider: speaks the OpenAI wire format (streaming included) and fails on
 * demand. A scenario is chosen by the path prefix of the binding's base_url, so one fallback chain
 * can mix healthy and failing bindings:
 *
 *   /v1/chat/completions                       healthy
 *   /s/status-503/v1/...                       JSON error with that status (any code)
 *   /s/html-502/v1/...                         an HTML error page with that status
 *   /s/text-200/v1/...                         a 200 whose body is not JSON
 *   /s/hang/v1/...                             never answers (until the caller aborts)
 *   /s/hang-after-2/v1/...                     streams 2 chunks, then goes silent
 *   /s/drop-after-3/v1/...                     streams 3 chunks, then the connection breaks
 *   /s/truncate-after-3/v1/...                 streams 3 chunks, then ends without [DONE]
 *   /s/slow-20/v1/...                          waits 20 ms before each chunk
 *   /s/split/v1/...                            streams in 7-byte pieces that cut events and lines
 *
 * Every request is recorded (method, path, headers, body, whether the caller aborted) for tests to
 * inspect: in the same isolate through `recorded`, from another process through GET /__requests.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  scenario: string;
  headers: Record<string, string>;
  body: unknown;
  aborted: boolean;
}

export const recorded: RecordedRequest[] = [];
export function resetRecorded(): void {
  recorded.length = 0;
}

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function sseStream(frames: string[], scenario: string, signal: AbortSignal, onCancel: () => void): ReadableStream<Uint8Array> {
  const dropAfter = /^drop-after-(\d+)$/.exec(scenario);
  const truncateAfter = /^truncate-after-(\d+)$/.exec(scenario);
  const hangAfter = /^hang-after-(\d+)$/.exec(scenario);
  const slow = /^slow-(\d+)$/.exec(scenario);
  const cut = Number(dropAfter?.[1] ?? truncateAfter?.[1] ?? hangAfter?.[1] ?? Infinity);
  let bytes = encoder.encode(frames.map((f) => `data: ${f}\n\n`).join(""));
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (scenario === "split") {
        if (bytes.length === 0) return controller.close();
        controller.enqueue(bytes.slice(0, 7));
        bytes = bytes.slice(7);
        return;
      }
      if (i >= cut) {
        if (dropAfter) return controller.error(new Error("fake provider dropped the connection"));
        if (truncateAfter) return controller.close();
        await waitForAbort(signal).catch(() => undefined);
        return controller.close();
      }
      if (i >= frames.length) return controller.close();
      if (slow) await sleep(Number(slow[1]));
      controller.enqueue(encoder.encode(`data: ${frames[i++]}\n\n`));
    },
    cancel() {
      onCancel();
    },
  });
}

export async function handleFakeProvider(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/__requests") return Response.json(recorded);
  if (url.pathname === "/__reset") {
    resetRecorded();
    return new Response(null, { status: 204 });
  }
  const m = /^\/s\/([a-z0-9-]+)(\/.*)$/.exec(url.pathname);
  const scenario = m?.[1] ?? "ok";
  const path = m?.[2] ?? url.pathname;
  const text = request.method === "GET" ? "" : await request.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  const entry: RecordedRequest = { method: request.method, path, scenario, headers, body, aborted: false };
  recorded.push(entry);
  request.signal.addEventListener("abort", () => (entry.aborted = true), { once: true });

  const status = /^status-(\d{3})$/.exec(scenario);
  if (status) return Response.json(openAIError(Number(status[1])), { status: Number(status[1]) });
  const html = /^html-(\d{3})$/.exec(scenario);
  if (html) {
    return new Response("<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body><h1>502</h1></body></html>", {
      status: Number(html[1]),
      headers: { "content-type": "text/html" },
    });
  }
  if (scenario === "text-200") return new Response("upstream says hi", { status: 200, headers: { "content-type": "text/plain" } });
  if (scenario === "hang") {
    await waitForAbort(request.signal).catch(() => undefined);
    return new Response(null, { status: 499 });
  }

  if (request.method === "GET" && path === "/v1/models") {
    return Response.json({ object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "fake" }] });
  }
  if (request.method !== "POST" || path !== "/v1/chat/completions") {
    return Response.json({ error: { message: `fake provider has no route ${request.method} ${path}`, type: "invalid_request_error" } }, { status: 404 });
  }
  const req = (body ?? {}) as ChatRequestLike;
  const id = `chatcmpl-fake${recorded.length}`;
  if (req.stream === true) {
    return new Response(sseStream(streamFrames(req, id), scenario, request.signal, () => (entry.aborted = true)), {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  if (scenario.startsWith("slow-")) await sleep(Number(scenario.slice(5)));
  return Response.json(completion(req, id));
}

export default { fetch: handleFakeProvider } satisfies ExportedHandler;
