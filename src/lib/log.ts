/** Structured JSON logs. Callers pass identifiers (request_id, vk_id), never secrets or bodies. */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

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
  let base = fields;
  const emit = (level: LogLevel, event: string, more?: LogFields) => {
    if (level === "debug" && !verbose) return;
    const line = JSON.stringify({ level, event, ts: new Date().toISOString(), ...base, ...more });
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
      base = { ...base, ...more };
    },
  };
}
