import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFromClaims } from '../../src/domain/access/claims.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { DomainFailure } from '../../src/domain/errors.ts';
import type { DepositRequest } from '../../src/domain/documents/submission.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import { deposit } from '../../src/services/documents/deposit.ts';
import {
  documentIdByUniqueId,
  getDocument,
  retrieveContent,
} from '../../src/services/documents/read.ts';
import { findDocuments } from '../../src/services/documents/search.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * The registry's one deposit use case called with its own types — no FHIR on the way in — as the SOAP interface
 * (ITI-41) will call it: what it stores is served by the FHIR API like any ITI-65 deposit (issue 18 point 1).
 */
describe('registry: the neutral deposit, served by the FHIR API', () => {
  let t: TestApp;
  let patient: string;
  let actor: Actor;
  let patientId: string;
  const ins = fx.nir('2790351215189');
  const headers = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  /** A CDA N1 and the metadata a caller gives beside it (the CDA header gives the rest). */
  function entry(key: string, text: string): DepositRequest['documents'][number] {
    return {
      key,
      bytes: fx.n1Bytes(ins, text),
      metadata: {
        patient: { value: ins, oid: fx.TEST_OID },
        mimeType: 'text/xml',
        format: { system: '1.3.6.1.4.1.19376.1.2.3', code: 'urn:ihe:iti:xds-sd:pdf:2008' },
        class: { system: '1.2.250.1.213.1.1.4.1', code: '10' },
        facilityType: { system: '1.2.250.1.71.4.2.4', code: 'SA07' },
        practiceSetting: { system: '1.2.250.1.213.1.1.4.9', code: 'AMBULATOIRE' },
      },
      referenceIds: ['ORDER-42'],
    };
  }

  beforeAll(async () => {
    t = await buildTestApp();
    patient = await t.token({ kind: 'patient', ins });
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: headers(await t.token(OPERATOR)),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode, res.body).toBe(201);
    patientId = String(res.json<Json>()['id']);
    const read = actorFromClaims(GP);
    if (!read.ok) {
      throw new Error(read.error.message);
    }
    actor = read.value;
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores a SubmissionSet, a Folder with its HasMember, and a replacement (RPLC) the FHIR API serves', async () => {
    const docs = documentDeps(t.deps);
    const first = await deposit(docs, actor, {
      submissionSet: { key: 'ss', uniqueId: '1.2.250.1.999.1.77', title: 'Neutral submission' },
      documents: [entry('doc', 'first version')],
      folders: [{ key: 'folder', title: 'Neutral folder' }],
      associations: [
        { kind: 'HasMember', source: 'ss', target: 'doc' },
        { kind: 'HasMember', source: 'folder', target: 'doc' },
      ],
    });
    const firstId = first.documents.get('doc')?.id ?? '';
    expect(first.patientId).toBe(patientId);

    const found = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient=${patientId}&related=ORDER-42`,
      headers: headers(patient),
    });
    expect(found.statusCode, found.body).toBe(200);
    expect(
      (found.json<Json>()['entry'] as Json[]).map((e) => (e['resource'] as Json)['id']),
    ).toEqual([firstId]);
    const folder = await t.app.inject({
      method: 'GET',
      url: `/fhir/List/${first.folderIds[0] ?? ''}`,
      headers: headers(patient),
    });
    expect(folder.statusCode, folder.body).toBe(200);
    expect(folder.json<Json>()['title']).toBe('Neutral folder');
    expect(folder.json<Json>()['entry']).toEqual([
      { item: { reference: `DocumentReference/${firstId}` } },
    ]);

    const second = await deposit(docs, actor, {
      documents: [entry('new', 'second version')],
      folders: [],
      associations: [{ kind: 'RPLC', source: 'new', target: { id: firstId } }],
    });
    expect([...second.superseded.keys()]).toEqual([firstId]);
    const old = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${firstId}`,
      headers: headers(patient),
    });
    expect(old.json<Json>()['status']).toBe('superseded');
    const replacement = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${second.documents.get('new')?.id ?? ''}`,
      headers: headers(patient),
    });
    expect(replacement.json<Json>()['relatesTo']).toEqual([
      { code: 'replaces', target: { reference: `DocumentReference/${firstId}` } },
    ]);
  });

  it('finds, reads and retrieves as registry entries (no FHIR), and decides a retrieval before decrypting', async () => {
    const docs = documentDeps(t.deps);
    const stored = await deposit(docs, actor, {
      documents: [entry('doc', 'read me')],
      folders: [],
      associations: [],
    });
    const id = stored.documents.get('doc')?.id ?? '';
    const holder = actorFromClaims({ kind: 'patient', ins });
    if (!holder.ok) {
      throw new Error(holder.error.message);
    }
    const page = await findDocuments(docs, holder.value, {
      patient: { kind: 'id', id: patientId },
      filter: { statuses: ['current'], archived: false, dates: [] },
      count: 10,
    });
    const found = page.entries.find((e) => e.id === id);
    expect(found?.metadata).toMatchObject({
      patient: { value: ins },
      mimeType: 'text/xml',
      class: { code: '10' },
    });
    expect(found?.status).toBe('current');
    const read = await getDocument(docs, holder.value, id);
    expect(read.metadata.uniqueId).toBe(found?.metadata.uniqueId);
    expect(await documentIdByUniqueId(docs, read.metadata.uniqueId)).toEqual({
      id,
      contentId: read.contentId,
    });
    const bytes = await retrieveContent(docs, holder.value, read.contentId);
    expect(bytes.sha1).toBe(read.metadata.hash);

    // A caller the policy refuses: answered as missing, and no content was opened for them.
    let opened = 0;
    const counting = {
      ...docs.contents,
      seal: docs.contents.seal.bind(docs.contents),
      forgetCurrentKey: docs.contents.forgetCurrentKey.bind(docs.contents),
      moveContents: docs.contents.moveContents.bind(docs.contents),
      // Reading the sealed content beside the facts is allowed; opening (key + decryption) is what must not happen.
      fetch: docs.contents.fetch.bind(docs.contents),
      get: (...args: Parameters<typeof docs.contents.get>) => {
        opened += 1;
        return docs.contents.get(...args);
      },
      open: (...args: Parameters<typeof docs.contents.open>) => {
        opened += 1;
        return docs.contents.open(...args);
      },
    };
    const stranger = actorFromClaims({ kind: 'patient', ins: fx.nir('1850575123456') });
    if (!stranger.ok) {
      throw new Error(stranger.error.message);
    }
    const refusal = await retrieveContent(
      documentDeps(t.deps, counting),
      stranger.value,
      read.contentId,
    ).catch((e: unknown) => e);
    expect((refusal as DomainFailure).error.code).toBe('DOC_NOT_FOUND');
    expect(opened).toBe(0);
    // The same wrapper counts an allowed retrieval's opening.
    await retrieveContent(documentDeps(t.deps, counting), holder.value, read.contentId);
    expect(opened).toBe(1);
  });

  it('names the entry and the field of the neutral model in its issues (no FHIRPath)', async () => {
    const same = entry('a', 'twice');
    const refusal = await deposit(documentDeps(t.deps), actor, {
      documents: [same, { ...same, key: 'b' }],
      folders: [],
      associations: [],
    }).catch((e: unknown) => e);
    expect((refusal as DomainFailure).error).toMatchObject({
      code: 'DOC_UNIQUE_ID_DUPLICATE',
      location: ['DocumentEntry[1].uniqueId'],
    });
  });

  it('refuses an association between entries the submission does not hold, located on the association', async () => {
    const refusal = await deposit(documentDeps(t.deps), actor, {
      documents: [entry('doc', 'orphan')],
      folders: [],
      associations: [{ kind: 'HasMember', source: 'no-such-folder', target: 'doc' }],
    }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DomainFailure);
    expect((refusal as DomainFailure).error).toMatchObject({
      kind: 'unprocessable',
      code: 'DOC_ASSOCIATION_INVALID',
      location: ['Association[0]'],
    });
  });
});
