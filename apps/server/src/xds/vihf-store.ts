/**
 * The VIHF certificates the operator registers per structure, and the assertions already used (migration
 * 0090_vihf.sql). Thin SQL; the rules are in vihf.ts. Used by the SOAP services, `opendmp vihf-cert` and the operator
 * API (http/xds/vihf-certificates.routes.ts).
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type { Lru } from '../crypto/lru.ts';
import type { Db } from '../db/client.ts';
import {
  certificateFingerprint,
  type CertificateLookup,
  type RegisteredCertificate,
} from './vihf.ts';

export interface CertificateRow extends RegisteredCertificate {
  readonly subject: string;
  readonly label: string | null;
  readonly addedAt: Date;
  readonly addedBy: string;
  readonly revokedBy: string | null;
}

interface DbRow {
  id: string;
  structure: string;
  fingerprint: string;
  subject: string;
  pem: string;
  not_before: Date;
  not_after: Date;
  label: string | null;
  added_at: Date;
  added_by: string;
  revoked_at: Date | null;
  revoked_by: string | null;
}

function toRow(r: DbRow): CertificateRow {
  return {
    id: r.id,
    structure: r.structure,
    fingerprint: r.fingerprint,
    subject: r.subject,
    pem: r.pem,
    notBefore: r.not_before,
    notAfter: r.not_after,
    label: r.label,
    addedAt: r.added_at,
    addedBy: r.added_by,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

export class CertificateInputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const STRUCTURE = /^[0-9A-Za-z]{1,64}$/;

/** Reads one PEM certificate (no private key accepted). */
export function readCertificatePem(pem: string): X509Certificate {
  if (/PRIVATE KEY/.test(pem)) {
    throw new CertificateInputError(
      'VIHF_CERT_PRIVATE_KEY',
      'Give the certificate only, never its private key.',
    );
  }
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CertificateInputError(
      'VIHF_CERT_INVALID',
      'The text is not a PEM X.509 certificate.',
    );
  }
}

/** Registers a certificate for a structure; the same certificate twice for one structure is refused. */
export async function addCertificate(
  db: Db,
  input: { structure: string; pem: string; label?: string | undefined; by: string; at: Date },
): Promise<CertificateRow> {
  if (!STRUCTURE.test(input.structure)) {
    throw new CertificateInputError(
      'VIHF_CERT_STRUCTURE_INVALID',
      'The structure is its IdNat_Struct (letters and digits, 64 at most).',
    );
  }
  const cert = readCertificatePem(input.pem);
  const fingerprint = certificateFingerprint(cert.toString());
  const rows = await db<DbRow[]>`
    INSERT INTO vihf_certificate (id, structure, fingerprint, subject, pem, not_before, not_after, label, added_at, added_by)
    VALUES (${randomUUID()}, ${input.structure}, ${fingerprint}, ${cert.subject.replace(/\n/g, ', ')},
            ${cert.toString()}, ${new Date(cert.validFrom)}, ${new Date(cert.validTo)},
            ${input.label?.slice(0, 200) ?? null}, ${input.at}, ${input.by})
    ON CONFLICT (structure, fingerprint) DO NOTHING
    RETURNING *`;
  const row = rows[0];
  if (!row) {
    throw new CertificateInputError(
      'VIHF_CERT_DUPLICATE',
      'This certificate is already registered for this structure.',
    );
  }
  return toRow(row);
}

export async function listCertificates(db: Db, structure?: string): Promise<CertificateRow[]> {
  const rows =
    structure === undefined
      ? await db<DbRow[]>`SELECT * FROM vihf_certificate ORDER BY structure, added_at`
      : await db<
          DbRow[]
        >`SELECT * FROM vihf_certificate WHERE structure = ${structure} ORDER BY added_at`;
  return rows.map(toRow);
}

