import * as z from "zod";
import { isJsonObject, type JsonObject } from "../merge-patch";

/** Field schemas shared by the admin resources. Messages complete the sentence `"<field>" …`. */

/** An ISO-8601 timestamp with a zone (`Z` or an offset), as milliseconds since the epoch. */
export const isoTimestamp = z.iso
  .datetime({ offset: true, error: "must be an ISO-8601 timestamp with a zone, e.g. 2030-01-31T00:00:00Z" })
  .transform((text) => Date.parse(text));

/** A timestamp that has not passed yet (expiry dates). */
export const futureTimestamp = isoTimestamp.refine((ms) => ms > Date.now(), { error: "must be in the future" });

/**
 * A JSON object of any shape (merge patches, free-form settings), passed through as parsed: a
 * rebuilt copy would turn a `__proto__` member into the copy's prototype and lose it from view.
 */
export const jsonObject = z.custom<JsonObject>(isJsonObject, { error: "must be a JSON object" });

/** `?limit=`: 1..1000, default 100. */
export const listLimit = z
  .string()
  .regex(/^\d+$/, "must be a whole number from 1 to 1000")
  .transform(Number)
  .pipe(z.number().int().min(1).max(1000))
  .default(100);

/** ISO-8601 UTC, the form of every timestamp in a response. */
export const isoString = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : isoString(ms));
