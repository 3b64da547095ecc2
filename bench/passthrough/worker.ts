/**
 * The benchmark's floor: a bare Worker that forwards every request to the fake provider and returns
 * its response untouched. No parsing, no auth, no headers added; whatever the gateway costs on top of
 * this is what `npm run bench` reports.
 *
 * With COPY_IN_JS=true (the `bare-js-stream` target) it copies the response body through a JavaScript
 * ReadableStream, one read and one enqueue per chunk and nothing else: the least any Worker pays to
 * look at the bytes of a stream it forwards, which the gateway must do (terminal error frames, usage,
 * whole events). Untouched, the runtime pipes the body natively without entering JavaScript per chunk.
 */

interface PassthroughEnv {
  /** Origin of the fake provider, e.g. http://127.0.0.1:8788 */
  UPSTREAM: string;
  COPY_IN_JS?: string;
}

function copiedInJs(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

export default {
  async fetch(request, env) {
    const { pathname, search } = new URL(request.url);
    const response = await fetch(new Request(`${env.UPSTREAM}${pathname}${search}`, request));
    if (env.COPY_IN_JS !== "true" || response.body === null) return response;
    return new Response(copiedInJs(response.body as ReadableStream<Uint8Array>), response);
  },
} satisfies ExportedHandler<PassthroughEnv>;
