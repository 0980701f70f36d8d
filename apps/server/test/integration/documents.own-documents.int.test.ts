import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { client, HOSPITAL, MASKED, pro, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rule 5 (TD3.1b, TD3.3c NB1) over HTTP: a professional without an authorization on the record finds the
 * documents they deposited — by their uniqueId or by their own authorship — so that their software can replace,
 * archive or delete them; they find nothing else, and read no content. Before, any search without an
 * authorization was refused (403) and the depositor's software could not address its own documents.
 */
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const OTHER = pro('810001000016', '10', '1750700007', { specialty: 'SM04' });

describe('a depositor finds and manages its own documents without an authorization (issue 17 rule 5)', () => {
  let t: TestApp;
  let c: Client;
  const ins = fx.nir('2790351215189');
  const patientQuery = `patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`;
  const docs = new Map<string, Json>();
  let patientId: string;

  const uid = (key: string) =>
    docs.get(key)?.['masterIdentifier'] as { system: string; value: string };
  const byUniqueId = (key: string) =>
    `${patientQuery}&identifier=${encodeURIComponent(`${uid(key).system}|${uid(key).value}`)}`;
  const byAuthor = (idNatPs: unknown) =>
    `${patientQuery}&author.identifier=${encodeURIComponent(`${fx.IDNAT_PS}|${String(idNatPs)}`)}`;
  const mine = new Map<string, Json>();

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    patientId = await c.createRecord(ins);
    docs.set('cr', await c.deposit(AUTHOR, ins));
    docs.set('masked', await c.deposit(AUTHOR, ins, MASKED));
    docs.set('other', await c.deposit(OTHER, ins));
    for (const k of ['cr', 'masked', 'other']) {
      mine.set(k, docs.get(k) ?? {});
    }
  });

  afterAll(async () => {
    await t.close();
  });

  it('a search of the record without an authorization is still refused, and nothing is read or retrieved', async () => {
    expect(await c.sees(AUTHOR, ins, mine)).toEqual({ search: 403, read: [], retrieve: [] });
  });

  it('finds its own document by uniqueId, and only its own', async () => {
    // Its metadata only: reading by id and retrieving the content still need an authorization.
    expect(await c.sees(AUTHOR, ins, mine, byUniqueId('cr'))).toEqual({
      search: ['cr'],
      read: [],
      retrieve: [],
    });
    expect((await c.sees(AUTHOR, ins, mine, byUniqueId('masked'))).search).toEqual(['masked']);
    // Someone else's uniqueId: nothing (as if it did not exist).
    const res = await c.call(AUTHOR, 'GET', `/fhir/DocumentReference?${byUniqueId('other')}`);
    expect(res.status, res.body).toBe(200);
    expect(res.json()['total']).toBe(0);
  });

  it('finds all its own documents by its authorship; another author’s name gives no access', async () => {
    expect((await c.sees(AUTHOR, ins, mine, byAuthor(AUTHOR['idNatPs']))).search).toEqual([
      'cr',
      'masked',
    ]);
    expect((await c.sees(AUTHOR, ins, mine, byAuthor(OTHER['idNatPs']))).search).toBe(403);
    // The other depositor finds theirs, not the first one's.
    expect((await c.sees(OTHER, ins, mine, byAuthor(OTHER['idNatPs']))).search).toEqual(['other']);
  });

  it('the search is traced as an own-documents search', async () => {
    const [row] = await t.db.owner<{ detail: Json }[]>`
      SELECT detail FROM audit_event WHERE patient_id = ${patientId} AND action = 'document.search'
        AND outcome = 'success' AND actor_id = ${String(AUTHOR['idNatPs'])} ORDER BY seq LIMIT 1`;
    expect(row?.detail).toMatchObject({ scope: 'own-documents' });
  });

  it('its software then replaces, archives and deletes what it found', async () => {
    const found = await c.call(AUTHOR, 'GET', `/fhir/DocumentReference?${byUniqueId('cr')}`);
    const entry = (found.json()['entry'] as { resource: Json }[])[0]?.resource ?? {};
    docs.set(
      'v2',
      await c.deposit(AUTHOR, ins, {
        relatesTo: [
          { code: 'replaces', target: { reference: `DocumentReference/${String(entry['id'])}` } },
        ],
      }),
    );
    const archive = await c.call(
      AUTHOR,
      'PATCH',
      `/fhir/DocumentReference/${String(docs.get('v2')?.['id'])}`,
      [{ op: 'replace', path: '/extension/0/valueBoolean', value: true }],
      'application/json-patch+json',
    );
    expect(archive.status, archive.body).toBe(200);
    const del = await c.call(
      AUTHOR,
      'PATCH',
      `/fhir/DocumentReference/${String(docs.get('masked')?.['id'])}`,
      [{ op: 'replace', path: '/status', value: 'entered-in-error' }],
      'application/json-patch+json',
    );
    expect(del.status, del.body).toBe(200);
    // Asked for archived documents, its authorship finds the archived replacement; the deleted one never again.
    const after = await c.call(
      AUTHOR,
      'GET',
      `/fhir/DocumentReference?${byAuthor(AUTHOR['idNatPs'])}&status=current,superseded&isArchived=true`,
    );
    const ids = ((after.json()['entry'] as { resource: Json }[] | undefined) ?? []).map(
      (e) => e.resource['id'],
    );
    // Archiving made a new metadata version: its entryUUID is the id the PATCH answered (ADR 0021).
    expect(ids).toEqual([archive.json()['id']]);
    expect(ids).not.toEqual([docs.get('v2')?.['id']]);
    // The other professional's document was never touched.
    expect(
      await c.sees(
        OTHER,
        ins,
        new Map([['other', docs.get('other') ?? {}]]),
        byAuthor(OTHER['idNatPs']),
      ),
    ).toMatchObject({ search: ['other'] });
  });
});
