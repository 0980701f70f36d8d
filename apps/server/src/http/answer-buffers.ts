/**
 * Reusable memory for answers assembled from their pieces (the remembered entries of a FHIR search set, those of an
 * ITI-18 answer); shared by the FHIR and SOAP surfaces, so that neither imports the other. Sent as one buffer with
 * its Content-Length, an answer costs the server one write; streamed piece by piece it cost 3 to 5 times more CPU
 * (chunked framing and stream machinery per piece), and a fresh 175 KB buffer per answer makes the garbage
 * collector run for its external memory (measured on the bench machine: docs/benchmarks.md). A buffer goes back to
 * the pool only once its answer is over (the response's `close`: written, or the connection gone), so no answer
 * can be overwritten while it is being sent.
 */
export class AnswerBuffers {
  readonly #free: Buffer[] = [];
  readonly #size: number;
  readonly #keep: number;

  constructor(size = 1024 * 1024, keep = 16) {
    this.#size = size;
    this.#keep = keep;
  }

  /** The pieces copied into one buffer: `body` to send, `release` to call once the answer is over. */
  assemble(parts: readonly Buffer[]): { body: Buffer; release: () => void } {
    let length = 0;
    for (const part of parts) {
      length += part.byteLength;
    }
    const pooled = length <= this.#size;
    const buffer = pooled
      ? (this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size))
      : Buffer.allocUnsafe(length);
    let offset = 0;
    for (const part of parts) {
      offset += part.copy(buffer, offset);
    }
    let released = !pooled;
    return {
      body: buffer.subarray(0, length),
      release: () => {
        if (!released) {
          released = true;
          if (this.#free.length < this.#keep) {
            this.#free.push(buffer);
          }
        }
      },
    };
  }
}
