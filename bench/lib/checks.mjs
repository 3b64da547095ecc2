/**
 * What counts as a good response in the benchmark: HTTP 200 and the complete answer. The expected
 * answer is whatever the fake provider says when asked directly, so the checks do not hard-code its
 * text. Every target gets exactly the same checks; only a translated target's usage total is its own
 * (taken from one checked reference request to it, see bench/README.md).
 */

/** @typedef {{ content: string, totalTokens: number }} Answer */
/** @typedef {{ content: string, totalTokens: number | null }} Expected  totalTokens null: any, for a reference request */

/** The answer in a non-streaming chat completion body, or why there is none. */
export function answerFromJson(text) {
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: `body is not JSON: ${text.slice(0, 120)}` };
  }
  const content = json?.choices?.[0]?.message?.content;
  const totalTokens = json?.usage?.total_tokens;
  if (typeof content !== "string") return { error: "no choices[0].message.content" };
  if (typeof totalTokens !== "number") return { error: "no usage.total_tokens" };
  return { answer: { content, totalTokens } };
}

/** The answer carried by a chat-completions event stream, or why it is incomplete. */
export function answerFromStream(text) {
  if (!text.endsWith("data: [DONE]\n\n"))
    return { error: `stream does not end with data: [DONE] (tail ${JSON.stringify(text.slice(-80))})` };
  const errorAt = text.search(/^event: error$/m);
  if (errorAt >= 0) return { error: `stream carries an error event: ${text.slice(errorAt, errorAt + 300)}` };
  let content = "";
  let totalTokens = null;
  for (const event of text.split("\n\n")) {
    if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
    let chunk;
    try {
      chunk = JSON.parse(event.slice(6));
    } catch {
      return { error: `an event is not JSON: ${event.slice(0, 120)}` };
    }
    content += chunk?.choices?.[0]?.delta?.content ?? "";
    if (typeof chunk?.usage?.total_tokens === "number") totalTokens = chunk.usage.total_tokens;
  }
  if (totalTokens === null) return { error: "stream has no usage chunk" };
  return { answer: { content, totalTokens } };
}

/**
 * A response check for the load generator.
 * @param {{ stream: boolean, expected: Expected }} opts
 */
export function responseCheck({ stream, expected }) {
  const wantType = stream ? "text/event-stream" : "application/json";
  const read = stream ? answerFromStream : answerFromJson;
  return ({ status, contentType, text }) => {
    if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
    if (!contentType.includes(wantType)) return `content-type ${contentType || "(none)"}, expected ${wantType}`;
    const { answer, error } = read(text);
    if (error) return error;
    if (answer.content !== expected.content)
      return `answer ${JSON.stringify(answer.content)} differs from ${JSON.stringify(expected.content)}`;
    if (expected.totalTokens === null) {
      if (!Number.isInteger(answer.totalTokens) || answer.totalTokens <= 0)
        return `usage.total_tokens ${answer.totalTokens} is not a positive whole number`;
    } else if (answer.totalTokens !== expected.totalTokens)
      return `usage.total_tokens ${answer.totalTokens}, expected ${expected.totalTokens}`;
    return null;
  };
}
