import { AwsV4Signer } from "aws4fetch";
import { encodeEventMessage } from "./event-stream";
import { FAKE_REPLY_WORDS } from "./openai";
import { scenarioStream, sleep } from "./scenario-stream";

/**
 * AWS Bedrock's Converse API as the fake provider speaks it, at POST /model/{modelId}/converse and
 * /model/{modelId}/converse-stream:
 *
 * - Auth as Bedrock checks it: a Bedrock API key as `Authorization: Bearer`, or a SigV4 signature
 *   (`AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/bedrock/aws4_request, SignedHeaders=…,
 *   Signature=…` with `x-amz-date`) that is recomputed here from the fake secret access key and must
 *   match. Failures are 403s in Bedrock's shape.
 * - Bodies as Bedrock validates them: unknown top-level keys (`model`, `stream`, …) are a 400
 *   ValidationException, tool blocks need `toolConfig`, and a prompt-cache `cachePoint` (in message
 *   content, `system` or `toolConfig.tools`) must be `{"type": "default"}`, with `"ttl"` `5m` or `1h`
 *   at most, and follow the block it closes. Usage always reports cache reads and writes.
 * - Answers in Bedrock's shapes: `{"output": {"message": …}, "stopReason", "usage"}`, or the binary
 *   event stream (`application/vnd.amazon.eventstream`, real CRCs; event-stream.ts) of messageStart,
 *   contentBlockDelta…, contentBlockStop, messageStop, metadata. A request with tools gets a text
 *   block and a call of its first tool (`{"city":"Paris"}`; streamed in two fragments).
 * - Errors as Bedrock sends them: `{"message": …}` with the exception in `x-amzn-ErrorType`.
 *
 * Scenarios (the `/s/<scenario>` prefix; counts are event-stream messages): the streaming ones of
 * scenario-stream.ts (`drop-after-N`, `truncate-after-N` — a clean close before messageStop —,
 * `slow-N`, `hang-after-N`, `split`), and Bedrock's own: `cut-after-N` (closes halfway through a
 * message), `corrupt-after-N` (a message with a bad CRC), `exception-after-N` (a throttlingException
 * message; N = 0: before anything else). The generic ones (`status-NNN`, `html-502`, `hang`, …) are
 * worker.ts's.
 */

export const BEDROCK_PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

export const FAKE_AWS_ACCESS_KEY_ID = "AKIAFAKEBEDROCK00001";
export const FAKE_AWS_SECRET_ACCESS_KEY = "fakeSecretAccessKey/0123456789+abcdefGHIJ";
export const FAKE_BEDROCK_API_KEY = "ABSKZmFrZS1iZWRyb2NrLWFwaS1rZXk=";

/** What every fake Bedrock answer reports: `inputTokens` leaves the cached tokens out. */
export const FAKE_BEDROCK_USAGE = {
  inputTokens: 11,
  outputTokens: FAKE_REPLY_WORDS.length,
  cacheReadInputTokens: 3,
  cacheWriteInputTokens: 5,
  totalTokens: 11 + FAKE_REPLY_WORDS.length + 3 + 5,
} as const;

export const FAKE_TOOL_TEXT = "Let me check.";
export const FAKE_TOOL_USE_ID = "tooluse_fake0123456789";
export const FAKE_TOOL_INPUT = { city: "Paris" };

const EXCEPTIONS: Record<number, string> = {
  400: "ValidationException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};

/** A Bedrock error answer: the message in the body, the exception's name in `x-amzn-ErrorType`. */
export function bedrockError(
  status: number,
  message = `Fake Bedrock error with status ${status}`,
  type?: string,
): Response {
  const name = type ?? EXCEPTIONS[status] ?? (status >= 500 ? "InternalServerException" : "ValidationException");
  return Response.json(
    { message },
    {
      status,
      headers: {
        "x-amzn-ErrorType": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        "x-amzn-RequestId": crypto.randomUUID(),
      },
    },
  );
}

/** Why the request's auth would not pass Bedrock, or null when it does. */
async function rejectAuth(request: Request, url: URL, raw: string): Promise<Response | null> {
  const auth = request.headers.get("authorization") ?? "";
  if (auth.startsWith("Bearer ")) {
    if (auth.slice("Bearer ".length) === FAKE_BEDROCK_API_KEY) return null;
    return bedrockError(
      403,
      "Invalid API Key format: Must start with pre-defined prefix",
      "UnrecognizedClientException",
    );
  }
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return bedrockError(403, "Missing Authentication Token", "MissingAuthenticationTokenException");
  const [, keyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const amzDate = request.headers.get("x-amz-date") ?? "";
  if (keyId !== FAKE_AWS_ACCESS_KEY_ID) {
    return bedrockError(403, "The security token included in the request is invalid.", "UnrecognizedClientException");
  }
  if (service !== "bedrock" || !amzDate.startsWith(date ?? "-")) {
    return bedrockError(403, `Credential should be scoped to correct service: 'bedrock'.`, "InvalidSignatureException");
  }
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders ?? "").split(";")) {
    if (name !== "host") headers[name] = request.headers.get(name) ?? "";
  }
  const expected = new AwsV4Signer({
    method: request.method,
    url: url.toString(),
    headers,
    body: raw,
    accessKeyId: FAKE_AWS_ACCESS_KEY_ID,
    secretAccessKey: FAKE_AWS_SECRET_ACCESS_KEY,
    service: "bedrock",
    region: region ?? "",
    datetime: amzDate,
  });
  if (expected.signedHeaders !== signedHeaders || (await expected.signature()) !== signature) {
    return bedrockError(
      403,
      "The request signature we calculated does not match the signature you provided.",
      "InvalidSignatureException",
    );
  }
  return null;
}

