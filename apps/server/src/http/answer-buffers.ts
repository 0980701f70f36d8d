/**
 * Reusable memory for answers assembled from their pieces (the remembered entries of a FHIR search set, those of an
 * ITI-18 answer); shared by the FHIR and SOAP surfaces, so that neither imports the other. Sent as one buffer with
 * its Content-Length, an answer costs the server one write; streamed piece by piece it cost 3 to 5 times more CPU
 * (chunked framing and stream machinery per piece), and a fresh 175 KB buffer per answer makes the garbage
 * collector run for its external memory (measured on the bench machine: docs/benchmarks.md). A buffer goes back to
 * the pool only once its answer is over (the response's `close`: written, or the connection gone), so no answer
 * can be overwritten while it is being sent.
 *
 * Memory (issue 20, docs/benchmarks.md "Sixteenth session, memory"): buffers come in sizes of powers of two from
 * 64 KB (an answer takes the smallest that holds it, so a 170 KB search set holds 256 KB, not the largest answer's
 * size); the pool keeps at most `keepBytes` of free buffers, and forgets those of a size no answer took for
 * `idleMs` — the buffers of a kind of traffic that stopped (the 1 MB buffers of searches of 200 entries once only
 * pages of 50 are asked for, the 2 MB of ITI-18 answers after a batch of queries) are not held for ever.
 */
export interface AnswerBufferSettings {
  /** Answers larger than this get memory of their own, never pooled. */
  readonly largest?: number;
  /** Free buffers kept, in bytes at most. */
  readonly keepBytes?: number;
  /** Free buffers of a size are forgotten when no answer took one for this long (ms). */
  readonly idleMs?: number;
}

const SMALLEST = 64 * 1024;

export class AnswerBuffers {
  /** Free buffers by size (a power of two from {@link SMALLEST}), with when one of that size was last taken. */
  readonly #free = new Map<number, { buffers: Buffer[]; taken: number }>();
  readonly #largest: number;
  readonly #keepBytes: number;
  readonly #idleMs: number;
  #freeBytes = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(settings: AnswerBufferSettings = {}) {
    this.#largest = settings.largest ?? 1024 * 1024;
    this.#keepBytes = settings.keepBytes ?? 8 * 1024 * 1024;
    this.#idleMs = settings.idleMs ?? 30_000;
  }

  /** Bytes of free buffers held now. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** The pieces copied into one buffer: `body` to send, `release` to call once the answer is over. */
  assemble(parts: readonly Buffer[]): { body: Buffer; release: () => void } {
    let length = 0;
    for (const part of parts) {
      length += part.byteLength;
    }
    const size = length <= this.#largest ? sizeFor(length) : 0;
    const buffer = size > 0 ? this.#take(size) : Buffer.allocUnsafe(length);
    let offset = 0;
    for (const part of parts) {
      offset += part.copy(buffer, offset);
    }
    let released = size === 0;
    return {
      body: buffer.subarray(0, length),
      release: () => {
        if (!released) {
          released = true;
          this.#give(buffer);
        }
      },
    };
  }

  /** Forgets every free buffer (their memory goes once the garbage collector frees them). */
  trim(): void {
    this.#free.clear();
    this.#freeBytes = 0;
  }

  #take(size: number): Buffer {
    const list = this.#free.get(size);
    if (list) {
      list.taken = Date.now();
    }
    const free = list?.buffers.pop();
    if (free) {
      this.#freeBytes -= size;
      return free;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  #give(buffer: Buffer): void {
    const size = buffer.byteLength;
    if (this.#freeBytes + size > this.#keepBytes) {
      return;
    }
    let list = this.#free.get(size);
    if (!list) {
      list = { buffers: [], taken: Date.now() };
      this.#free.set(size, list);
    }
    list.buffers.push(buffer);
    this.#freeBytes += size;
    this.#watchIdle();
  }

  /** Forgets the free buffers of each size none was taken of for idleMs (a timer that never keeps the process up). */
  #watchIdle(): void {
    if (this.#idleTimer !== undefined) {
      return;
    }
    const check = (): void => {
      this.#idleTimer = undefined;
      const now = Date.now();
      let next = Infinity;
      for (const [size, list] of this.#free) {
        const idle = now - list.taken;
        if (idle >= this.#idleMs) {
          this.#freeBytes -= size * list.buffers.length;
          this.#free.delete(size);
        } else {
          next = Math.min(next, this.#idleMs - idle);
        }
      }
      if (next !== Infinity) {
        this.#idleTimer = setTimeout(check, next);
        this.#idleTimer.unref();
      }
    };
    this.#idleTimer = setTimeout(check, this.#idleMs);
    this.#idleTimer.unref();
  }
}

/** The smallest power of two from 64 KB that holds `length` bytes. */
function sizeFor(length: number): number {
  let size = SMALLEST;
  while (size < length) {
    size *= 2;
  }
  return size;
}
