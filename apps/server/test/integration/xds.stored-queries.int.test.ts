import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp } from '../helpers/app.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { derivedId, XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import { validateEnvelope } from '../../src/xds/schema.ts';
import { parseXml, type XElement } from '../../src/xds/xml.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19 acceptance, ITI-18: every stored query, LeafClass and ObjectRef, on a registry filled through ITI-41 — a
 * SubmissionSet of two documents (A, B) with a Folder holding A, then a second SubmissionSet whose document C replaces
 * A (RPLC). Each answer is what a client sees: the objects (ids and types), their statuses, the associations; each
 * LeafClass answer is valid against the ebRS 3.0 schemas. A professional without authorization who names the
 * objects by id gets the answer of an unknown id (no existence leak), traced as a denial.
 */
const { EXAMPLE, GP, CARDIO } = x;

/** The codeList of Folder F: a LOINC code with its display, a code of the affinity domain's own scheme without. */
const LOINC = '2.16.840.1.113883.6.1';
const FOLDER_CODES: x.FolderCode[] = [
  { code: '11369-6', scheme: LOINC, display: 'Historique des vaccinations' },
  { code: 'SUIVI-VACC', scheme: '1.2.250.1.999.7.1' },
];

interface Answer {
  readonly status: string;
  readonly errors: string[];
  /** Objects by kind, each as its bare id. */
  readonly documents: Map<string, string>;
  readonly packages: Map<string, string>;
  /**
   * `type source→target` of each association, ids bare; a target that is another association of the answer as
   * `(source→target)` of that one.
   */
  readonly associations: string[];
  readonly refs: string[];
  readonly root: XElement;
}

const bare = (id: string | undefined): string => (id ?? '').replace(/^urn:uuid:/, '');

function read(root: XElement): Answer {
  const outcome = x.registryOutcome(root);
  const list = x.descendants(root, x.NS.rim, 'RegistryObjectList')[0];
  const objects = list?.children ?? [];
  const shortType = (t: string): string => t.split(':').pop() ?? t;
  return {
    status: outcome.status.split(':').pop() ?? '',
    errors: outcome.errors.map((e) => e.errorCode),
    documents: new Map(
      objects
        .filter((o) => o.name === 'ExtrinsicObject')
        .map((o) => [bare(o.attrs['id']), shortType(o.attrs['status'] ?? '')]),
    ),
    packages: new Map(
      objects
        .filter((o) => o.name === 'RegistryPackage')
        .map((o) => [
          bare(o.attrs['id']),
          x
            .descendants(o, x.NS.rim, 'Classification')
            .some((c) => c.attrs['classificationNode'] === XDS.submissionSet)
            ? 'SubmissionSet'
            : 'Folder',
        ]),
    ),
    associations: objects
      .filter((o) => o.name === 'Association')
      .map((o) => {
        const target = objects.find(
          (a) => a.name === 'Association' && a.attrs['id'] === o.attrs['targetObject'],
        );
        const to = target
          ? `(${bare(target.attrs['sourceObject'])}→${bare(target.attrs['targetObject'])})`
          : bare(o.attrs['targetObject']);
        return `${shortType(o.attrs['associationType'] ?? '')} ${bare(o.attrs['sourceObject'])}→${to}`;
      })
      .sort(),
    refs: objects.filter((o) => o.name === 'ObjectRef').map((o) => bare(o.attrs['id'])),
    root,
  };
}