const TOP_LEVEL_KEYS = new Set([
  "messages",
  "system",
  "inferenceConfig",
  "toolConfig",
  "guardrailConfig",
  "additionalModelRequestFields",
  "additionalModelResponseFieldPaths",
  "promptVariables",
  "requestMetadata",
  "performanceConfig",
]);
const BLOCK_KEYS = new Set([
  "text",
  "image",
  "document",
  "video",
  "toolUse",
  "toolResult",
  "guardContent",
  "cachePoint",
  "reasoningContent",
]);

interface ConverseLike {
  messages?: { role?: unknown; content?: Record<string, unknown>[] }[];
  system?: Record<string, unknown>[];
  toolConfig?: { tools?: { toolSpec?: { name?: string }; cachePoint?: unknown }[] };
}

const SYSTEM_KEYS = new Set(["text", "guardContent", "cachePoint"]);
const TOOL_KEYS = new Set(["toolSpec", "cachePoint"]);
const CACHE_TTLS = new Set(["5m", "1h"]);

/** `{"type": "default"}`, with an optional `ttl` of 5m or 1h, and nothing else. */
function isCachePoint(point: unknown): boolean {
  if (typeof point !== "object" || point === null) return false;
  const { type, ttl, ...rest } = point as Record<string, unknown>;
  const ttlOk = ttl === undefined || (typeof ttl === "string" && CACHE_TTLS.has(ttl));
  return type === "default" && ttlOk && Object.keys(rest).length === 0;
}

/**
 * What Bedrock would say of the members of one list (message content, `system`, `tools`): each has
 * exactly one of `keys`, and a cachePoint is well-formed and closes a block before it.
 */
function rejectList(list: unknown, keys: Set<string>, where: string): Response | null {
  if (list === undefined) return null;
  if (!Array.isArray(list)) return bedrockError(400, `${where} must be a list.`);
  for (const [i, member] of (list as unknown[]).entries()) {
    const names = typeof member === "object" && member !== null ? Object.keys(member) : [];
    if (names.length !== 1 || !keys.has(names[0] ?? "")) {
      return bedrockError(400, `Malformed ${where} member with keys [${names.join(", ")}].`);
    }
    if (names[0] !== "cachePoint") continue;
    if (!isCachePoint((member as { cachePoint?: unknown }).cachePoint)) {
      return bedrockError(400, `${where}: a cachePoint must be {"type": "default"} with an optional ttl of 5m or 1h.`);
    }
    const before = (list as unknown[])[i - 1];
    if (i === 0 || (typeof before === "object" && before !== null && "cachePoint" in before)) {
      return bedrockError(400, `${where}: a cachePoint must follow the content it caches.`);
    }
  }
  return null;
}

