import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { proxy } from "../../pipeline/proxy";
import { requestContext } from "./public";

/**
 * ANY /proxy/:provider/* (docs/api.md, Public endpoints): a raw passthrough to the binding named `:provider` of the
 * key's chain; the rest of the path and the query string go under the binding's API root as sent
 * (percent-encoding kept). The stages are in src/pipeline/proxy.ts.
 */

const PROXY_PATH = /^\/proxy\/[^/]+(\/.*)?$/;

export const proxyApi = new Hono<AppEnv>().all("/proxy/:provider/*", (c) => {
  const url = new URL(c.req.url);
  return proxy(requestContext(c), c.req.raw.headers, {
    method: c.req.method,
    provider: c.req.param("provider"),
    rest: PROXY_PATH.exec(url.pathname)?.[1] ?? "",
    query: url.search,
  });
});
