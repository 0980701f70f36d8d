import type { Actor } from '../../domain/access/actor.ts';
import type { AccessContext } from '../../domain/access/policy.ts';
import type { DocumentFacts } from '../../domain/access/facts.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import type { DocumentFactsRow, DocumentFilter } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordWithConsents } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import { audit, trace } from '../audit.ts';
import type { ReadAttempt } from '../confirmed-read.ts';
import {
  confirmationTag,
  denyOnFreshFactsOnly,
  FRESH_READ,
  withConfirmedFacts,
} from '../confirmed-read.ts';
import { accessContext, documentFacts, refuse } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { DocumentSearch, PatientSelector } from './search-query.ts';
import { encodeCursor } from './search-query.ts';
import { assertInsSystemAllowed } from '../ins-system.ts';
import type { RegistryEntry } from './registry-entry.ts';
import { registryEntry } from './registry-entry.ts';
import { mayTellExistence } from '../record-existence.ts';
import { ownUtf8 } from '../../own-bytes.ts';
import {
  anyAuthorMatches,
  authorPersonPattern,
  authorPersons,
} from '../../domain/documents/author-person.ts';

/**
 * ITI-67 Find Document References. The database filters what it can (patient, status, codes, dates: an index
 * range scan on one patient's documents, newest first); the access policy then decides per document
 * (document.read), and only visible documents are counted, paged and returned — a hidden document is not even
 * counted. One trace per search, with the returned ids.
 */
export const SEARCH_CAP = 10_000;

/** A page of the visible documents a search found, newest first, each entry as the caller encodes it. */
export interface DocumentPage<T> {
  readonly entries: readonly T[];
  /** Visible documents matching, in all (a hidden document is not counted). */
  readonly total: number;
  /** Opaque token of the next page (search-query.ts encodeCursor; DocumentSearch.cursor once decoded). */
  readonly nextCursor?: string;
}

/** The page's search-set entries (fullUrl, resource, search mode), newest first, as UTF-8 JSON (ITI-67). */
export type SearchPage = DocumentPage<Buffer>;

/** How a page's documents become entries (the FHIR API: stored served texts; the neutral find: RegistryEntry). */
type PageEncoder<T> = (patientId: string, page: readonly DocumentFactsRow[]) => Promise<T[]>;

/** The record a search names, and the INS the policy is asked about. */
export async function selectRecord(
  deps: DocumentDeps,
  patient: PatientSelector,
  attempt: ReadAttempt = FRESH_READ,
): Promise<{ ins: string; record: RecordWithConsents | undefined }> {
  if (patient.kind === 'ins') {
    // Issue 17 rule 11: no test or demo INS system in a production configuration.
    assertInsSystemAllowed(deps.config, patient.oid, ['patient.identifier']);
    const record = await records.findRecordWithConsentsByIns(
      deps.sql,
      deps.caches,
      patient.ins,
      attempt.source,
    );
    // Issue 17 rule 11: a record found by its former NIA is decided under its own (current) INS.
    return { ins: record?.ins ?? patient.ins, record };
  }
  const record = await records.findRecordWithConsents(
    deps.sql,
    deps.caches,
    patient.id,
    attempt.source,
  );
  return { ins: record?.ins ?? '', record };
}

/**
 * Decides document.search on the record. Undefined when no record exists (the caller answers an empty result);
 * a denial is traced and thrown — decided on fresh facts only: a denial on remembered ones asks for a fresh
 * attempt (StaleFacts).
 */
export async function authorizeSearch(
  deps: DocumentDeps,
  actor: Actor,
  patient: PatientSelector,
  traceAction: string,
  attempt: ReadAttempt = FRESH_READ,
  ownScope = false,
): Promise<{ record: RecordWithConsents; context: AccessContext; own: boolean } | undefined> {
  const { ins, record } = await selectRecord(deps, patient, attempt);
  const context = await accessContext(deps.sql, deps, actor, ins, record);
  let decision = decideAccess({ ...context, action: 'document.search' });
  let own = false;
  if (
    !decision.allow &&
    ownScope &&
    (decision.reason === 'ACCESS_NO_AUTHORIZATION' ||
      decision.reason === 'ACCESS_SOFTWARE_DEPOSIT_ONLY' ||
      decision.reason === 'ACCESS_SOFTWARE_NO_CONSULTATION')
  ) {
    // Issue 17 rule 5: without an authorization, a professional still finds their own documents; rule 12: a
    // structure's software, which consults nothing, finds its structure's documents.
    const ownSearch = decideAccess({ ...context, action: 'document.search-own' });
    if (ownSearch.allow) {
      decision = ownSearch;
      own = true;
    }
  }
  if (!decision.allow) {
    denyOnFreshFactsOnly(attempt);
    if (
      decision.reason === 'ACCESS_NOT_REPRESENTATIVE' ||
      (record && !mayTellExistence(actor, record, patient))
    ) {
      // Issue 17 rule 1, and issue 16 for a record named by its id: answered like a missing record (an empty
      // result), traced as the denial it is. Named by INS, the record's existence is public to professionals
      // (TD0.2): the refusal says why.
      await trace(deps, actor, record?.patient_id ?? null, {
        action: traceAction,
        outcome: 'denied',
        reasonCode: decision.reason,
      });
      return undefined;
    }
    if (decision.reason === 'ACCESS_NO_RECORD' || (!record && patient.kind === 'id')) {
      await deps.sql.begin(async (tx) => {
        await audit(tx, deps, actor, null, {
          action: traceAction,
          outcome: 'success',
          detail: { found: false },
        });
      });
      return undefined;
    }
    await refuse(deps, actor, record?.patient_id ?? null, traceAction, decision, {
      addressedById: false,
    });
  }
  return record ? { record, context, own } : undefined;
}

