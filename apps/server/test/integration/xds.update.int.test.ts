import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp } from '../helpers/app.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19, ITI-57 Update Document Set over several documents: one request is one transaction — every document is
 * located and every change decided before anything is written; a missing (or hidden) document or a refused change
 * leaves every document of the request as it was. Checked as a client sees it: the statuses and versions ITI-18
 * answers.
 */
const { EXAMPLE, GP, CARDIO } = x;

describe('ITI-57 over several documents', () => {
  let t: TestApp;
  const ins = fx.nir('2850575123458');
  let patientId = '';

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    patientId = await x.readableRecord(t, ins, GP, CARDIO);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A document deposited through ITI-41 by `who` (the CDA's author rewritten for the cardiologist). */
  async function deposit(who: Record<string, unknown>): Promise<string> {
    let xml = fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(EXAMPLE), ins), fx.freshOid());
    if (who !== GP) {
      xml = xml.split(GP.idNatPs).join(String(who['idNatPs']));
    }
    const bytes = Buffer.from(xml);
    const meta = x.metadataOf(bytes);
    const answer = await x.soap(
      t,
      'repository',
      x.iti41(await x.vihf(t, who), [{ bytes, meta }]).xml,
    );
    expect(x.registryOutcome(answer.root), answer.text).toMatchObject({ errors: [] });
    const [row] = await t.db.owner<{ id: string }[]>`SELECT id FROM document
      WHERE patient_id = ${patientId} AND unique_id = ${meta.uniqueId}`;
    return row?.id ?? '';
  }

  const update = x.iti57;
  const statusUpdate = (n: number, id: string, status: string): string =>
    x.statusUpdate(id, status, n);

  /** The DocumentEntries ITI-18 GetDocuments answers for these entryUUIDs. */
  async function getDocuments(ids: string[]): Promise<x.XElementLike[]> {
    const res = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, GP), STORED_QUERY.GetDocuments, {
        $XDSDocumentEntryEntryUUID: `(${ids.map((i) => `'urn:uuid:${i}'`).join(',')})`,
      }),
    );
    return x.descendants(res.root, x.NS.rim, 'ExtrinsicObject');
  }

  /** Status and version of each document (by its logicalId, the lid) as GetDocuments answers them (absent: not served). */
  async function seen(ids: string[]): Promise<Record<string, string>> {
    return Object.fromEntries(
      (await getDocuments(ids)).map((e) => [
        (e.attrs['lid'] ?? '').replace('urn:uuid:', ''),
        `${(e.attrs['status'] ?? '').split(':').pop() ?? ''} v${
          x.descendants(e, x.NS.rim, 'VersionInfo')[0]?.attrs['versionName'] ?? ''
        }`,
      ]),
    );
  }

  it('archives two documents and deletes a third in one request', async () => {
    const [a, b, c] = [await deposit(GP), await deposit(GP), await deposit(GP)];
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, GP),
        statusUpdate(1, a, XDS.archived) +
          statusUpdate(2, b, XDS.archived) +
          statusUpdate(3, c, XDS.deleted),
      ),
    );
    expect(x.registryOutcome(res.root), res.text).toMatchObject({ errors: [] });
    expect(await seen([a, b, c])).toEqual({ [a]: 'Archived v2', [b]: 'Archived v2' });
    const traces = await t.db.owner<{ action: string; n: number }[]>`
      SELECT action, count(*)::int AS n FROM audit_event WHERE patient_id = ${patientId}
        AND entity_id IN (${a}, ${b}, ${c}) AND action IN ('document.archive', 'document.delete')
      GROUP BY action ORDER BY action`;
    expect(traces).toEqual([
      { action: 'document.archive', n: 2 },
      { action: 'document.delete', n: 1 },
    ]);
  });

  /** A DocumentEntry of a visibility update: `id` the new version's entryUUID, `lid` the document named. */
  const maskEntry = (id: string, lid: string): string =>
    `<rim:ExtrinsicObject id="urn:uuid:${id}" lid="urn:uuid:${lid}" objectType="${XDS.documentEntry}" mimeType="text/xml">` +
    `<rim:Classification classificationScheme="${XDS.confidentialityCode}" classifiedObject="urn:uuid:${id}" nodeRepresentation="MASQUE_PS" id="k1"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.13</rim:Value></rim:ValueList></rim:Slot></rim:Classification>` +
    `</rim:ExtrinsicObject>`;

  const idOf = (e: x.XElementLike | undefined, attr: 'id' | 'lid'): string =>
    (e?.attrs[attr] ?? '').replace('urn:uuid:', '');

  it('a mask is a new metadata version: a new id (the client’s entryUUID), the same lid, version 2, found by either entryUUID', async () => {
    const a = await deposit(GP);
    const [before] = await getDocuments([a]);
    expect([idOf(before, 'id'), idOf(before, 'lid')]).toEqual([a, a]);
    const next = randomUUID();
    const res = await x.soap(t, 'registry', update(await x.vihf(t, GP), maskEntry(next, a)));
    expect(x.registryOutcome(res.root), res.text).toMatchObject({ errors: [] });
    for (const named of [a, next]) {
      const found = await getDocuments([named]);
      expect(found).toHaveLength(1);
      expect([
        idOf(found[0], 'id'),
        idOf(found[0], 'lid'),
        x.descendants(found[0] as x.XElementLike, x.NS.rim, 'VersionInfo')[0]?.attrs['versionName'],
      ]).toEqual([next, a, '2']);
    }
    // ObjectRef answers name it by its current entryUUID, as a client can use it again.
    const refs = await x.soap(
      t,
      'registry',
      x.iti18(
        await x.vihf(t, GP),
        STORED_QUERY.GetDocuments,
        { $XDSDocumentEntryEntryUUID: `('urn:uuid:${a}')` },
        'ObjectRef',
      ),
    );
    expect(x.descendants(refs.root, x.NS.rim, 'ObjectRef').map((e) => e.attrs['id'])).toEqual([
      `urn:uuid:${next}`,
    ]);
    // Associations name it by its current entryUUID too (the SubmissionSet's HasMember), found by the old one.
    const assocs = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, GP), STORED_QUERY.GetAssociations, { $uuid: `('urn:uuid:${a}')` }),
    );
    const targets = x
      .descendants(assocs.root, x.NS.rim, 'Association')
      .map((e) => e.attrs['targetObject']);
    expect(targets.length).toBeGreaterThan(0);
    expect(new Set(targets)).toEqual(new Set([`urn:uuid:${next}`]));
    // An entryUUID already used, or a lid that is not the logicalId, changes nothing.
    const reused = await x.soap(t, 'registry', update(await x.vihf(t, GP), maskEntry(a, a)));
    expect(x.registryOutcome(reused.root).errors.map((e) => e.codeContext.split(':')[0])).toEqual([
      'DOC_ENTRY_UUID_IN_USE',
    ]);
    const byEntry = await x.soap(
      t,
      'registry',
      update(await x.vihf(t, GP), maskEntry(randomUUID(), next)),
    );
    expect(x.registryOutcome(byEntry.root).errors.map((e) => e.codeContext.split(':')[0])).toEqual([
      'XDS_UPDATE_LID_NOT_LOGICAL',
    ]);
    expect(await seen([a])).toEqual({ [a]: 'Approved v2' });
  });

  /** A DocumentEntry of a visibility update carrying these DMP visibility flags (TRE_A07). */
  const visibilityEntry = (id: string, lid: string, flags: readonly string[]): string =>
    `<rim:ExtrinsicObject id="urn:uuid:${id}" lid="urn:uuid:${lid}" objectType="${XDS.documentEntry}" mimeType="text/xml">` +
    flags
      .map(
        (f, i) =>
          `<rim:Classification classificationScheme="${XDS.confidentialityCode}" classifiedObject="urn:uuid:${id}" nodeRepresentation="${f}" id="k${String(i)}"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.13</rim:Value></rim:ValueList></rim:Slot></rim:Classification>`,
      )
      .join('') +
    `</rim:ExtrinsicObject>`;

  /** The record's last trace sequence number. */
  async function lastSeq(): Promise<number> {
    const [row] = await t.db.owner<{ n: number }[]>`
      SELECT coalesce(max(seq), 0)::int AS n FROM audit_event WHERE patient_id = ${patientId}`;
    return row?.n ?? 0;
  }

  /** The document's current entry as the database holds it, and its successful traces after `since` (a seq). */
  async function stateOf(
    id: string,
    since: number,
  ): Promise<{ entry: Record<string, unknown>; traces: string[] }> {
    const [entry] = await t.db.owner<Record<string, unknown>[]>`
      SELECT entry_uuid, entry_version, status, archived, confidentiality FROM document
      WHERE patient_id = ${patientId} AND id = ${id}`;
    const traces = await t.db.owner<{ action: string; detail: Record<string, unknown> }[]>`
      SELECT action, detail FROM audit_event WHERE patient_id = ${patientId} AND entity_id = ${id}
        AND outcome = 'success' AND seq > ${since} ORDER BY seq`;
    return {
      entry: entry ?? {},
      traces: traces.map(
        (r) =>
          `${r.action}${typeof r.detail['label'] === 'string' ? `:${String(r.detail['operation'])}:${r.detail['label']}` : ''} v${String(r.detail['version'])}`,
      ),
    };
  }

  it('masks a document and archives it in one request: one new metadata version carrying both, one trace each', async () => {
    const a = await deposit(GP);
    // Already at its second metadata version: the client names it by its current entryUUID, as ITI-18 answered it.
    const second = randomUUID();
    const first = await x.soap(
      t,
      'registry',
      update(await x.vihf(t, GP), visibilityEntry(second, a, ['INVISIBLE_PATIENT'])),
    );
    expect(x.registryOutcome(first.root), first.text).toMatchObject({ errors: [] });
    const since = await lastSeq();
    const third = randomUUID();
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, GP),
        visibilityEntry(third, a, ['INVISIBLE_PATIENT', 'MASQUE_PS']) +
          statusUpdate(1, second, XDS.archived),
      ),
    );
    expect(x.registryOutcome(res.root), res.text).toMatchObject({ errors: [] });
    const after = await stateOf(a, since);
    expect(after.entry).toMatchObject({
      entry_uuid: third,
      entry_version: 3,
      status: 'current',
      archived: true,
    });
    expect([...(after.entry['confidentiality'] as string[])].sort()).toEqual(
      expect.arrayContaining(['INVISIBLE_PATIENT', 'MASQUE_PS']),
    );
    const version = /v(\d+)$/.exec(after.traces[0] ?? '')?.[1];
    expect(after.traces).toEqual([
      `document.visibility:set:MASQUE_PS v${String(version)}`,
      `document.archive v${String(version)}`,
    ]);
    // ITI-18 by any of its entryUUIDs: the one document, third entryUUID, same lid, version 3, Archived.
    for (const named of [a, second, third]) {
      const found = await getDocuments([named]);
      expect(found.map((e) => [idOf(e, 'id'), idOf(e, 'lid'), e.attrs['status']])).toEqual([
        [third, a, XDS.archived],
      ]);
    }
  });

  it('a visibility change and a deletion of one document in one request: deleted, both traced', async () => {
    const a = await deposit(GP);
    const second = randomUUID();
    const first = await x.soap(
      t,
      'registry',
      update(await x.vihf(t, GP), visibilityEntry(second, a, ['MASQUE_PS'])),
    );
    expect(x.registryOutcome(first.root), first.text).toMatchObject({ errors: [] });
    const since = await lastSeq();
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, GP),
        visibilityEntry(randomUUID(), a, []) + statusUpdate(1, second, XDS.deleted),
      ),
    );
    expect(x.registryOutcome(res.root), res.text).toMatchObject({ errors: [] });
    const after = await stateOf(a, since);
    expect(after.entry).toMatchObject({ status: 'deleted' });
    expect(after.traces.map((s) => s.replace(/ v\d+$/, ''))).toEqual([
      'document.visibility:unset:MASQUE_PS',
      'document.delete',
    ]);
  });

  it('contradictory changes of one document in one request are refused and change nothing', async () => {
    const a = await deposit(GP);
    const second = randomUUID();
    const first = await x.soap(
      t,
      'registry',
      update(await x.vihf(t, GP), visibilityEntry(second, a, ['MASQUE_PS'])),
    );
    expect(x.registryOutcome(first.root), first.text).toMatchObject({ errors: [] });
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, GP),
        statusUpdate(1, second, XDS.archived) + statusUpdate(2, a, XDS.deleted),
      ),
    );
    const outcome = x.registryOutcome(res.root);
    expect(outcome.status).toMatch(/Failure$/);
    expect(outcome.errors.map((e) => e.codeContext.split(':')[0])).toEqual([
      'DOC_CHANGES_CONTRADICT',
    ]);
    expect(await seen([a])).toEqual({ [a]: 'Approved v2' });
  });

  it('a missing document in the request changes none of the others', async () => {
    const a = await deposit(GP);
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, GP),
        statusUpdate(1, a, XDS.archived) + statusUpdate(2, randomUUID(), XDS.archived),
      ),
    );
    const outcome = x.registryOutcome(res.root);
    expect(outcome.status).toMatch(/Failure$/);
    expect(outcome.errors.map((e) => e.errorCode)).toEqual(['XDSDocumentUniqueIdError']);
    expect(x.descendants(res.root, x.NS.rs, 'RegistryError')[0]?.attrs['location']).toBe('a2');
    expect(await seen([a])).toEqual({ [a]: 'Approved v1' });
  });

  it('a refused change (deleting another author’s document) changes none of the others', async () => {
    const own = await deposit(CARDIO);
    const others = await deposit(GP);
    const res = await x.soap(
      t,
      'registry',
      update(
        await x.vihf(t, CARDIO),
        statusUpdate(1, own, XDS.archived) + statusUpdate(2, others, XDS.deleted),
      ),
    );
    const outcome = x.registryOutcome(res.root);
    expect(outcome.status).toMatch(/Failure$/);
    expect(outcome.errors[0]?.codeContext).toMatch(/^ACCESS_/);
    expect(x.descendants(res.root, x.NS.rs, 'RegistryError')[0]?.attrs['location']).toBe('a2');
    expect(await seen([own, others])).toEqual({ [own]: 'Approved v1', [others]: 'Approved v1' });
    const denied = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event
      WHERE patient_id = ${patientId} AND entity_id = ${others} AND outcome = 'denied'`;
    expect(denied[0]?.n).toBe(1);
  });
});
