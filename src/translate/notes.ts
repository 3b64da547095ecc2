/** What a request translation returns: the translated body, and what the target could not honour. */
export interface Translated<T> {
  body: T;
  /**
   * Parameters left out (or adjusted) because the target API cannot honour them, for the caller to
   * log. Each entry starts with the parameter's path; an adjustment adds a parenthetical, e.g.
   * `temperature (1.6 clamped to 1)`. Never a reason to fail the request.
   */
  dropped: string[];
}

/** Collects dropped parameters once each, in the order they were met. */
export class DroppedParams {
  private readonly seen = new Set<string>();

  add(note: string): void {
    this.seen.add(note);
  }

  list(): string[] {
    return [...this.seen];
  }
}