/**
 * A search that names the caller's own documents (TD3.1b): by uniqueId / id (`identifier`), or by author with only
 * the caller's own IdNat_PS (`author.identifier`). A professional's, or a structure software's (issue 17 rule 12).
 */
function namesOwnDocuments(actor: Actor, filter: DocumentFilter): boolean {
  if (actor.kind === 'software') {
    // Issue 17 rule 12: by uniqueId, or by its professionals' authorship (only its structure's are found).
    return filter.identifiers !== undefined || (filter.authorIds ?? []).length > 0;
  }
  if (actor.kind !== 'professional') {
    return false;
  }
  const authors = filter.authorIds;
  if (authors !== undefined && authors.length > 0) {
    return authors.every((a) => a === actor.idNatPs);
  }
  return filter.identifiers !== undefined;
}

type ReadInput = AccessContext & {
  action: 'document.read' | 'document.find-own';
  document: DocumentFacts;
};
/** A row's policy facts, made once per row object (remembered rows are never changed). */
const rowFacts = new WeakMap<DocumentFactsRow, DocumentFacts>();
function policyFacts(row: DocumentFactsRow): DocumentFacts {
  let facts = rowFacts.get(row);
  if (!facts) {
    facts = documentFacts(row);
    rowFacts.set(row, facts);
  }
  return facts;
}

function after(row: DocumentFactsRow, cursor: { at: number; id: string }): boolean {
  const t = row.deposited_at.getTime();
  return t < cursor.at || (t === cursor.at && row.id < cursor.id);
}

/** Records with more documents than this do not have their search facts remembered (memory bound). */
const REMEMBERED_FACTS_MAX = 2_000;

/**
 * The access facts of the record's documents matching the filter. Remembered under the record's documents revision
 * (migration 0016), which every INSERT and UPDATE of its documents moves in the same statement: once anything
 * changed, the key changes and the database is read again. The revision is read before the facts, so what is
 * remembered under it is never older than it.
 */
async function accessFacts(
  deps: DocumentDeps,
  record: RecordWithConsents,
  filter: DocumentFilter,
): Promise<readonly DocumentFactsRow[]> {
  const key = `${record.patient_id}:${record.documents_revision}:${JSON.stringify(filter)}`;
  const known = deps.caches.searchFacts.get(key);
  if (known) {
    return known;
  }
  const found = await documents.searchDocumentFacts(
    deps.sql,
    record.patient_id,
    filter,
    SEARCH_CAP,
  );
  const facts =
    filter.authorPersons !== undefined
      ? await byAuthorPerson(deps, record.patient_id, found, filter.authorPersons)
      : found;
  if (facts.length <= REMEMBERED_FACTS_MAX) {
    deps.caches.searchFacts.set(key, facts);
  }
  return facts;
}

/**
 * The rows one of whose authors' authorPerson matches one of the values (domain/documents/author-person.ts): the
 * authors of the rows the other filters found, read in one statement (at most {@link SEARCH_CAP} rows, one record's).
 */
async function byAuthorPerson(
  deps: DocumentDeps,
  patientId: string,
  rows: readonly DocumentFactsRow[],
  values: readonly string[],
): Promise<readonly DocumentFactsRow[]> {
  const patterns = values.flatMap((v) => authorPersonPattern(v) ?? []);
  if (rows.length === 0 || patterns.length === 0) {
    return [];
  }
  const authors = await documents.findDocumentAuthors(
    deps.sql,
    patientId,
    rows.map((r) => r.id),
  );
  const matching = new Set(
    authors.flatMap((a) =>
      anyAuthorMatches(patterns, authorPersons(a.authors ?? [])) ? [a.id] : [],
    ),
  );
  return rows.filter((r) => matching.has(r.id));
}

/**
 * The search-set entries of a page: remembered ones by document version (served-cache.ts), the others read from
 * the stored served texts in one statement and remembered.
 */
