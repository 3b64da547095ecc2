import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { routeNotFound } from "../errors";
import { bodyCap, renderError, requestIdentity, requireConfig } from "./edge";
import { adminApiEnabled } from "../admin/gate";
import { adminApi } from "./routes/admin";
import { health } from "./routes/health";
import { proxyApi } from "./routes/proxy";
import { publicApi } from "./routes/public";

/**
 * The gateway's routes and the order of its edge stages, nothing else:
 *   1. identity (request id, trace id, response headers) on everything;
 *   2. health routes, which must answer even when the configuration is bad;
 *   3. body cap (413 before auth), then configuration (503 if invalid), then the public API, whose
 *      handlers run the pipeline stages (src/pipeline/chat-completions.ts); the same guards before
 *      the raw passthrough, /proxy/:provider/* (src/pipeline/proxy.ts);
 *   4. the admin API: absent (404) without LW_GATEWAY_ADMIN_TOKEN, then the same body cap and
 *      configuration guards, then its own bearer check (src/http/routes/admin.ts).
 */
export const app = new Hono<AppEnv>()
  .use(requestIdentity())
  .route("/", health)
  .use("/v1/*", bodyCap(), requireConfig())
  .route("/", publicApi)
  .use("/proxy/*", bodyCap(), requireConfig())
  .route("/", proxyApi)
  .use("/admin/*", adminApiEnabled(), bodyCap(), requireConfig())
  .route("/admin/v1", adminApi);

// Rendered here, not thrown: a throw from the not-found handler would skip the identity middleware's
// headers (Hono hands it to the handler that called next(), i.e. requestIdentity itself).
app.notFound((c) => renderError(routeNotFound(c.req.method, c.req.path), c.req.path, c.get("log")));

app.onError((err, c) => renderError(err, c.req.path, c.get("log")));
