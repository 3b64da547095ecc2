import type { RequestBody } from "../contract/wire";

/**
 * `cache.mode: "disable"`: removes every `cache_control` marker, wherever Anthropic Messages accepts
 * one (the top level, system blocks, message content blocks and the blocks inside a `tool_result`,
 * tools) and wherever OpenAI chat bodies carry one (a message, its content parts, a tool). Returns a
 * new body and how many markers were removed; the client's body is left as it was.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

interface Stripped<T> {
  value: T;
  removed: number;
}

function stripBlock(block: unknown): Stripped<unknown> {
  if (!isObject(block)) return { value: block, removed: 0 };
  let removed = 0;
  let out: Json = block;
  if ("cache_control" in block) {
    const { cache_control: _marker, ...rest } = block;
    out = rest;
    removed++;
  }
  if (Array.isArray(block.content)) {
    const inner = stripBlocks(block.content);
    if (inner.removed > 0) {
      out = { ...out, content: inner.value };
      removed += inner.removed;
    }
  }
  return { value: out, removed };
}

function stripBlocks(blocks: unknown): Stripped<unknown> {
  if (!Array.isArray(blocks)) return { value: blocks, removed: 0 };
  let removed = 0;
  const value = blocks.map((b) => {
    const s = stripBlock(b);
    removed += s.removed;
    return s.value;
  });
  return removed > 0 ? { value, removed } : { value: blocks, removed: 0 };
}

export function stripCacheControl<T extends RequestBody>(body: T): Stripped<T> {
  let removed = 0;
  const out: Json = { ...body };
  if ("cache_control" in out) {
    delete out.cache_control;
    removed++;
  }
  for (const field of ["system", "tools"] as const) {
    const s = stripBlocks(body[field]);
    if (s.removed > 0) {
      out[field] = s.value;
      removed += s.removed;
    }
  }
  const messages = stripBlocks(body.messages); // each message, and its `content` blocks, via stripBlock
  if (messages.removed > 0) {
    out.messages = messages.value;
    removed += messages.removed;
  }
  return removed > 0 ? { value: out as T, removed } : { value: body, removed: 0 };
}
