import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainFailure, domainError } from '../domain/errors.ts';
import { isStorableText, MIN_CUT_BASE64, NOT_JSON, parseJsonBody } from './json-body.ts';

/**
 * The input gate: what every request passes before a route sees it (issue 16, finding 5; docs/operations.md
 * "Input limits and memory").
 * - G1 query values and path parameters hold no NUL character and no unpaired surrogate (HTTP_PARAM_CHARACTER):
 *   PostgreSQL refuses both, and a path with a NUL cannot name a file;
 * - G2 JSON bodies (application/json, application/fhir+json, application/json-patch+json) are read by
 *   http/json-body.ts (rules B1–B4), never past the body limit (HTTP_BODY_TOO_LARGE, 413);
 * - G3 document bytes in flight are bounded process-wide: a body of at least LARGE_BODY bytes holds its length
 *   from the budget (OPENDMP_DOCUMENT_MEMORY_MB) until its answer is sent or the connection closes; beyond the
 *   budget the answer is 503 HTTP_BUSY with Retry-After, before any byte of the body is read.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** Document contents decoded out of a large JSON body (json-body.ts rule B4), by placeholder. */
    documentContents: ReadonlyMap<string, Buffer> | null;
  }
}

/** Routes whose large base64 `data` values are decoded out of the raw body (json-body.ts rule B4). */
const DEPOSIT_ROUTES: ReadonlySet<string> = new Set([
  'POST /fhir',
  'POST /fhir/',
  'POST /fhir/DocumentReference',
]);

/** Bodies from this size on count against the document budget (smaller ones are not documents). */
export const LARGE_BODY = 1024 * 1024;
/** Seconds a client is told to wait when the budget is spent. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/** The largest request body accepted: base64 inflates a document by 4/3, plus room for its metadata. */
export function maxBodyBytes(maxDocumentBytes: number): number {
  return Math.ceil(maxDocumentBytes * 1.4) + 1024 * 1024;
}

/** V8 heap a running server uses outside of deposits (measured about 40 MB after a demo start; with margin). */
export const HEAP_AT_REST = 64 * 1024 * 1024;

/**
 * The V8 heap the document budget needs (rule G3): a body in flight costs about its own size in JavaScript strings
 * at its peak (the base64 text of its ciphertext sent to PostgreSQL); its other copies (raw body, decoded bytes,
 * ciphertext) are Buffers, outside the heap. `heapLimit` too small for it: start with a larger
 * --max-old-space-size or a smaller OPENDMP_DOCUMENT_MEMORY_MB (docs/operations.md "Input limits and memory").
 */
export function heapNeeded(documentBudgetBytes: number): number {
  return HEAP_AT_REST + documentBudgetBytes;
}

/** A process-wide budget of bytes (rule G3): a reservation is taken whole or not at all. */
export class ByteBudget {
  readonly #limit: number;
  #used = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` when they fit (a budget of 0 means no limit). */
  tryTake(bytes: number): boolean {
    if (this.#limit > 0 && this.#used + bytes > this.#limit) {
      return false;
    }
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

export interface InputGateOptions {
  readonly bodyLimit: number;
  /** Bytes of large bodies in flight at once; 0 = unbounded. */
  readonly documentBudgetBytes: number;
}

const PARAM_CHARACTER = (): DomainFailure =>
  new DomainFailure(
    domainError(
      'invalid',
      'HTTP_PARAM_CHARACTER',
      'Query values and path segments may not hold a NUL character or an unpaired surrogate.',
    ),
  );

const TOO_LARGE = (limit: number): DomainFailure =>
  new DomainFailure(
    domainError(
      'too-large',
      'HTTP_BODY_TOO_LARGE',
      `The request body exceeds the size limit (${String(limit)} bytes).`,
    ),
  );

function busy(reply: FastifyReply): never {
  reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS));
  throw new DomainFailure(
    domainError(
      'unavailable',
      'HTTP_BUSY',
      'The service is receiving as many documents as its memory allows; retry after the delay given in Retry-After (seconds).',
    ),
  );
}

