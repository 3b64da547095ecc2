/**
 * The error catalogue (docs/api.md, Errors) and its two envelopes. Every error the gateway itself produces is
 * a GatewayError; its message always says what to do next.
 */

export const ERROR_STATUS = {
  invalid_api_key: 401,
  model_not_allowed: 403,
  tool_not_allowed: 403,
  url_not_allowed: 403,
  budget_exceeded: 402,
  rate_limit_exceeded: 429,
  guardrail_blocked: 403,
  invalid_request_error: 400,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  provider_error: 502,
  upstream_timeout: 504,
  service_unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

export class GatewayError extends Error {
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    type: ErrorType,
    code: string,
    message: string,
    options: { param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.type = type;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_STATUS[this.type];
  }
}

/** The 404 of a path the gateway does not serve (also what the admin API answers when it is disabled). */
export function routeNotFound(method: string, path: string): GatewayError {
  return new GatewayError(
    "not_found",
    "route_not_found",
    `No route ${method} ${path}. See the endpoint list in docs/api.md (Public endpoints).`,
  );
}

/** Which envelope a route speaks: OpenAI-shaped routes, or Anthropic's `/v1/messages`. */
export type ErrorShape = "openai" | "anthropic";

export function errorBody(err: GatewayError, shape: ErrorShape): unknown {
  if (shape === "anthropic") {
    return { type: "error", error: { type: err.type, code: err.code, message: err.message } };
  }
  return { error: { type: err.type, code: err.code, message: err.message, param: err.param } };
}

export function errorResponse(err: GatewayError, shape: ErrorShape, headers?: Headers): Response {
  const h = headers ?? new Headers();
  h.set("content-type", "application/json");
  for (const [k, v] of Object.entries(err.headers)) h.set(k, v);
  return new Response(JSON.stringify(errorBody(err, shape)), { status: err.status, headers: h });
}

/** Anthropic clients call `/v1/messages`; everything else speaks the OpenAI envelope. */
export function shapeForPath(path: string): ErrorShape {
  return path === "/v1/messages" || path.startsWith("/v1/messages/") ? "anthropic" : "openai";
}