/** The ValidationException Bedrock would answer the body with, or null. */
function rejectBody(body: unknown): Response | null {
  if (typeof body !== "object" || body === null)
    return bedrockError(400, "Malformed input request, please reformat your input and try again.");
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_KEYS.has(key))
      return bedrockError(
        400,
        `Malformed input request: extraneous key [${key}] is not permitted, please reformat your input and try again.`,
      );
  }
  const req = body as ConverseLike;
  if (!Array.isArray(req.messages) || req.messages.length === 0)
    return bedrockError(
      400,
      "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    );
  const listRejection =
    rejectList(req.system, SYSTEM_KEYS, "system") ?? rejectList(req.toolConfig?.tools, TOOL_KEYS, "toolConfig.tools");
  if (listRejection) return listRejection;
  for (const m of req.messages) {
    const rejection = rejectList(m.content, BLOCK_KEYS, "content block");
    if (rejection) return rejection;
    for (const block of m.content ?? []) {
      if (block.text === "")
        return bedrockError(
          400,
          "The text field in the ContentBlock object is blank. Add text to the text field, and try again.",
        );
      if (("toolUse" in block || "toolResult" in block) && !req.toolConfig) {
        return bedrockError(
          400,
          "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        );
      }
    }
  }
  return null;
}

const toolOf = (req: ConverseLike): string | null =>
  req.toolConfig?.tools?.find((t) => t.toolSpec)?.toolSpec?.name ?? null;

function converseAnswer(req: ConverseLike) {
  const tool = toolOf(req);
  const content = tool
    ? [{ text: FAKE_TOOL_TEXT }, { toolUse: { toolUseId: FAKE_TOOL_USE_ID, name: tool, input: FAKE_TOOL_INPUT } }]
    : [{ text: FAKE_REPLY_WORDS.join(" ") }];
  return {
    output: { message: { role: "assistant", content } },
    stopReason: tool ? "tool_use" : "end_turn",
    usage: FAKE_BEDROCK_USAGE,
    metrics: { latencyMs: 42 },
  };
}

/** The stream's events in order, as (event type, payload) pairs. */
export function converseStreamEvents(req: ConverseLike): [string, object][] {
  const tool = toolOf(req);
  const words = tool ? [FAKE_TOOL_TEXT] : FAKE_REPLY_WORDS;
  const events: [string, object][] = [
    ["messageStart", { role: "assistant" }],
    ...words.map((w, i): [string, object] => [
      "contentBlockDelta",
      { contentBlockIndex: 0, delta: { text: i === 0 ? w : ` ${w}` } },
    ]),
    ["contentBlockStop", { contentBlockIndex: 0 }],
  ];
  if (tool) {
    const input = JSON.stringify(FAKE_TOOL_INPUT);
    const half = Math.floor(input.length / 2);
    events.push(
      ["contentBlockStart", { contentBlockIndex: 1, start: { toolUse: { toolUseId: FAKE_TOOL_USE_ID, name: tool } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: input.slice(0, half) } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: input.slice(half) } } }],
      ["contentBlockStop", { contentBlockIndex: 1 }],
    );
  }
  events.push(
    ["messageStop", { stopReason: tool ? "tool_use" : "end_turn" }],
    ["metadata", { usage: FAKE_BEDROCK_USAGE, metrics: { latencyMs: 42 } }],
  );
  return events;
}

/** One event message. Bedrock pads payloads with `p`. */
export function eventMessage(type: string, payload: object): Uint8Array {
  return encodeEventMessage(
    { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
    JSON.stringify({ ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEF" }),
  );
}

export function exceptionMessage(type: string, message: string): Uint8Array {
  return encodeEventMessage(
    { ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" },
    JSON.stringify({ message }),
  );
}

/**
 * Bedrock's own broken ends (scenarios `cut-after-N`, `corrupt-after-N`, `exception-after-N`): the
 * piece sent after N messages before the stream closes; null for the other scenarios.
 */
function brokenEnd(messages: Uint8Array[], scenario: string): { after: number; piece: Uint8Array } | null {
  const m = /^(cut|corrupt|exception)-after-(\d+)$/.exec(scenario);
  if (!m) return null;
  const after = Number(m[2]);
  const next = messages[after] ?? eventMessage("messageStop", { stopReason: "end_turn" });
  if (m[1] === "cut") return { after, piece: next.slice(0, Math.floor(next.length / 2)) };
  if (m[1] === "corrupt") {
    const piece = next.slice();
    piece[piece.length - 1] = (piece[piece.length - 1] ?? 0) ^ 0xff;
    return { after, piece };
  }
  return { after, piece: exceptionMessage("throttlingException", "Too many tokens, please wait before trying again.") };
}

/** Answers POST /model/{modelId}/converse(-stream). */
export async function bedrockAnswer(
  request: Request,
  url: URL,
  path: string,
  raw: string,
  body: unknown,
  scenario: string,
  onCancel: () => void,
): Promise<Response> {
  const rejection = (await rejectAuth(request, url, raw)) ?? rejectBody(body);
  if (rejection) return rejection;
  const req = body as ConverseLike;
  const requestId = crypto.randomUUID();
  if (BEDROCK_PATH.exec(path)?.[2] === "converse-stream") {
    const messages = converseStreamEvents(req).map(([type, payload]) => eventMessage(type, payload));
    const stream = scenarioStream(messages, {
      scenario,
      signal: request.signal,
      onCancel,
      brokenEnd: brokenEnd(messages, scenario),
    });
    return new Response(stream, {
      headers: {
        "content-type": "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-content-type": "application/json",
        "x-amzn-RequestId": requestId,
      },
    });
  }
  const slow = /^slow-(\d+)$/.exec(scenario);
  if (slow) await sleep(Number(slow[1]));
  return Response.json(converseAnswer(req), { headers: { "x-amzn-RequestId": requestId } });
}
