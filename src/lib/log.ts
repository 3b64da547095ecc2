/** Structured JSON logs. Callers pass identifiers (request_id, vk_id), never secrets or bodies. */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * The longest string field value a line carries, in characters; a longer one (a client's model
 * name, an upstream error message) is cut there and marked with how much was left out, so that no
 * input can make a line megabytes long. The message-body log's `*_body` excerpts, already cut at
 * 4 KB by src/telemetry/body-log.ts, have their own, larger bound.
 */
export const LOG_FIELD_LIMIT = 1024;
export const LOG_BODY_FIELD_LIMIT = 8192;

/** `value` cut to `limit` characters plus a `…[+N chars]` marker (never splitting a surrogate pair). */
export function capLogValue(value: string, limit = LOG_FIELD_LIMIT): string {
  if (value.length <= limit) return value;
  let end = limit;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}…[+${value.length - end} chars]`;
}

function capped(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  let out: LogFields | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== "string") continue;
    const limit = key.endsWith("_body") ? LOG_BODY_FIELD_LIMIT : LOG_FIELD_LIMIT;
    if (value.length <= limit) continue;
    out ??= { ...fields };
    out[key] = capLogValue(value, limit);
  }
  return out ?? fields;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /**
   * Adds fields to every line this logger writes from now on. A request's logger is shared by the
   * HTTP layer and the stages, so what a stage learns (the key's id) reaches the edge's lines too
   * (`unhandled_error`, `request_settled`).
   */
  enrich(fields: LogFields): void;
}

export function createLogger(fields: LogFields = {}, verbose = false): Logger {
  let base = capped(fields) ?? {};
  const emit = (level: LogLevel, event: string, more?: LogFields) => {
    if (level === "debug" && !verbose) return;
    const line = JSON.stringify({ level, event, ts: new Date().toISOString(), ...base, ...capped(more) });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (more) => createLogger({ ...base, ...more }, verbose),
    enrich: (more) => {
      base = { ...base, ...capped(more) };
    },
  };
}
