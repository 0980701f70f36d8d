/** Search-set bundles. */
export function searchset(
  baseUrl: string,
  selfUrl: string,
  entries: {
    resource: Record<string, unknown>;
    fullUrl?: string;
    mode?: 'match' | 'include' | 'outcome';
  }[],
  total?: number,
  next?: string,
): Record<string, unknown> {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link,
    entry: entries.map((e) => ({
      fullUrl:
        e.fullUrl ??
        `${baseUrl}/fhir/${String(e.resource['resourceType'])}/${String(e.resource['id'])}`,
      resource: e.resource,
      search: { mode: e.mode ?? 'match' },
    })),
  };
}

/**
 * A search-set bundle as UTF-8 JSON, its entries given as UTF-8 JSON (copied, not re-serialised): the pieces in
 * order (AnswerBuffers assembles them).
 */
export function searchsetParts(
  selfUrl: string,
  entries: readonly Buffer[],
  total: number,
  next?: string,
): Buffer[] {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  const parts: Buffer[] = [
    Buffer.from(
      `{"resourceType":"Bundle","type":"searchset","total":${String(total)},"link":${JSON.stringify(link)},"entry":[`,
    ),
  ];
  entries.forEach((e, i) => {
    if (i > 0) {
      parts.push(COMMA);
    }
    parts.push(e);
  });
  parts.push(END);
  return parts;
}

const COMMA = Buffer.from(',');
const END = Buffer.from(']}');

/**
 * Reusable memory for search answers assembled from their pieces (the remembered entries). Sent as one buffer with
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