describe('ITI-18 stored queries', () => {
  let t: TestApp;
  const ins = fx.nir('1850575123457');
  const patientCx = `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`;
  let patientId = '';
  /** Registry ids: documents A, B, C; SubmissionSets S1, S2; Folder F. */
  const id: Record<string, string> = {};
  const uniqueId: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    patientId = await x.readableRecord(t, ins, GP);

    const cda = () => {
      const bytes = Buffer.from(
        fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(EXAMPLE), ins), fx.freshOid()),
      );
      return { bytes, meta: x.metadataOf(bytes) };
    };
    // S1: A and B, and Folder F holding A.
    const a = cda();
    const b = cda();
    uniqueId['A'] = a.meta.uniqueId;
    uniqueId['B'] = b.meta.uniqueId;
    uniqueId['F'] = fx.freshOid();
    const first = x.pnrBody([a, b], false);
    const entryA = /<rim:ExtrinsicObject id="([^"]+)"/.exec(first.xml)?.[1] ?? '';
    const patient = `${ins}^^^&amp;${fx.TEST_OID}&amp;ISO`;
    const withFolder = x.withObjects(
      first.xml,
      x.folderXml({
        key: 'Folder01',
        uniqueId: uniqueId['F'],
        patient,
        title: 'Suivi vaccinal',
        codes: FOLDER_CODES,
        members: [entryA],
      }),
    );
    const deposit1 = await x.soap(
      t,
      'repository',
      x.envelope(ACTIONS['ITI-41'].request, await x.vihf(t, GP), withFolder),
    );
    expect(x.registryOutcome(deposit1.root), deposit1.text).toMatchObject({ errors: [] });
    const docId = async (u: string) =>
      (
        await t.db.owner<{ id: string }[]>`SELECT id FROM document
          WHERE patient_id = ${patientId} AND unique_id = ${u}`
      )[0]?.id ?? '';
    id['A'] = await docId(uniqueId['A']);
    id['B'] = await docId(uniqueId['B']);
    // S2: C replaces A.
    const c = cda();
    uniqueId['C'] = c.meta.uniqueId;
    const deposit2 = await x.soap(
      t,
      'repository',
      x.iti41(await x.vihf(t, GP), [{ ...c, replaces: id['A'] }]).xml,
    );
    expect(x.registryOutcome(deposit2.root), deposit2.text).toMatchObject({ errors: [] });
    id['C'] = await docId(uniqueId['C']);
    const sets = await t.db.owner<{ id: string; unique_id: string; submission_set_id: string }[]>`
      SELECT d.submission_set_id AS id, s.unique_id, d.submission_set_id FROM document d
      JOIN submission_set s ON s.patient_id = d.patient_id AND s.id = d.submission_set_id
      WHERE d.patient_id = ${patientId} AND d.id IN (${id['A']}, ${id['C']}) ORDER BY d.deposited_at`;
    id['S1'] = sets[0]?.id ?? '';
    uniqueId['S1'] = sets[0]?.unique_id ?? '';
    id['S2'] = sets[1]?.id ?? '';
    id['F'] =
      (
        await t.db.owner<{ id: string }[]>`SELECT id FROM folder
          WHERE patient_id = ${patientId} AND unique_id = ${uniqueId['F']}`
      )[0]?.id ?? '';
    expect(Object.values(id).every((v) => v !== '')).toBe(true);
  });
  afterAll(async () => {
    await t.close();
  });

  async function query(
    who: Record<string, unknown>,
    queryId: string,
    slots: Record<string, string>,
    returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass',
  ): Promise<Answer> {
    const res = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, who), queryId, slots, returnType),
    );
    expect(res.status, res.text).toBe(200);
    // What a client receives is valid against the ebRS 3.0 schemas (the same set the requests are checked with).
    parseXml(Buffer.from(res.text), { validate: validateEnvelope });
    return read(res.root);
  }

  const list = (...v: string[]) => `(${v.map((s) => `'${s}'`).join(',')})`;
  const APPROVED = list(XDS.approved);
  const ANY_DOC = list(XDS.approved, XDS.deprecated, XDS.archived);
  /** Names → registry ids, at run time. */
  const ids = (...names: string[]) => names.map((n) => id[n] ?? n).sort();
  const assoc = (type: string, source: string, target: string) =>
    `${type} ${id[source] ?? source}→${id[target] ?? target}`;
  /** The bare id of F's HasMember to A, as every answer names it (a name-based id, ebrim.ts derivedId). */
  const folderMemberId = () =>
    bare(derivedId(`${XDS.hasMember}|${id['F'] ?? ''}|${id['A'] ?? ''}`, 0));
  /** A SubmissionSet's HasMember to a Folder's HasMember (the membership its submission made). */
  const setToMember = (set: string, folder: string, document: string) =>
    `HasMember ${id[set] ?? set}→(${id[folder] ?? folder}→${id[document] ?? document})`;

  interface Case {
    readonly name: string;
    readonly queryId: string;
    readonly slots: () => Record<string, string>;
    readonly documents: string[];
    readonly packages: string[];
    readonly associations: () => string[];
  }

  const cases: Case[] = [
    {
      name: 'FindDocuments, Approved',
      queryId: STORED_QUERY.FindDocuments,
      slots: () => ({ $XDSDocumentEntryPatientId: patientCx, $XDSDocumentEntryStatus: APPROVED }),
      documents: ['B', 'C'],
      packages: [],
      associations: () => [],
    },
    {
      name: 'FindDocuments, Approved and Deprecated, by author (IdNat_PS)',
      queryId: STORED_QUERY.FindDocuments,
      slots: () => ({
        $XDSDocumentEntryPatientId: patientCx,
        $XDSDocumentEntryStatus: ANY_DOC,
        $XDSDocumentEntryAuthorPerson: `'${GP.idNatPs}^^^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO'`,
      }),
      documents: ['A', 'B', 'C'],
      packages: [],
      associations: () => [],
    },
    {
      name: 'FindDocuments by another author',
      queryId: STORED_QUERY.FindDocuments,
      slots: () => ({
        $XDSDocumentEntryPatientId: patientCx,
        $XDSDocumentEntryStatus: ANY_DOC,
        $XDSDocumentEntryAuthorPerson: `'${CARDIO.idNatPs}^^^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO'`,
      }),
      documents: [],
      packages: [],
      associations: () => [],
    },
    {
      name: 'FindSubmissionSets',
      queryId: STORED_QUERY.FindSubmissionSets,
      slots: () => ({
        $XDSSubmissionSetPatientId: patientCx,
        $XDSSubmissionSetStatus: APPROVED,
      }),
      documents: [],
      packages: ['S1', 'S2'],
      associations: () => [],
    },
    {
      name: 'FindFolders',
      queryId: STORED_QUERY.FindFolders,
      slots: () => ({ $XDSFolderPatientId: patientCx, $XDSFolderStatus: APPROVED }),
      documents: [],
      packages: ['F'],
      associations: () => [],
    },
    {
      name: 'GetAll',
      queryId: STORED_QUERY.GetAll,
      slots: () => ({
        $patientId: patientCx,
        $XDSDocumentEntryStatus: ANY_DOC,
        $XDSSubmissionSetStatus: APPROVED,
        $XDSFolderStatus: APPROVED,
      }),
      documents: ['A', 'B', 'C'],
      packages: ['S1', 'S2', 'F'],
      associations: () => [
        assoc('HasMember', 'S1', 'A'),
        assoc('HasMember', 'S1', 'B'),
        assoc('HasMember', 'S2', 'C'),
        assoc('HasMember', 'F', 'A'),
        assoc('HasMember', 'S1', 'F'),
        setToMember('S1', 'F', 'A'),
        assoc('RPLC', 'C', 'A'),
      ],
    },
    {
      name: 'GetDocuments by entryUUID',
      queryId: STORED_QUERY.GetDocuments,
      slots: () => ({ $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['A']}`) }),
      documents: ['A'],
      packages: [],
      associations: () => [],
    },
    {
      name: 'GetDocuments by uniqueId',
      queryId: STORED_QUERY.GetDocuments,
      slots: () => ({ $XDSDocumentEntryUniqueId: list(uniqueId['B'] ?? '') }),
      documents: ['B'],
      packages: [],
      associations: () => [],
    },
    {
      name: 'GetFolders by uniqueId',
      queryId: STORED_QUERY.GetFolders,
      slots: () => ({ $XDSFolderUniqueId: list(uniqueId['F'] ?? '') }),
      documents: [],
      packages: ['F'],
      associations: () => [],
    },
    {
      name: 'GetAssociations of A',
      queryId: STORED_QUERY.GetAssociations,
      slots: () => ({ $uuid: list(`urn:uuid:${id['A']}`) }),
      documents: [],
      packages: [],
      associations: () => [
        assoc('HasMember', 'S1', 'A'),
        assoc('HasMember', 'F', 'A'),
        assoc('RPLC', 'C', 'A'),
      ],
    },
    {
      name: 'GetAssociations of F: its documents and the SubmissionSet that created it',
      queryId: STORED_QUERY.GetAssociations,
      slots: () => ({ $uuid: list(`urn:uuid:${id['F']}`) }),
      documents: [],
      packages: [],
      associations: () => [assoc('HasMember', 'F', 'A'), assoc('HasMember', 'S1', 'F')],
    },
    {
      name: 'GetAssociations of S1: its documents, its Folder and the Folder membership it made',
      queryId: STORED_QUERY.GetAssociations,
      slots: () => ({ $uuid: list(`urn:uuid:${id['S1']}`) }),
      documents: [],
      packages: [],
      associations: () => [
        assoc('HasMember', 'S1', 'A'),
        assoc('HasMember', 'S1', 'B'),
        assoc('HasMember', 'S1', 'F'),
        // Its target is F→A, which this answer does not hold: written as its bare id.
        `HasMember ${id['S1'] ?? ''}→${folderMemberId()}`,
      ],
    },
    {
      name: 'GetDocumentsAndAssociations of A',
      queryId: STORED_QUERY.GetDocumentsAndAssociations,
      slots: () => ({ $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['A']}`) }),
      documents: ['A'],
      packages: [],
      associations: () => [
        assoc('HasMember', 'S1', 'A'),
        assoc('HasMember', 'F', 'A'),
        assoc('RPLC', 'C', 'A'),
      ],
    },
    {
      name: 'GetSubmissionSets of B and C',
      queryId: STORED_QUERY.GetSubmissionSets,
      slots: () => ({ $uuid: list(`urn:uuid:${id['B']}`, `urn:uuid:${id['C']}`) }),
      documents: [],
      packages: ['S1', 'S2'],
      associations: () => [assoc('HasMember', 'S1', 'B'), assoc('HasMember', 'S2', 'C')],
    },
    {
      name: 'GetSubmissionSets of F: the SubmissionSet that created it',
      queryId: STORED_QUERY.GetSubmissionSets,
      slots: () => ({ $uuid: list(`urn:uuid:${id['F']}`) }),
      documents: [],
      packages: ['S1'],
      associations: () => [assoc('HasMember', 'S1', 'F')],
    },
    {
      name: 'GetSubmissionSetAndContents by uniqueId',
      queryId: STORED_QUERY.GetSubmissionSetAndContents,
      slots: () => ({ $XDSSubmissionSetUniqueId: list(uniqueId['S1'] ?? '') }),
      documents: ['A', 'B'],
      packages: ['S1', 'F'],
      associations: () => [
        assoc('HasMember', 'S1', 'A'),
        assoc('HasMember', 'S1', 'B'),
        assoc('HasMember', 'S1', 'F'),
        assoc('HasMember', 'F', 'A'),
        setToMember('S1', 'F', 'A'),
      ],
    },
    {
      name: 'GetFolderAndContents by entryUUID',
      queryId: STORED_QUERY.GetFolderAndContents,
      slots: () => ({ $XDSFolderEntryUUID: list(`urn:uuid:${id['F']}`) }),
      documents: ['A'],
      packages: ['F'],
      associations: () => [assoc('HasMember', 'F', 'A')],
    },
    {
      name: 'GetRelatedDocuments of C (RPLC)',
      queryId: STORED_QUERY.GetRelatedDocuments,
      slots: () => ({
        $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['C']}`),
        $AssociationTypes: list(XDS.rplc),
      }),
      documents: ['A', 'C'],
      packages: [],
      associations: () => [assoc('RPLC', 'C', 'A')],
    },
  ];

  it.each(cases)('$name: LeafClass and ObjectRef', async (c) => {
    const leaf = await query(GP, c.queryId, c.slots());
    expect(leaf.status, JSON.stringify(leaf.errors)).toBe('Success');
    expect([...leaf.documents.keys()].sort()).toEqual(ids(...c.documents));
    expect([...leaf.packages.keys()].sort()).toEqual(ids(...c.packages));
    expect(leaf.associations).toEqual(c.associations().sort());
    // Statuses as a client reads them: A replaced (Deprecated), the others Approved.
    for (const [docId, status] of leaf.documents) {
      expect(status).toBe(docId === id['A'] ? 'Deprecated' : 'Approved');
    }
    for (const [pkgId, kind] of leaf.packages) {
      expect(kind).toBe(pkgId === id['F'] ? 'Folder' : 'SubmissionSet');
    }
    // The XDS version: a replacement deprecates A without a new metadata version (ADR 0021), so every document is at
    // version 1 — not the stored row's version, which the replacement moved.
    for (const o of x.descendants(leaf.root, x.NS.rim, 'ExtrinsicObject')) {
      expect(x.descendants(o, x.NS.rim, 'VersionInfo')[0]?.attrs['versionName']).toBe('1');
    }
    const refs = await query(GP, c.queryId, c.slots(), 'ObjectRef');
    expect(refs.status).toBe('Success');
    expect(refs.documents.size + refs.packages.size + refs.associations.length).toBe(0);
    expect(refs.refs).toHaveLength(
      c.documents.length + c.packages.length + c.associations().length,
    );
    expect(refs.refs).toEqual(expect.arrayContaining(ids(...c.documents, ...c.packages)));
  });

  it('writes DocumentEntries with rim as their own default namespace, and no unused declaration (ADR 0041)', async () => {
    const res = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, GP), STORED_QUERY.GetAll, {
        $patientId: patientCx,
        $XDSDocumentEntryStatus: ANY_DOC,
        $XDSSubmissionSetStatus: APPROVED,
        $XDSFolderStatus: APPROVED,
      }),
    );
    expect(res.status).toBe(200);
    // Valid (the query helper's check), the same objects as before: each entry unprefixed, the others still rim:.
    parseXml(Buffer.from(res.text), { validate: validateEnvelope });
    expect(res.text.match(new RegExp(`<ExtrinsicObject xmlns="${x.NS.rim}" `, 'g'))).toHaveLength(
      3,
    );
    expect(res.text).not.toContain('<rim:ExtrinsicObject');
    expect(res.text).toContain('<rim:RegistryPackage');
    expect(res.text).not.toContain('xmlns:rs=');
    expect(read(res.root).documents.size).toBe(3);
  });

  it('the same association has the same id in every answer', async () => {
    const all = await query(GP, STORED_QUERY.GetAll, {
      $patientId: patientCx,
      $XDSDocumentEntryStatus: ANY_DOC,
      $XDSSubmissionSetStatus: APPROVED,
      $XDSFolderStatus: APPROVED,
    });
    const of = (a: Answer) =>
      x
        .descendants(a.root, x.NS.rim, 'Association')
        .map((e) => `${e.attrs['id']} ${e.attrs['targetObject']}`);
    const related = await query(GP, STORED_QUERY.GetRelatedDocuments, {
      $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['C']}`),
      $AssociationTypes: list(XDS.rplc),
    });
    expect(of(all)).toEqual(expect.arrayContaining(of(related)));
  });

  it('a professional without authorization naming the objects by id gets the answer of an unknown id, traced as a denial', async () => {
    const named: [string, Record<string, string>][] = [
      [STORED_QUERY.GetDocuments, { $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['A']}`) }],
      [STORED_QUERY.GetFolderAndContents, { $XDSFolderEntryUUID: list(`urn:uuid:${id['F']}`) }],
      [
        STORED_QUERY.GetSubmissionSetAndContents,
        { $XDSSubmissionSetUniqueId: list(uniqueId['S1'] ?? '') },
      ],
      [STORED_QUERY.GetAssociations, { $uuid: list(`urn:uuid:${id['A']}`) }],
    ];
    for (const [queryId, slots] of named) {
      const denied = await query(CARDIO, queryId, slots);
      const unknown = await query(
        CARDIO,
        queryId,
        Object.fromEntries(
          Object.entries(slots).map(([k]) => [
            k,
            list(k.endsWith('UniqueId') ? fx.freshOid() : `urn:uuid:${randomUUID()}`),
          ]),
        ),
      );
      expect(denied.status).toBe('Success');
      expect({ ...denied, root: undefined }).toEqual({ ...unknown, root: undefined });
    }
    const traces = await t.db.owner<{ outcome: string; n: number }[]>`
      SELECT outcome, count(*)::int AS n FROM audit_event
      WHERE patient_id = ${patientId} AND actor_id LIKE ${`%${CARDIO.idNatPs}%`}
      GROUP BY outcome`;
    expect(traces.find((r) => r.outcome === 'denied')?.n ?? 0).toBeGreaterThanOrEqual(named.length);
    expect(traces.find((r) => r.outcome === 'success')).toBeUndefined();
  });

  it('each answer is traced once with what it returned, on the SOAP channel', async () => {
    await query(GP, STORED_QUERY.GetSubmissionSetAndContents, {
      $XDSSubmissionSetEntryUUID: list(`urn:uuid:${id['S1']}`),
    });
    const [docs, lists] = await Promise.all(
      ['document.search', 'list.search'].map(
        (action) => t.db.owner<{ detail: Record<string, unknown> }[]>`
          SELECT detail FROM audit_event WHERE patient_id = ${patientId} AND action = ${action}
            AND detail->>'query' = 'GetSubmissionSetAndContents' ORDER BY recorded_at DESC LIMIT 1`,
      ),
    );
    expect(String(docs?.[0]?.detail['ids']).split(',').sort()).toEqual(ids('A', 'B'));
    expect(String(lists?.[0]?.detail['ids']).split(',').sort()).toEqual(ids('S1', 'F'));
    expect(docs?.[0]?.detail['channel']).toBe('soap');
  });

  it("a Folder stored before its SubmissionSet was kept has its documents' SubmissionSet", async () => {
    await t.db.owner`UPDATE folder SET metadata = metadata - 'submissionSetId'
      WHERE patient_id = ${patientId} AND id = ${id['F'] ?? ''}`;
    try {
      const sets = await query(GP, STORED_QUERY.GetSubmissionSets, {
        $uuid: list(`urn:uuid:${id['F']}`),
      });
      expect([...sets.packages.keys()]).toEqual(ids('S1'));
      expect(sets.associations).toEqual([assoc('HasMember', 'S1', 'F')]);
    } finally {
      await t.db
        .owner`UPDATE folder SET metadata = metadata || ${{ submissionSetId: id['S1'] } as never}::jsonb
        WHERE patient_id = ${patientId} AND id = ${id['F'] ?? ''}`;
    }
  });

  /** Folder F's codeList as GetFolders writes it: `code|codingScheme|display` of each Classification. */
  async function folderCodeList(): Promise<string[]> {
    const folders = await query(GP, STORED_QUERY.GetFolders, {
      $XDSFolderEntryUUID: list(`urn:uuid:${id['F']}`),
    });
    return x
      .descendants(folders.root, x.NS.rim, 'Classification')
      .filter((c) => c.attrs['classificationScheme'] === XDS.folderCodeList)
      .map((c) => {
        expect(c.attrs['classifiedObject']).toBe(`urn:uuid:${id['F']}`);
        const scheme = x.descendants(c, x.NS.rim, 'Value')[0]?.text ?? '';
        const display = x.descendants(c, x.NS.rim, 'LocalizedString')[0]?.attrs['value'] ?? '';
        return `${c.attrs['nodeRepresentation'] ?? ''}|${scheme}|${display}`;
      });
  }

  it("a Folder's codeList is answered as sent: each code with its codingScheme and display name", async () => {
    expect(await folderCodeList()).toEqual(
      FOLDER_CODES.map((c) => `${c.code}|${c.scheme}|${c.display ?? ''}`),
    );
  });

  it('FindFolders $XDSFolderCodeList compares the code and its codingScheme', async () => {
    const found = async (value: string) => [
      ...(
        await query(GP, STORED_QUERY.FindFolders, {
          $XDSFolderPatientId: patientCx,
          $XDSFolderStatus: APPROVED,
          $XDSFolderCodeList: value,
        })
      ).packages.keys(),
    ];
    expect(await found(list(`SUIVI-VACC^^1.2.250.1.999.7.1`))).toEqual(ids('F'));
    expect(await found(list(`11369-6^^${LOINC}`, 'X^^1.2.3'))).toEqual(ids('F'));
    expect(await found(list('SUIVI-VACC^^1.2.250.1.999.7.2'))).toEqual([]);
    expect(await found(list(`11369-6^^1.2.250.1.999.7.1`))).toEqual([]);
  });

  it('a Folder stored before its codingSchemes were kept: codes matched by code, answered with the scheme the reference data give', async () => {
    await t.db.owner`UPDATE folder SET metadata = metadata - 'codes'
      WHERE patient_id = ${patientId} AND id = ${id['F'] ?? ''}`;
    try {
      // The LOINC code is known to the value sets (display as they give it); the domain's own code is not: left out.
      const [loinc, ...others] = await folderCodeList();
      expect(loinc?.split('|').slice(0, 2)).toEqual(['11369-6', LOINC]);
      expect(others).toEqual([]);
      const found = await query(GP, STORED_QUERY.FindFolders, {
        $XDSFolderPatientId: patientCx,
        $XDSFolderStatus: APPROVED,
        $XDSFolderCodeList: list('SUIVI-VACC^^1.2.250.1.999.7.2'),
      });
      expect([...found.packages.keys()]).toEqual(ids('F'));
    } finally {
      await t.db.owner`UPDATE folder SET metadata = metadata || ${
        {
          codes: FOLDER_CODES.map((c) => ({
            system: c.scheme,
            code: c.code,
            ...(c.display !== undefined && { display: c.display }),
          })),
        } as never
      }::jsonb WHERE patient_id = ${patientId} AND id = ${id['F'] ?? ''}`;
    }
  });

  it('an ITI-41 whose Folder has more than 50 codes is refused whole, located on the Folder', async () => {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(EXAMPLE), ins), fx.freshOid()),
    );
    const body = x.pnrBody([{ bytes, meta: x.metadataOf(bytes) }], false);
    const entry = /<rim:ExtrinsicObject id="([^"]+)"/.exec(body.xml)?.[1] ?? '';
    const codes = Array.from({ length: 51 }, (_, i) => ({
      code: `C${String(i)}`,
      scheme: '1.2.3',
    }));
    const folderUniqueId = fx.freshOid();
    const res = await x.soap(
      t,
      'repository',
      x.envelope(
        ACTIONS['ITI-41'].request,
        await x.vihf(t, GP),
        x.withObjects(
          body.xml,
          x.folderXml({
            key: 'Folder02',
            uniqueId: folderUniqueId,
            patient: `${ins}^^^&amp;${fx.TEST_OID}&amp;ISO`,
            codes,
            members: [entry],
          }),
        ),
      ),
    );
    expect(x.registryOutcome(res.root).status).toBe(
      'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
    );
    const errors = x.descendants(res.root, x.NS.rs, 'RegistryError');
    expect(
      errors.map((e) => [
        e.attrs['errorCode'],
        e.attrs['codeContext']?.split(':')[0],
        e.attrs['location'],
      ]),
    ).toEqual([['XDSRegistryMetadataError', 'DOC_LIST_TOO_LARGE', 'Folder02']]);
    const [folders] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM folder
      WHERE patient_id = ${patientId} AND unique_id = ${folderUniqueId}`;
    expect(folders?.n).toBe(0);
  });

  it('a missing required parameter is XDSStoredQueryParamNumber; an unknown query XDSUnknownStoredQuery', async () => {
    expect(
      (await query(GP, STORED_QUERY.FindFolders, { $XDSFolderPatientId: patientCx })).errors,
    ).toEqual(['XDSStoredQueryParamNumber']);
    expect(
      (
        await query(GP, STORED_QUERY.GetRelatedDocuments, {
          $XDSDocumentEntryEntryUUID: list(`urn:uuid:${id['C']}`),
        })
      ).errors,
    ).toEqual(['XDSStoredQueryParamNumber']);
    expect((await query(GP, 'urn:uuid:00000000-0000-4000-8000-000000000000', {})).errors).toEqual([
      'XDSUnknownStoredQuery',
    ]);
    // An id that is no UUID names nothing (found running the docs' examples: it was a Receiver fault).
    for (const bad of ['urn:uuid:', 'urn:uuid:not-a-uuid', 'x y']) {
      const none = await query(GP, STORED_QUERY.GetFolders, { $XDSFolderEntryUUID: list(bad) });
      expect(none).toMatchObject({ status: 'Success', errors: [] });
      expect(none.packages.size).toBe(0);
    }
  });
});