/** Revokes a certificate by id; false when there is none (or it was revoked already). */
export async function revokeCertificate(
  db: Db,
  id: string,
  by: string,
  at: Date,
): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) {
    return false;
  }
  const rows = await db`
    UPDATE vihf_certificate SET revoked_at = ${at}, revoked_by = ${by}
    WHERE id = ${id.toLowerCase()} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}

export function certificateLookup(db: Db): CertificateLookup {
  return {
    async byStructure(structure) {
      const rows = await db<DbRow[]>`SELECT * FROM vihf_certificate WHERE structure = ${structure}`;
      return rows.map(toRow);
    },
  };
}

/**
 * A lookup for one VIHF verification that answers from the remembered certificates of the structure (caches.ts
 * `vihfCertificates`) when it can, and remembers what it reads; `remembered` says whether the answer was a
 * remembered one, which the caller must then confirm ({@link useAssertion} with the certificate's id) or decide
 * again with `fresh` (read from the database, and remembered).
 */
export function cachedCertificateLookup(
  db: Db,
  cache: Lru<string, readonly RegisteredCertificate[]>,
  fresh = false,
): CertificateLookup & { remembered: boolean } {
  const lookup = {
    remembered: false,
    async byStructure(structure: string): Promise<readonly RegisteredCertificate[]> {
      const known = fresh ? undefined : cache.get(structure);
      if (known) {
        lookup.remembered = true;
        return known;
      }
      const rows = (
        await db<DbRow[]>`SELECT * FROM vihf_certificate WHERE structure = ${structure}`
      ).map(toRow);
      cache.set(structure, rows);
      return rows;
    },
  };
  return lookup;
}

interface PendingUse {
  readonly key: string;
  readonly expiresAt: Date;
  readonly certificateId: string;
  readonly resolve: (used: boolean) => void;
  readonly reject: (e: unknown) => void;
}

/** Single uses waiting for the statement in flight, by database handle. */
const pendingUses = new WeakMap<object, { pending: PendingUse[]; running: boolean }>();
const MAX_USES = 256;

/**
 * Records an assertion's single use (rule V8), in the same statement that confirms the certificate it was verified
 * with is still registered and not revoked: true the first time, false when its key was seen or the certificate was
 * revoked (or removed) meanwhile. Concurrent calls are group-committed, as the read traces are (services/audit.ts):
 * while one statement is in flight the others wait and go together in the next one (one commit for many); a key
 * twice in one batch is used by the first only. Expired keys are swept now and then ({@link sweepUsedAssertions}).
 */
export function useAssertion(
  db: Db,
  key: string,
  expiresAt: Date,
  certificateId: string,
): Promise<boolean> {
  let q = pendingUses.get(db);
  if (!q) {
    q = { pending: [], running: false };
    pendingUses.set(db, q);
  }
  const queue = q;
  return new Promise<boolean>((resolve, reject) => {
    queue.pending.push({ key, expiresAt, certificateId, resolve, reject });
    if (!queue.running) {
      queue.running = true;
      void drainUses(db, queue);
    }
  });
}

async function drainUses(db: Db, q: { pending: PendingUse[]; running: boolean }): Promise<void> {
  while (q.pending.length > 0) {
    const batch = q.pending.splice(0, MAX_USES);
    try {
      const rows = await db<{ assertion_key: string }[]>`
        INSERT INTO vihf_assertion_used (assertion_key, expires_at)
        SELECT u.k, u.e
          FROM unnest(${batch.map((p) => p.key)}::text[], ${batch.map((p) => p.expiresAt.toISOString())}::timestamptz[],
                      ${batch.map((p) => p.certificateId)}::uuid[]) AS u(k, e, c)
         WHERE EXISTS (SELECT 1 FROM vihf_certificate v WHERE v.id = u.c AND v.revoked_at IS NULL)
        ON CONFLICT (assertion_key) DO NOTHING RETURNING assertion_key`;
      const written = new Set(rows.map((r) => r.assertion_key));
      for (const p of batch) {
        // The first of a key in the batch takes its use; a second one is a replay.
        p.resolve(written.delete(p.key));
      }
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }
  q.running = false;
}

/** Removes the single-use keys of assertions expired before `before` (they are refused as expired anyway). */
export async function sweepUsedAssertions(db: Db, before: Date): Promise<number> {
  const rows = await db`DELETE FROM vihf_assertion_used WHERE expires_at < ${before} RETURNING 1`;
  return rows.length;
}
