import { createHash, randomBytes, sign, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { AnchorSettings } from '../crypto/anchor-key.ts';
import { AnchorKeyError } from '../crypto/anchor-key.ts';
import * as auditQuery from '../db/audit-query.repository.ts';
import { findSystemAuditHeads } from '../db/audit.repository.ts';
import type { Db, Sql } from '../db/client.ts';
import type { ChainBreak } from './audit-verify.ts';

/**
 * Anchors of the trace chains outside the database (ADR 0013; docs/operations.md "Trace integrity").
 *
 * An anchor is one file `heads-<time>-<random>.jsonl` in the anchor directory, created once and never rewritten
 * (written under a temporary name, synced, renamed, made read-only):
 *   line 1     {"opendmp":"trace-anchor","v":2,"at":…,"key":…,"database":…,"prev":…,"system":{"seq","hash"},
 *               "stripes":[[stripe,"seq","hash"],…]}: `system` is stripe 0 of the system chain (the only one in
 *               version 1 anchors, written before migration 0072), `stripes` every other stripe whose seq is not 0
 *   then       ["<patient_id>","<audit_seq>","<audit_head hex>"] for every record, in patient_id order
 *   last line  {"end":true,"records":n,"sha256":…,"sig":…}: the SHA-256 of every byte before it, signed (Ed25519)
 * `at` is the database's clock read in the anchor's own snapshot (REPEATABLE READ), `prev` the digest of the anchor
 * before it (so that removing an anchor from the middle is seen). The purge job appends a signed note per purged
 * record to `purges.jsonl` before its transaction commits, so that an anchored record that is gone is known to have
 * been purged by the service (whose key the database does not hold) and not erased.
 *
 * `opendmp audit verify` (C7) checks every anchor written before its own snapshot: signature by a trusted key, the
 * link to its predecessor, every anchored head still in its chain (same hash at the same seq; the chain's own hashes
 * then vouch for everything before it), and every anchored record still there or noted as purged.
 */
const ANCHOR_PREFIX = 'heads-';
const PURGES_FILE = 'purges.jsonl';
const BATCH = 500;

interface AnchorHeader {
  readonly opendmp: 'trace-anchor';
  readonly v: 1 | 2;
  readonly at: string;
  readonly key: string;
  readonly database: string;
  readonly prev: string | null;
  readonly system: { readonly seq: string; readonly hash: string | null };
  /** Version 2: the heads of the system chain's other stripes, [stripe, seq, hash]. */
  readonly stripes?: readonly (readonly [number, string, string | null])[];
}

interface AnchorTrailer {
  readonly end: true;
  readonly records: number;
  readonly sha256: string;
  readonly sig: string;
}

const anchorMessage = (digest: string): Buffer => Buffer.from(`opendmp-anchor-v1:${digest}`);
const purgeMessage = (id: string, reason: string, at: string): Buffer =>
  Buffer.from(`opendmp-purge-v1:${id}:${reason}:${at}`);

function signingKey(settings: AnchorSettings): {
  key: NonNullable<AnchorSettings['privateKey']>;
  id: string;
} {
  if (!settings.privateKey || !settings.keyId) {
    throw new AnchorKeyError(
      'no anchor signing key (OPENDMP_ANCHOR_KEY, OPENDMP_ANCHOR_KEY_FILE, or demo mode)',
    );
  }
  return { key: settings.privateKey, id: settings.keyId };
}

/** Anchor files of the directory, oldest first (their names sort by time). */
export function listAnchorFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(ANCHOR_PREFIX) && f.endsWith('.jsonl'))
    .sort();
}

