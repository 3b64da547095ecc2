/**
 * The benchmark's floor: a bare Worker that forwards every request to the fake provider and returns
 * its response untouched. No parsing, no auth, no headers added; whatever the gateway costs on top of
 * this is what `npm run bench` reports.
 */

interface PassthroughEnv {
  /** Origin of the fake provider, e.g. http://127.0.0.1:8788 */
  UPSTREAM: string;
}

export default {
  fetch(request, env) {
    const { pathname, search } = new URL(request.url);
    return fetch(new Request(`${env.UPSTREAM}${pathname}${search}`, request));
  },
} satisfies ExportedHandler<PassthroughEnv>;