/** Rule G1 over a parsed query or params object (values are strings or arrays of strings). */
export function checkParams(values: unknown): void {
  if (typeof values !== 'object' || values === null) {
    return;
  }
  for (const [key, value] of Object.entries(values)) {
    if (!isStorableText(key)) {
      throw PARAM_CHARACTER();
    }
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof v === 'string' && !isStorableText(v)) {
        throw PARAM_CHARACTER();
      }
    }
  }
}

/** Reads a body into one buffer of its declared length (or chunk by chunk when undeclared), up to `limit`. */
function readBody(payload: Readable, declared: number | undefined, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    payload.on('data', (chunk: Buffer) => {
      if (received + chunk.length > (declared ?? limit)) {
        payload.removeAllListeners('data');
        payload.resume();
        reject(
          declared !== undefined && declared < limit
            ? new DomainFailure(
                domainError(
                  'invalid',
                  'HTTP_BODY_LENGTH',
                  'The request body is longer than its Content-Length.',
                ),
              )
            : TOO_LARGE(limit),
        );
        return;
      }
      if (whole) {
        chunk.copy(whole, received);
      } else {
        chunks.push(chunk);
      }
      received += chunk.length;
    });
    payload.once('end', () => {
      resolve(whole ? whole.subarray(0, received) : Buffer.concat(chunks, received));
    });
    // A refusal while reading (budget, quota) stands; the connection lost or cut by a timeout mid-body is a client's
    // mistake, not the service's.
    payload.once('error', (error) => {
      reject(
        error instanceof DomainFailure
          ? error
          : new DomainFailure(
              domainError(
                'invalid',
                'HTTP_BODY_INCOMPLETE',
                'The request body ended before it was complete.',
              ),
            ),
      );
    });
  });
}

/** Registers rules G1–G3 (one call from app.ts, before the routes). */
export function registerInputGate(app: FastifyInstance, options: InputGateOptions): void {
  const budget = new ByteBudget(options.documentBudgetBytes);
  app.decorateRequest('documentContents', null);

  app.addHook('onRequest', async (request) => {
    checkParams(request.params);
    checkParams(request.query);
  });

  // Rule G3: reserve before reading; the reservation is given back once the answer is over.
  app.addHook('preParsing', async (request, reply, payload) => {
    const length = Number(request.headers['content-length']);
    if (Number.isSafeInteger(length) && length > options.bodyLimit) {
      throw TOO_LARGE(options.bodyLimit);
    }
    let held = 0;
    const release = (): void => {
      budget.give(held);
      held = 0;
    };
    if (Number.isSafeInteger(length) && length >= LARGE_BODY) {
      if (!budget.tryTake(length)) {
        busy(reply);
      }
      held = length;
      reply.raw.once('close', release);
      return payload;
    }
    if (request.headers['transfer-encoding'] === undefined) {
      return payload;
    }
    // Undeclared length: each chunk is taken from the budget as it arrives.
    reply.raw.once('close', release);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (budget.tryTake(chunk.length)) {
          held += chunk.length;
          callback(null, chunk);
          return;
        }
        try {
          busy(reply);
        } catch (error) {
          callback(error as Error);
        }
      },
    });
    payload.on('error', (error) => counter.destroy(error));
    return payload.pipe(counter);
  });

  app.removeContentTypeParser('application/json');
  for (const type of ['application/json', 'application/fhir+json', 'application/json-patch+json']) {
    app.addContentTypeParser(type, async (request: FastifyRequest, payload: Readable) => {
      const length = Number(request.headers['content-length']);
      const raw = await readBody(
        payload,
        Number.isSafeInteger(length) ? length : undefined,
        options.bodyLimit,
      );
      if (raw.length === 0) {
        throw NOT_JSON();
      }
      // Only the deposit routes read contents back from their placeholders (http/fhir/provide-bundle.ts decodeBase64).
      const deposit = DEPOSIT_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`);
      const { value, contents } = parseJsonBody(raw, deposit ? MIN_CUT_BASE64 : Infinity);
      if (contents.size > 0) {
        request.documentContents = contents;
      }
      return value;
    });
  }
}