function readTrailer(file: string): AnchorTrailer | null {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').trimEnd().split('\n');
    const parsed = JSON.parse(lines[lines.length - 1] ?? '') as Partial<AnchorTrailer>;
    return parsed.end === true && typeof parsed.sha256 === 'string'
      ? (parsed as AnchorTrailer)
      : null;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes an anchor of every chain head, read in one snapshot, signed with the anchor key. Returns its path.
 * Runs on any connection that may read patient_record and system_audit_head (the application role's).
 */
export async function writeAnchor(
  sql: Sql,
  settings: AnchorSettings,
): Promise<{ file: string; records: number }> {
  const { key, id } = signingKey(settings);
  fs.mkdirSync(settings.dir, { recursive: true, mode: 0o700 });
  const files = listAnchorFiles(settings.dir);
  const last = files[files.length - 1];
  const prev = last ? (readTrailer(path.join(settings.dir, last))?.sha256 ?? null) : null;
  const partial = path.join(
    settings.dir,
    `.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const fd = fs.openSync(partial, 'wx', 0o600);
  const hash = createHash('sha256');
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pending.length > 0) {
      const chunk = Buffer.from(pending.join(''));
      hash.update(chunk);
      fs.writeSync(fd, chunk);
      pending = [];
      pendingBytes = 0;
    }
  };
  const write = (line: string): void => {
    pending.push(`${line}\n`);
    pendingBytes += line.length + 1;
    if (pendingBytes > 1 << 16) {
      flush();
    }
  };
  let at = new Date(0);
  let records = 0;
  try {
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      // The first statement takes the snapshot; the clock read in it is therefore after the snapshot.
      at = await auditQuery.databaseClock(tx);
      const [dbRow] = await tx<{ name: string }[]>`SELECT current_database() AS name`;
      const systemHeads = await findSystemAuditHeads(tx);
      const system = systemHeads.find((h) => h.stripe === 0);
      const header: AnchorHeader = {
        opendmp: 'trace-anchor',
        v: 2,
        at: at.toISOString(),
        key: id,
        database: dbRow?.name ?? '',
        prev,
        system: {
          seq: String(system?.seq ?? 0n),
          hash: system?.hash ? system.hash.toString('hex') : null,
        },
        stripes: systemHeads
          .filter((h) => h.stripe !== 0 && h.seq !== 0n)
          .map((h) => [h.stripe, String(h.seq), h.hash ? h.hash.toString('hex') : null] as const),
      };
      write(JSON.stringify(header));
      let after: string | null = null;
      for (;;) {
        const heads = await auditQuery.findRecordHeads(tx, after, 1000);
        if (heads.length === 0) {
          break;
        }
        for (const h of heads) {
          write(
            JSON.stringify([
              h.patient_id,
              h.audit_seq,
              h.audit_head ? h.audit_head.toString('hex') : null,
            ]),
          );
        }
        records += heads.length;
        after = heads[heads.length - 1]?.patient_id ?? null;
      }
    });
    flush();
    const digest = hash.digest('hex');
    const trailer: AnchorTrailer = {
      end: true,
      records,
      sha256: digest,
      sig: sign(null, anchorMessage(digest), key).toString('base64'),
    };
    fs.writeSync(fd, `${JSON.stringify(trailer)}\n`);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(partial, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  const name = `${ANCHOR_PREFIX}${at.toISOString().replace(/:/g, '-')}-${randomBytes(3).toString('hex')}.jsonl`;
  const file = path.join(settings.dir, name);
  fs.renameSync(partial, file);
  fs.chmodSync(file, 0o444);
  syncDir(settings.dir);
  return { file, records };
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some file systems cannot sync a directory
  }
}

/**
 * Notes, signed, that the purge job is purging `patientId` (appended to purges.jsonl and synced before the
 * purge's transaction commits: a note whose purge then fails names a record that still exists, which is harmless).
 */
export function notePurge(
  settings: AnchorSettings,
  patientId: string,
  reason: string,
  at: Date,
): void {
  const { key, id } = signingKey(settings);
  fs.mkdirSync(settings.dir, { recursive: true, mode: 0o700 });
  const when = at.toISOString();
  const line = JSON.stringify({
    opendmp: 'purge-note',
    v: 1,
    at: when,
    patient_id: patientId,
    reason,
    key: id,
    sig: sign(null, purgeMessage(patientId, reason, when), key).toString('base64'),
  });
  const fd = fs.openSync(path.join(settings.dir, PURGES_FILE), 'a', 0o600);
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function anchorBreak(file: string, message: string): ChainBreak {
  return {
    chain: 'anchor',
    patientId: null,
    seq: null,
    eventId: null,
    anchor: file,
    problem: 'ANCHOR_INVALID',
    message,
  };
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({
    input: fs.createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  for await (const line of rl) {
    yield line;
  }
}

/** Signed purge notes of the directory: the ids they name, and a break per line that does not verify. */
async function readPurgeNotes(
  settings: AnchorSettings,
): Promise<{ purged: Set<string>; breaks: ChainBreak[] }> {
  const purged = new Set<string>();
  const breaks: ChainBreak[] = [];
  const file = path.join(settings.dir, PURGES_FILE);
  if (!fs.existsSync(file)) {
    return { purged, breaks };
  }
  const text = fs.readFileSync(file, 'utf8');
  // The last element is empty, or a note cut by a crash before its purge committed (not a break).
  const complete = text.split('\n').slice(0, -1);
  complete.forEach((line, i) => {
    try {
      const note = JSON.parse(line) as Record<string, unknown>;
      const pub =
        typeof note['key'] === 'string' ? settings.publicKeys.get(note['key']) : undefined;
      const id = String(note['patient_id']);
      if (
        note['opendmp'] === 'purge-note' &&
        pub &&
        verify(
          null,
          purgeMessage(id, String(note['reason']), String(note['at'])),
          pub,
          Buffer.from(String(note['sig']), 'base64'),
        )
      ) {
        purged.add(id);
        return;
      }
    } catch {
      // reported below
    }
    breaks.push(
      anchorBreak(PURGES_FILE, `line ${i + 1} is not a purge note signed by a trusted anchor key`),
    );
  });
  return { purged, breaks };
}

/** Pass 1 over an anchor file: its header, and whether its bytes match its signed digest. */
async function readAnchorHeader(
  file: string,
  settings: AnchorSettings,
): Promise<{ header: AnchorHeader; digest: string } | string> {
  const hash = createHash('sha256');
  let header: AnchorHeader | null = null;
  let trailer: AnchorTrailer | null = null;
  let count = 0;
  for await (const line of lines(file)) {
    if (trailer) {
      return 'lines follow its signature';
    }
    if (line.startsWith('{"end"')) {
      try {
        trailer = JSON.parse(line) as AnchorTrailer;
      } catch {
        return 'its signature line is malformed';
      }
      continue;
    }
    hash.update(`${line}\n`);
    if (header === null) {
      try {
        header = JSON.parse(line) as AnchorHeader;
      } catch {
        return 'its header is malformed';
      }
    } else {
      count++;
    }
  }
  if (!header || header.opendmp !== 'trace-anchor' || !trailer) {
    return 'it is not a complete anchor (header or signature missing)';
  }
  const digest = hash.digest('hex');
  const pub = settings.publicKeys.get(header.key);
  if (!pub) {
    return `it is signed by key ${header.key}, which is not trusted (OPENDMP_ANCHOR_PUBLIC_KEYS)`;
  }
  if (
    digest !== trailer.sha256 ||
    count !== trailer.records ||
    !verify(null, anchorMessage(digest), pub, Buffer.from(trailer.sig, 'base64'))
  ) {
    return 'its content does not match its signature (the file was altered)';
  }
  return { header, digest };
}

export interface AnchorCheck {
  /** Anchor files checked (written before the verifier's snapshot). */
  readonly anchors: number;
  readonly breaks: readonly ChainBreak[];
}

/**
 * C7: checks the anchors written before `before` (the database clock read before the verifier's snapshot) against
 * the database, in the verifier's transaction. Stops at the first break unless `all`.
 */
export async function verifyAnchors(
  tx: Db,
  settings: AnchorSettings,
  before: Date,
  all: boolean,
): Promise<AnchorCheck> {
  const notes = await readPurgeNotes(settings);
  const breaks: ChainBreak[] = [...notes.breaks];
  const done = (): boolean => !all && breaks.length > 0;
  const digests = new Set<string>();
  let anchors = 0;
  let first = true;
  const [dbRow] = await tx<{ name: string }[]>`SELECT current_database() AS name`;
  for (const name of listAnchorFiles(settings.dir)) {
    if (done()) {
      break;
    }
    const file = path.join(settings.dir, name);
    const head = await readAnchorHeader(file, settings);
    if (typeof head === 'string') {
      breaks.push(anchorBreak(name, head));
      first = false;
      continue;
    }
    const { header, digest } = head;
    const isFirst = first;
    first = false;
    if (header.prev !== null && !digests.has(header.prev) && !isFirst) {
      breaks.push(
        anchorBreak(
          name,
          'the anchor written before it is gone (its prev digest names no anchor file)',
        ),
      );
    }
    digests.add(digest);
    if (new Date(header.at).getTime() >= before.getTime()) {
      continue; // written after the verifier's snapshot: its heads may not be visible yet
    }
    if (header.database !== dbRow?.name) {
      // Not a pass: a renamed database is reported too. Usually OPENDMP_ANCHOR_DIR names another deployment's.
      breaks.push(
        anchorBreak(
          name,
          `it anchors database ${header.database}, not ${dbRow?.name ?? '?'} (OPENDMP_ANCHOR_DIR of another database?)`,
        ),
      );
      continue;
    }
    anchors++;
    const where = `anchored in ${name} (${header.at})`;
    const anchoredStripes: (readonly [number, string, string | null])[] = [
      [0, header.system.seq, header.system.hash],
      ...(header.stripes ?? []),
    ];
    for (const [stripe, seq, hash] of anchoredStripes) {
      if (seq === '0' || done()) {
        continue;
      }
      const now = await auditQuery.findSystemLinkHash(tx, stripe, seq);
      if (!now || now.toString('hex') !== hash) {
        breaks.push({
          chain: 'system',
          patientId: null,
          stripe,
          seq,
          eventId: null,
          problem: now ? 'ANCHOR_MISMATCH' : 'ANCHOR_MISSING',
          message: now
            ? `the system chain's event ${seq} (stripe ${stripe}) is not the one ${where}: the chain was rewritten`
            : `the system chain has no event ${seq} in stripe ${stripe}, ${where}: the chain was truncated or emptied`,
        });
      }
    }
    let batch: [string, string, string | null][] = [];
    const check = async (): Promise<void> => {
      const rows = await auditQuery.findAnchoredLinks(
        tx,
        batch.map((b) => b[0]),
        batch.map((b) => b[1]),
      );
      rows.forEach((row, i) => {
        const anchored = batch[i];
        if (!anchored || done()) {
          return;
        }
        const [pid, seq, hash] = anchored;
        const base = { chain: 'record' as const, patientId: pid, seq, eventId: null };
        if (!row.live) {
          if (!notes.purged.has(pid)) {
            breaks.push({
              ...base,
              problem: 'RECORD_VANISHED',
              message: `the record ${where} no longer exists and no signed purge note names it: it was erased`,
            });
          }
        } else if (seq !== '0' && !row.hash) {
          breaks.push({
            ...base,
            problem: 'ANCHOR_MISSING',
            message: `the chain has no event ${seq}, ${where}: the chain was truncated or emptied`,
          });
        } else if (seq !== '0' && row.hash?.toString('hex') !== hash) {
          breaks.push({
            ...base,
            problem: 'ANCHOR_MISMATCH',
            message: `event ${seq} is not the one ${where}: the chain was rewritten`,
          });
        }
      });
      batch = [];
    };
    let isHeader = true;
    for await (const line of lines(file)) {
      if (isHeader) {
        isHeader = false;
        continue;
      }
      if (line.startsWith('{"end"') || done()) {
        break;
      }
      const entry = JSON.parse(line) as [string, string, string | null];
      batch.push(entry);
      if (batch.length >= BATCH) {
        await check();
      }
    }
    if (batch.length > 0 && !done()) {
      await check();
    }
  }
  return { anchors, breaks: all ? breaks : breaks.slice(0, 1) };
}
