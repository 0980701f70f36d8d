import type { Db } from './client.ts';

/** Encrypted document contents and the per-record data keys that seal them. SQL only. */
export interface DataKeyRow {
  key_version: number;
  master_key_id: string;
  wrapped_key: Buffer;
}

export interface ContentRow {
  key_version: number;
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** The record's newest data key. */
export async function findCurrentDataKey(
  db: Db,
  patientId: string,
): Promise<DataKeyRow | undefined> {
  const [row] = await db<
    DataKeyRow[]
  >`SELECT key_version, master_key_id, wrapped_key FROM record_data_key
    WHERE patient_id = ${patientId} ORDER BY key_version DESC LIMIT 1`;
  return row;
}

export async function findDataKey(
  db: Db,
  patientId: string,
  keyVersion: number,
): Promise<DataKeyRow | undefined> {
  const [row] = await db<
    DataKeyRow[]
  >`SELECT key_version, master_key_id, wrapped_key FROM record_data_key
    WHERE patient_id = ${patientId} AND key_version = ${keyVersion}`;
  return row;
}

/**
 * Ciphertext bytes per row when a content is read. postgres.js receives a `bytea` as hex text: read whole, a 19 MB
 * content made a 38 MB protocol message, its chunks, a 38 MB string and then the bytes — the reading process peaked
 * 7 times the content's size above rest. Now it comes in parts of this size, each as base64 text decoded straight
 * into the content's one Buffer as its row arrives: small messages and strings that the young generation reclaims,
 * about 1.3 times the content's size in all (documents.content-read-memory.int.test.ts; docs/operations.md "Memory
 * budget"). Most documents are smaller than a part: one row, as before.
 *
 * 32 KB, not 256 KB: a part's message (its base64, ~44 KB) fits in one 64 KB socket read. A 256 KB part's 350 KB
 * message arrived in six reads that postgres.js joins one by one (about 1.3 MB of buffers per part, outside the
 * JavaScript heap and freed only by a later GC), and the reading process peaked 1.4 to 2.9 times a 19 MB content's
 * size above rest as the machine's load changed (2.9 failed CI); with 32 KB parts, 1.3 to 1.5 under the same load.
 */
export const CONTENT_PART_BYTES = 32 * 1024;

/** A row of a content read in parts ({@link CONTENT_PART_COLUMNS}). */
export interface ContentPartRow {
  key_version: number;
  nonce: Buffer;
  tag: Buffer;
  /** The whole ciphertext's length. */
  size: number;
  /** Where this part starts in the ciphertext (0-based). */
  at: number;
  /** The part, base64 (PostgreSQL's, with a line break every 76 characters, which the decoder skips). */
  part: string;
}

/**
 * The columns of a content `c` read in parts, with {@link CONTENT_PARTS}: a content of at most
 * {@link CONTENT_PART_BYTES} comes as one row; a larger one as one row per part (substrings of its TOAST value, which
 * PostgreSQL reads slice by slice), in the order of `p.at`.
 */
export const CONTENT_PART_COLUMNS = `c.key_version, c.nonce, c.tag, octet_length(c.ciphertext) AS size,
  p.at - 1 AS at, encode(substring(c.ciphertext FROM p.at FOR ${String(CONTENT_PART_BYTES)}), 'base64') AS part`;
export const CONTENT_PARTS = `CROSS JOIN LATERAL generate_series(1, greatest(octet_length(c.ciphertext), 1),
  ${String(CONTENT_PART_BYTES)}) AS p(at)`;

/** Decodes the parts of one content, as their rows arrive, into its one Buffer. */
export class ContentAssembly {
  readonly #contentId: string;
  #row: ContentRow | undefined;
  #filled = 0;

  constructor(contentId: string) {
    this.#contentId = contentId;
  }

  add(r: ContentPartRow): void {
    this.#row ??= {
      key_version: r.key_version,
      nonce: r.nonce,
      tag: r.tag,
      // Its own ArrayBuffer: under 32 KB a Buffer is cut from a shared 64 KB slab, which a remembered content would
      // keep whole (own-bytes.ts).
      ciphertext: Buffer.allocUnsafeSlow(r.size),
    };
    const expected = Math.min(CONTENT_PART_BYTES, r.size - r.at);
    if (
      r.at !== this.#filled ||
      this.#row.ciphertext.write(r.part, r.at, expected, 'base64') !== expected
    ) {
      throw new Error(
        `content ${this.#contentId}: part at ${String(r.at)} is not the one expected`,
      );
    }
    this.#filled += expected;
  }

  /** The content read, or undefined when no part came; throws when parts are missing. */
  done(): ContentRow | undefined {
    if (this.#row && this.#filled !== this.#row.ciphertext.length) {
      throw new Error(
        `content ${this.#contentId} read incompletely (${String(this.#filled)} bytes)`,
      );
    }
    return this.#row;
  }
}

/** A content, in one statement (see {@link CONTENT_PART_COLUMNS}). */
export async function findContent(
  db: Db,
  patientId: string,
  contentId: string,
): Promise<ContentRow | undefined> {
  const assembly = new ContentAssembly(contentId);
  await db
    .unsafe<ContentPartRow[]>(
      `SELECT ${CONTENT_PART_COLUMNS} FROM document_content c ${CONTENT_PARTS}
      WHERE c.patient_id = $1 AND c.content_id = $2 ORDER BY p.at`,
      [patientId, contentId],
      { prepare: true },
    )
    .forEach((r) => {
      assembly.add(r);
    });
  return assembly.done();
}
