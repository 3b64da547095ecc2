/**
 * The object's single alarm, with its scheduled time cached in memory so the hot path can ask
 * "is an alarm due by then?" without a storage read. The cache is loaded in the constructor (under
 * blockConcurrencyWhile) and cleared when the alarm fires.
 */
export class AlarmClock {
  private scheduledAt: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<void> {
    this.scheduledAt = await this.storage.getAlarm();
  }

  /** Makes sure the alarm fires no later than `at` (an earlier alarm stays). */
  ensureBy(at: number): void {
    if (this.scheduledAt !== null && this.scheduledAt <= at) return;
    this.scheduledAt = at;
    // A storage write: the output gate holds the call's reply until it is durable.
    void this.storage.setAlarm(at);
  }

  /** Call first thing in `alarm()`: the alarm that fired is no longer scheduled. */
  fired(): void {
    this.scheduledAt = null;
  }

  /** Schedules the earliest of `times` (nulls ignored); nothing when all are null. */
  ensureByEarliest(times: readonly (number | null)[]): void {
    const due = times.filter((t): t is number => t !== null);
    if (due.length > 0) this.ensureBy(Math.min(...due));
  }
}
