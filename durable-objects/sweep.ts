import { prunePastPeriods, releaseLine } from "./budget-book";
import { expireStale, pruneTombstones } from "./reservations";

/**
 * The alarm's housekeeping, shared by both counters: reservations nobody settled within the TTL give
 * their budget reservation back (a crashed isolate never leaks headroom), old tombstones and the
 * counters of past budget periods are deleted. Synchronous, so it runs atomically.
 */
export function sweepExpired(storage: DurableObjectStorage, nowMs: number): number {
  return storage.transactionSync(() => {
    const expired = expireStale(storage.sql, nowMs);
    for (const reservation of expired) {
      for (const line of reservation.lines) releaseLine(storage.sql, line);
    }
    pruneTombstones(storage.sql, nowMs);
    prunePastPeriods(storage.sql, nowMs);
    return expired.length;
  });
}
