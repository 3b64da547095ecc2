/**
 * Finds where complete SSE events end in a byte stream, so the gateway forwards whole events only:
 * a client never sees half an event, and a terminal error frame can always be appended cleanly.
 * Handles `\n`, `\r\n` and `\r` line endings, split anywhere across chunks.
 */
export class EventBoundaries {
  private pending: Uint8Array = new Uint8Array(0);
  private scanned = 0;
  private lineEnded = false;
  private lastWasCR = false;
  /** `pending` is a complete event ending in a CR whose LF may still arrive in the next chunk. */
  private held = false;

  /** Adds a chunk; returns the complete events it closes, each as its original bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const events: Uint8Array[] = [];
    let start = 0;
    let resumeAt = -1;
    this.held = false;
    for (let i = this.scanned; i < buf.length; i++) {
      const b = buf[i];
      if (b === 10 && this.lastWasCR) {
        // The \n of a \r\n: the line ended at the \r already.
        this.lastWasCR = false;
        continue;
      }
      this.lastWasCR = b === 13;
      if (b === 10 || b === 13) {
        if (this.lineEnded) {
          let end = i + 1;
          if (b === 13 && end === buf.length && buf[i - 1] === 10 && buf[i - 2] === 13) {
            // A CRLF stream whose chunk ends between the CR and the LF of the blank line: wait for
            // the LF, so the event keeps its own bytes and the next one does not start with a stray LF.
            resumeAt = i - start;
            this.lastWasCR = false;
            this.held = true;
            break;
          }
          if (b === 13 && buf[end] === 10) {
            end++;
            i++;
            this.lastWasCR = false;
          }
          events.push(buf.subarray(start, end));
          start = end;
          this.lineEnded = false;
        } else {
          this.lineEnded = true;
        }
      } else {
        this.lineEnded = false;
      }
    }
    this.pending = buf.subarray(start);
    this.scanned = resumeAt >= 0 ? resumeAt : this.pending.length;
    return events;
  }

  /** At the end of the stream: the complete event still held back for a possible LF, if any. */
  flush(): Uint8Array[] {
    if (!this.held) return [];
    const event = this.pending;
    this.pending = new Uint8Array(0);
    this.scanned = 0;
    this.held = false;
    this.lineEnded = false;
    return [event];
  }

  /** Bytes of an event still incomplete (a stream that ends here was cut off mid-event). */
  get partialBytes(): number {
    return this.held ? 0 : this.pending.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
