/**
 * A small HTTP client over app.inject for the issue 17 scenarios (not a test file itself): dev tokens per actor,
 * records, PDF deposits, and what an actor finds (ITI-67), reads (DocumentReference/{id}) and retrieves (ITI-68).
 */
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

export const HOSPITAL = '1750300000';

export const pro = (
  idNatPs: string,
  profession: string,
  structure: string,
  extra: Json = {},
): Json => ({
  kind: 'professional',
  idNatPs,
  profession,
  structure,
  mode: 'normal',
  ...extra,
});

export interface Reply {
  readonly status: number;
  readonly body: string;
  json(): Json;
}

export interface Client {
  call(actor: Json, method: string, url: string, payload?: unknown, type?: string): Promise<Reply>;
  /** Creates a record (operator) and returns its Patient id. */
  createRecord(ins: string, traits?: Json): Promise<string>;
  /**
   * A CDA deposit (ITI-105) authored by `author`: the ANS "Note de vaccination" example rewritten for the record
   * (INS and traits), the author and their structure, with a fresh id. Returns the DocumentReference.
   */
  deposit(author: Json, ins: string, overrides?: Json): Promise<Json>;
  /** Keys of `docs` that `actor` finds, reads and retrieves; a refused search gives its status. */
  sees(
    actor: Json,
    ins: string,
    docs: ReadonlyMap<string, Json>,
    query?: string,
  ): Promise<{ search: string[] | number; read: string[]; retrieve: string[] }>;
}

export function client(t: TestApp): Client {
  const tokens = new Map<string, string>();
  async function token(actor: Json): Promise<string> {
    const key = JSON.stringify(actor);
    const cached = tokens.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const tok = await t.token(actor);
    tokens.set(key, tok);
    return tok;
  }
  const c: Client = {
    async call(actor, method, url, payload, type = 'application/fhir+json') {
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${await token(actor)}`,
          ...(payload === undefined ? {} : { 'content-type': type }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
      return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) as Json };
    },
    async createRecord(ins, traits = {}) {
      const res = await c.call(OPERATOR, 'POST', '/fhir/Patient', {
        ...fx.patientBody(ins),
        ...traits,
      });
      expect(res.status, res.body).toBe(201);
      return String(res.json()['id']);
    },
    async deposit(author, ins, overrides = {}) {
      const bytes = Buffer.from(cdaBy(author, ins), 'utf8');
      const docRef = fx.cdaDocumentReference(ins, bytes, overrides);
      const res = await c.call(author, 'POST', '/fhir/DocumentReference', fx.iti105(docRef, bytes));
      expect(res.status, res.body).toBe(201);
      return res.json();
    },
    async sees(actor, ins, docs, query) {
      const q =
        query ?? `patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=100`;
      const res = await c.call(actor, 'GET', `/fhir/DocumentReference?${q}`);
      // A document by its logicalId (FHIR identifier): masking or archiving gives its id, the entryUUID, a new value
      // (ADR 0021); reads below go by the id it was deposited with, which still names it.
      const idOf = (d: Json) =>
        String(
          (d['identifier'] as { value?: string }[] | undefined)?.[0]?.value ?? d['id'],
        ).replace(/^urn:uuid:/, '');
      let search: string[] | number;
      if (res.status === 200) {
        const entries = (res.json()['entry'] ?? []) as { resource: Json }[];
        const ids = entries.map((e) => idOf(e.resource));
        search = [...docs]
          .filter(([, d]) => ids.includes(idOf(d)))
          .map(([k]) => k)
          .sort();
      } else {
        expect(res.json()['resourceType']).toBe('OperationOutcome');
        search = res.status;
      }
      const read: string[] = [];
      const retrieve: string[] = [];
      for (const [k, d] of docs) {
        if ((await c.call(actor, 'GET', `/fhir/DocumentReference/${idOf(d)}`)).status === 200) {
          read.push(k);
        }
        const url = String((((d['content'] as Json[])[0] as Json)['attachment'] as Json)['url']);
        if ((await c.call(actor, 'GET', new URL(url).pathname)).status === 200) {
          retrieve.push(k);
        }
      }
      return { search, read: read.sort(), retrieve: retrieve.sort() };
    },
  };
  return c;
}

const EXAMPLE = fx.readExample('VAC-NOTE_2023.01.xml');
const EXAMPLE_AUTHOR = '801234567897';
const EXAMPLE_STRUCTURE = '1750803447';

/** The ANS example CDA, for the record `ins`, written by `author` acting from their structure. */
export function cdaBy(author: Json, ins: string): string {
  return fx
    .rewriteDocumentId(fx.rewriteIns(EXAMPLE, ins), fx.freshOid())
    .replaceAll(`extension="${EXAMPLE_AUTHOR}"`, `extension="${String(author['idNatPs'])}"`)
    .replaceAll(`extension="${EXAMPLE_STRUCTURE}"`, `extension="${String(author['structure'])}"`);
}

/** The MASQUE_PS label as a DocumentReference.securityLabel (with the N confidentiality). */
export const MASKED: Json = {
  securityLabel: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] },
    { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
  ],
};

/** Denied traces of a record: `action:reason_code`. */
export async function deniedTraces(t: TestApp, patientId: string): Promise<string[]> {
  const rows = await t.db.owner<{ action: string; reason_code: string | null }[]>`
    SELECT action, reason_code FROM audit_event
    WHERE patient_id = ${patientId} AND outcome = 'denied' ORDER BY seq`;
  return rows.map((r) => `${r.action}:${r.reason_code ?? ''}`);
}