async function pageEntries(
  deps: DocumentDeps,
  patientId: string,
  page: readonly DocumentFactsRow[],
  base: string,
): Promise<Buffer[]> {
  // Entries are remembered with the configured base only (a demo client on another loopback name gets fresh ones).
  const remember = base === deps.config.publicBaseUrl;
  const known = page.map((p) =>
    remember ? deps.caches.servedEntries.get(p.id, p.version_id) : undefined,
  );
  const missing = page.filter((_, i) => known[i] === undefined).map((p) => p.id);
  const read = new Map<string, Buffer>();
  if (missing.length > 0) {
    const rows = await documents.findServedDocumentTexts(deps.sql, patientId, missing);
    for (const row of rows) {
      const entry = ownUtf8(deps.encodings.searchEntry(row, base));
      if (remember) {
        deps.caches.servedEntries.set(row.id, row.version_id, entry);
      }
      read.set(row.id, entry);
    }
  }
  const entries: Buffer[] = [];
  page.forEach((p, i) => {
    const entry = known[i] ?? read.get(p.id);
    if (entry) {
      entries.push(entry);
    }
  });
  return entries;
}

/** ITI-67 (the search as the FHIR adapter read it, search-set entries out). */
export async function searchDocuments(
  deps: DocumentDeps,
  actor: Actor,
  search: DocumentSearch,
  base: string = deps.config.publicBaseUrl,
): Promise<SearchPage> {
  return withConfirmedFacts((attempt) =>
    searchWith(deps, actor, search, attempt, (patientId, page) =>
      pageEntries(deps, patientId, page, base),
    ),
  );
}

/**
 * The neutral find (XDS FindDocuments, MHD ITI-67): the page of the documents the caller may see, as registry
 * entries — decided, counted, paged and traced exactly as ITI-67 is.
 */
export async function findDocuments(
  deps: DocumentDeps,
  actor: Actor,
  search: DocumentSearch,
): Promise<DocumentPage<RegistryEntry>> {
  return findDocumentsAs(deps, actor, search, (patientId, page) =>
    registryEntries(
      deps,
      patientId,
      page.map((p) => p.id),
    ),
  );
}

/**
 * The neutral find with the caller's encoding of the page (an interface that remembers its encoding of each
 * document version reads only the versions it does not know: {@link registryEntries}).
 */
export async function findDocumentsAs<T>(
  deps: DocumentDeps,
  actor: Actor,
  search: DocumentSearch,
  encode: (patientId: string, page: readonly DocumentFactsRow[]) => Promise<T[]>,
): Promise<DocumentPage<T>> {
  return withConfirmedFacts((attempt) => searchWith(deps, actor, search, attempt, encode));
}

/** The registry entries of documents of one record, in the order of `ids` (one statement). */
export async function registryEntries(
  deps: DocumentDeps,
  patientId: string,
  ids: readonly string[],
): Promise<RegistryEntry[]> {
  const rows = await documents.findDocuments(deps.sql, patientId, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: RegistryEntry[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (row) {
      out.push(registryEntry(row));
    }
  }
  return out;
}

/**
 * One attempt of a search: decided on the record's facts as the attempt obtains them; its trace, conditional on
 * their tag unless the attempt is the last, confirms them (services/confirmed-read.ts).
 */
async function searchWith<T>(
  deps: DocumentDeps,
  actor: Actor,
  search: DocumentSearch,
  attempt: ReadAttempt,
  encode: PageEncoder<T>,
): Promise<DocumentPage<T>> {
  const allowed = await authorizeSearch(
    deps,
    actor,
    search.patient,
    'document.search',
    attempt,
    namesOwnDocuments(actor, search.filter),
  );
  if (!allowed) {
    return { entries: [], total: 0 };
  }
  const { record, context, own } = allowed;
  // Without an authorization, only the caller's own documents are decided visible (document.find-own).
  const action = own ? 'document.find-own' : 'document.read';
  const facts = await accessFacts(deps, record, search.filter);
  // One policy input for the page, its document set row by row (the policy keeps nothing of its input), and each
  // row's policy facts made once: the rows are remembered, so a search allocates almost nothing per document.
  let input: ReadInput | undefined;
  // One pass: the visible documents are counted, and the page taken from them (from the first one after the cursor)
  // without a list of all of them.
  const cursor = search.cursor;
  const page: DocumentFactsRow[] = [];
  let total = 0;
  let started = cursor === undefined;
  let more = false;
  // An indexed loop: a for…of over the rows allocated an iterator result per row wherever it ran unoptimised (this
  // function is async and often is: measured, 11 KB per search).
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i] as DocumentFactsRow;
    const document = policyFacts(f);
    if (input) {
      input.document = document;
    } else {
      input = { ...context, action, document };
    }
    if (!decideAccess(input).allow) {
      continue;
    }
    total += 1;
    if (!started) {
      if (!cursor || !after(f, cursor)) {
        continue;
      }
      started = true;
    }
    if (page.length < search.count) {
      page.push(f);
    } else {
      more = true;
    }
  }
  const last = page[page.length - 1];
  const entries = await encode(record.patient_id, page);
  await trace(
    deps,
    actor,
    record.patient_id,
    {
      action: 'document.search',
      outcome: 'success',
      detail: {
        count: entries.length,
        total,
        ids: page.map((p) => p.id).join(','),
        ...(own ? { scope: 'own-documents' } : {}),
      },
    },
    confirmationTag(attempt, record),
  );
  return {
    entries,
    total,
    ...(more && last ? { nextCursor: encodeCursor(last.deposited_at, last.id) } : {}),
  };
}
