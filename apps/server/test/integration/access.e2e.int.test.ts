import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { loadDirectory } from './notifications.fixtures.ts';

/**
 * Issue 4 acceptance: over HTTP against a running server (real PostgreSQL, dev tokens), each scenario asserts
 * exactly which of the record's documents an actor finds (ITI-67), reads (DocumentReference/{id}) and retrieves
 * (ITI-68 attachment.url). A hidden document must look exactly like a missing one.
 */
type Doc = 'cr' | 'masked' | 'invisible' | 'delivery' | 'dispensation' | 'deleted' | 'byMt';
const ALL: Doc[] = ['cr', 'masked', 'invisible', 'delivery', 'dispensation', 'deleted', 'byMt'];

const HOSPITAL = '1750300000';
const pro = (idNatPs: string, profession: string, structure: string, extra: Json = {}): Json => ({
  kind: 'professional',
  idNatPs,
  profession,
  structure,
  mode: 'normal',
  ...extra,
});
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const TEAM = pro('899700366240', '10', HOSPITAL, { specialty: 'SM26' });
const MIDWIFE_TEAM = pro('810001000065', '50', HOSPITAL);
const MT = pro('810001000008', '10', '1750600009', { specialty: 'SM26' });
const CARDIO = pro('810001000016', '10', '1750700007', { specialty: 'SM04' });
const PHARMA = pro('810001000032', '21', '1750400004');
const NURSE = pro('810001000040', '60', '1750800005');
const DENTIST = pro('810001000057', '40', '1690100003');
const KINE = pro('810001000081', '70', '1750800005');
const STRANGER = pro('810001000107', '10', '1750700007', { specialty: 'SM04' });
const BLOCKED = pro('810001000115', '10', '1750700007', { specialty: 'SM04' });
const WORK_DOCTOR = pro('810001000099', '10', '1750700007', { specialty: 'SM25' });
const REGULATOR = pro('810001000073', '10', '1750500001', { specialty: 'SM54', regulator: true });
/** Emergency modes are declared for one record (issue 17 rule 6): the adult record of these scenarios. */
const EMERGENCY_INS = fx.nir('2790351215189');
const bdg = (p: Json, reason = 'Patient inconscient, admis aux urgences'): Json => ({
  ...p,
  mode: 'bris_de_glace',
  reason,
  ins: EMERGENCY_INS,
});
const c15 = (p: Json): Json => ({ ...p, mode: 'centre_15', ins: EMERGENCY_INS });

describe('access control end to end (issue 4)', () => {
  let t: TestApp;
  let base: string;
  const insP = fx.nir('2790351215189');
  const insM = fx.nir('1120875056111');
  /** The minor's mother's own identifier, registered on the minor's record (issue 17 rule 1). */
  const REP_ID = '284067505600131';
  const docs = new Map<string, { id: string; binary: string }>();
  const tokens = new Map<string, string>();

  async function tokenFor(body: Json): Promise<string> {
    const key = JSON.stringify(body);
    const cached = tokens.get(key);
    if (cached) {
      return cached;
    }
    const res = await fetch(`${base}/auth/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: key,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const tok = ((await res.json()) as { access_token: string }).access_token;
    tokens.set(key, tok);
    return tok;
  }

  async function call(
    body: Json,
    method: string,
    path: string,
    payload?: unknown,
    type = 'application/fhir+json',
  ): Promise<Response> {
    const token = await tokenFor(body);
    return fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { 'content-type': type }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
  }

  async function deposit(
    key: string,
    author: Json,
    ins: string,
    overrides: Json = {},
  ): Promise<void> {
    const bytes = fx.n1Bytes(ins, key, overrides);
    const docRef = fx.pdfDocumentReference(
      ins,
      bytes,
      { idNatPs: String(author['idNatPs']), structure: String(author['structure']) },
      overrides,
    );
    const res = await call(author, 'POST', '/fhir/DocumentReference', fx.iti105(docRef, bytes));
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const doc = JSON.parse(text) as Json;
    const url = String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']);
    docs.set(key, { id: String(doc['id']), binary: new URL(url).pathname });
  }

  const label = (code: string) => ({
    securityLabel: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }],
      },
      { coding: [{ system: fx.A07, code }] },
    ],
  });

  async function consent(
    body: Json,
    ins: string,
    actor: { system: string; value: string },
    type: 'permit' | 'deny' = 'permit',
  ): Promise<Response> {
    return call(body, 'POST', '/fhir/Consent', {
      ...fx.consentBody(ins, actor.value),
      provision: { type, actor: [{ reference: { identifier: actor } }] },
    });
  }

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    await loadDirectory(t.db.owner);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const [ins, birthDate] of [
      [insP, '1979-03-21'],
      [insM, '2012-08-13'],
    ] as const) {
      const res = await call(OPERATOR, 'POST', '/fhir/Patient', {
        ...fx.patientBody(ins, birthDate),
        gender: ins === insM ? 'male' : 'female',
      });
      expect(res.status, await res.text()).toBe(201);
    }
    const patient = { kind: 'patient', ins: insP };
    // Médecin traitant chosen by the patient.
    const idP = (
      (await (
        await call(OPERATOR, 'GET', `/fhir/Patient?identifier=${fx.TEST_SYSTEM}|${insP}`)
      ).json()) as { entry: { resource: { id: string } }[] }
    ).entry[0]?.resource.id;
    const gp = await call(
      patient,
      'PATCH',
      `/fhir/Patient/${idP}`,
      [
        {
          op: 'add',
          path: '/generalPractitioner',
          value: [{ identifier: { system: fx.IDNAT_PS, value: MT['idNatPs'] } }],
        },
      ],
      'application/json-patch+json',
    );
    expect(gp.status).toBe(200);
    // Documents of the adult record.
    await deposit('cr', AUTHOR, insP);
    await deposit('masked', AUTHOR, insP, label('MASQUE_PS'));
    await deposit('invisible', AUTHOR, insP, label('INVISIBLE_PATIENT'));
    await deposit('delivery', AUTHOR, insP, {
      type: { coding: [{ system: 'http://loinc.org', code: '15508-5' }] },
    });
    await deposit('dispensation', PHARMA, insP, {
      type: { coding: [{ system: 'http://loinc.org', code: '60593-1' }] },
      category: [{ coding: [{ system: fx.A03, code: '43' }] }],
    });
    await deposit('deleted', AUTHOR, insP);
    await deposit('byMt', MT, insP);
    const del = await call(
      AUTHOR,
      'PATCH',
      `/fhir/DocumentReference/${docs.get('deleted')?.id}`,
      [{ op: 'replace', path: '/status', value: 'entered-in-error' }],
      'application/json-patch+json',
    );
    expect(del.status, await del.text()).toBe(200);
    // The minor's record, and their registered representative (issue 17 rule 1).
    const idM = (
      (await (
        await call(OPERATOR, 'GET', `/fhir/Patient?identifier=${fx.TEST_SYSTEM}|${insM}`)
      ).json()) as { entry: { resource: { id: string } }[] }
    ).entry[0]?.resource.id;
    const registered = await call(OPERATOR, 'POST', `/fhir/Patient/${idM}/$representative`, {
      resourceType: 'RelatedPerson',
      identifier: [{ system: fx.TEST_SYSTEM, value: REP_ID }],
      name: [{ text: 'Claire SIMON' }],
      relationship: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] },
      ],
    });
    expect(registered.status, await registered.text()).toBe(201);
    await deposit('m_cr', AUTHOR, insM);
    await deposit('m_hidden', AUTHOR, insM, label('INVISIBLE_REPRESENTANTS_LEGAUX'));
    // Authorizations: declared consents, the hospital's care team, a professional later blocked.
    for (const p of [CARDIO, DENTIST, KINE, PHARMA, BLOCKED, WORK_DOCTOR]) {
      const r = await consent(p, insP, { system: fx.IDNAT_PS, value: String(p['idNatPs']) });
      expect(r.status, await r.text()).toBe(201);
    }
    const team = await consent(AUTHOR, insP, { system: fx.IDNAT_STRUCT, value: HOSPITAL });
    expect(team.status, await team.text()).toBe(201);
    const teamM = await consent(AUTHOR, insM, { system: fx.IDNAT_STRUCT, value: HOSPITAL });
    expect(teamM.status).toBe(201);
    const block = await consent(
      patient,
      insP,
      { system: fx.IDNAT_PS, value: String(BLOCKED['idNatPs']) },
      'deny',
    );
    expect(block.status, await block.text()).toBe(201);
  });

  afterAll(async () => {
    await t.close();
  });

  /** What `actor` sees of the record `ins`, through the three paths. */
  async function sees(
    actor: Json,
    ins: string,
    keys: readonly string[],
  ): Promise<{ search: string[] | number; read: string[]; retrieve: string[] }> {
    const res = await call(
      actor,
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=100`,
    );
    let search: string[] | number;
    if (res.status === 200) {
      const bundle = (await res.json()) as {
        total: number;
        entry?: { resource: { id: string } }[];
      };
      const ids = (bundle.entry ?? []).map((e) => e.resource.id);
      search = keys.filter((k) => ids.includes(docs.get(k)?.id ?? '')).sort();
      expect(bundle.total).toBe(ids.length);
    } else {
      const oo = (await res.json()) as { resourceType: string };
      expect(oo.resourceType).toBe('OperationOutcome');
      search = res.status;
    }
    const read: string[] = [];
    const retrieve: string[] = [];
    for (const k of keys) {
      const d = docs.get(k);
      const r = await call(actor, 'GET', `/fhir/DocumentReference/${d?.id}`);
      if (r.status === 200) {
        read.push(k);
      } else {
        expect([403, 404, 422]).toContain(r.status);
        const body = await r.text();
        expect(body).not.toContain(d?.id);
      }
      const b = await call(actor, 'GET', d?.binary ?? '/');
      if (b.status === 200) {
        retrieve.push(k);
      } else {
        expect([403, 404, 422]).toContain(b.status);
      }
    }
    return { search, read: read.sort(), retrieve: retrieve.sort() };
  }

  const sorted = (xs: readonly string[]) => [...xs].sort();
  const PRO_VISIBLE: Doc[] = ['cr', 'invisible', 'delivery', 'dispensation', 'byMt'];
  const patientActor = () => ({ kind: 'patient', ins: insP });

  type Scenario = [
    name: string,
    actor: () => Json,
    visible: readonly string[],
    searchStatus?: number,
  ];
  const scenarios: Scenario[] = [
    ['a professional without authorization sees nothing (403 on search)', () => STRANGER, [], 403],
    ['a nurse without authorization sees nothing', () => NURSE, [], 403],
    [
      'a cardiologist with a declared consent sees all but masked and deleted',
      () => CARDIO,
      PRO_VISIBLE,
    ],
    ['a blocked professional who had consented sees nothing', () => BLOCKED, [], 403],
    ['a blocked professional in bris de glace sees nothing', () => bdg(BLOCKED), [], 403],
    [
      'a care-team member (no own consent) sees what an authorized médecin sees',
      () => TEAM,
      PRO_VISIBLE,
    ],
    ['a care-team midwife sees what the matrix opens to midwives', () => MIDWIFE_TEAM, PRO_VISIBLE],
    [
      'a care-team member acting from another structure sees nothing',
      () => ({ ...TEAM, structure: '1750600009' }),
      [],
      403,
    ],
    [
      'the author sees their masked document too',
      () => AUTHOR,
      ['cr', 'masked', 'invisible', 'delivery', 'dispensation', 'byMt'],
    ],
    [
      'the médecin traitant sees masked documents',
      () => MT,
      ['cr', 'masked', 'invisible', 'delivery', 'dispensation', 'byMt'],
    ],
    [
      'the médecin traitant in bris de glace still sees masked documents',
      () => bdg(MT),
      ['cr', 'masked', 'invisible', 'delivery', 'dispensation', 'byMt'],
    ],
    [
      'a dentist with consent does not see the delivery report',
      () => DENTIST,
      ['cr', 'invisible', 'dispensation', 'byMt'],
    ],
    [
      'a physiotherapist with consent does not see dispensations',
      () => KINE,
      ['cr', 'invisible', 'delivery', 'byMt'],
    ],
    [
      'a pharmacist with consent sees what the matrix opens, including their own dispensation',
      () => PHARMA,
      PRO_VISIBLE,
    ],
    ['an occupational physician with consent sees nothing (matrix)', () => WORK_DOCTOR, []],
    [
      'bris de glace with a justification opens the record but not masked documents',
      () => bdg(STRANGER),
      PRO_VISIBLE,
    ],
    ['bris de glace by a nurse with a justification', () => bdg(NURSE), PRO_VISIBLE],
    [
      'in bris de glace the matrix still applies: a physiotherapist does not see dispensations',
      () => bdg(KINE),
      ['cr', 'invisible', 'delivery', 'byMt'],
    ],
    [
      'in bris de glace a dentist still does not see the delivery report',
      () => bdg(DENTIST),
      ['cr', 'invisible', 'dispensation', 'byMt'],
    ],
    [
      'the author in bris de glace still sees their masked document',
      () => bdg(AUTHOR),
      ['cr', 'masked', 'invisible', 'delivery', 'dispensation', 'byMt'],
    ],
    [
      'centre 15 by the SAMU regulator médecin opens the record but not masked documents',
      () => c15(REGULATOR),
      PRO_VISIBLE,
    ],
    ['centre 15 by a médecin who is not a regulator is refused', () => c15(STRANGER), [], 403],
    [
      'centre 15 by a nurse claiming regulator is refused',
      () => c15({ ...NURSE, regulator: true }),
      [],
      403,
    ],
    [
      'the patient sees all but deleted and still-invisible documents',
      patientActor,
      ['cr', 'masked', 'delivery', 'dispensation', 'byMt'],
    ],
    [
      'another patient sees nothing of this record',
      () => ({ kind: 'patient', ins: insM }),
      [],
      403,
    ],
    [
      'a representative of someone else sees nothing of this record',
      () => ({ kind: 'representative', ins: insM, id: REP_ID }),
      [],
      403,
    ],
    ['the operator sees no clinical content', () => OPERATOR, [], 403],
  ];

  it.each(scenarios)('%s', async (_name, actor, visible, searchStatus) => {
    const seen = await sees(actor(), insP, ALL);
    expect(seen.search).toEqual(searchStatus ?? sorted(visible));
    expect(seen.read).toEqual(sorted(visible));
    expect(seen.retrieve).toEqual(sorted(visible));
  });

  const minorScenarios: Scenario[] = [
    [
      'the legal representative does not see a document hidden from representatives',
      () => ({ kind: 'representative', ins: insM, id: REP_ID, name: 'Claire SIMON' }),
      ['m_cr'],
    ],
    [
      'a representative token that no registration names sees nothing (issue 17 rule 1)',
      () => ({ kind: 'representative', ins: insM, id: '179059205012306', name: 'Marc SIMON' }),
      [],
    ],
    [
      'a representative token without its own identifier sees nothing (issue 17 rule 1)',
      () => ({ kind: 'representative', ins: insM, name: 'Claire SIMON' }),
      [],
    ],
    [
      'the minor (holder) sees the document hidden from representatives',
      () => ({ kind: 'patient', ins: insM }),
      ['m_cr', 'm_hidden'],
    ],
    ['a care-team member sees both documents of the minor', () => TEAM, ['m_cr', 'm_hidden']],
    [
      'the representative of the minor cannot read the adult record',
      () => ({ kind: 'representative', ins: insM, id: REP_ID }),
      ['m_cr'],
    ],
  ];
  it.each(minorScenarios)('%s', async (_name, actor, visible) => {
    const seen = await sees(actor(), insM, ['m_cr', 'm_hidden']);
    expect(seen.search).toEqual(sorted(visible));
    expect(seen.read).toEqual(sorted(visible));
    expect(seen.retrieve).toEqual(sorted(visible));
  });

  it('bris de glace without a justification cannot even get a token', async () => {
    const res = await fetch(`${base}/auth/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...STRANGER, mode: 'bris_de_glace' }),
    });
    expect(res.status).toBe(400);
    expect(fx.issueCodes(await res.text())).toEqual(['AUTH_JUSTIFICATION_REQUIRED']);
  });

  it('a blocked professional declaring consent again is refused with 403 ACCESS_BLOCKED', async () => {
    const r = await consent(BLOCKED, insP, {
      system: fx.IDNAT_PS,
      value: String(BLOCKED['idNatPs']),
    });
    expect(r.status).toBe(403);
    expect(fx.issueCodes(await r.text())).toEqual(['ACCESS_BLOCKED']);
  });

  it('after the patient objects to bris de glace, emergency access is refused; accepting it again reopens it', async () => {
    const patient = patientActor();
    const obj = await call(patient, 'POST', '/fhir/Consent', {
      ...fx.consentBody(insP, 'x'),
      provision: {
        type: 'deny',
        purpose: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.248', code: 'bris_de_glace' }],
      },
    });
    expect(obj.status).toBe(201);
    const refused = await call(
      bdg(STRANGER, 'Urgence vitale'),
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${insP}`)}`,
    );
    expect(refused.status).toBe(403);
    expect(fx.issueCodes(await refused.text())).toEqual(['ACCESS_EMERGENCY_OBJECTED']);
    expect((await sees(bdg(STRANGER, 'Urgence vitale'), insP, ALL)).read).toEqual([]);
    // centre 15 is a separate mode: still open
    expect((await sees(c15(REGULATOR), insP, ALL)).read).toEqual(sorted(PRO_VISIBLE));
    const accepted = await call(
      patient,
      'DELETE',
      `/fhir/Consent/${String(((await obj.json()) as Json)['id'])}`,
    );
    expect(accepted.status).toBe(204);
    expect((await sees(bdg(STRANGER, 'Urgence vitale'), insP, ALL)).read).toEqual(
      sorted(PRO_VISIBLE),
    );
  });

  it('the patient objects to the hospital care team: its members lose access; accepting it restores it', async () => {
    const patient = patientActor();
    const obj = await consent(patient, insP, { system: fx.IDNAT_STRUCT, value: HOSPITAL }, 'deny');
    expect(obj.status).toBe(201);
    expect((await sees(TEAM, insP, ALL)).search).toBe(403);
    expect((await sees(MIDWIFE_TEAM, insP, ALL)).read).toEqual([]);
    const id = String(((await obj.json()) as Json)['id']);
    expect((await call(patient, 'DELETE', `/fhir/Consent/${id}`)).status).toBe(204);
    expect((await sees(TEAM, insP, ALL)).read).toEqual(sorted(PRO_VISIBLE));
  });

  it('after the patient objects to centre 15, the regulator is refused while bris de glace stays open', async () => {
    const patient = patientActor();
    const obj = await call(patient, 'POST', '/fhir/Consent', {
      ...fx.consentBody(insP, 'x'),
      provision: {
        type: 'deny',
        purpose: [
          {
            system: 'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces',
            code: 'centre_15',
          },
        ],
      },
    });
    expect(obj.status).toBe(201);
    expect((await sees(c15(REGULATOR), insP, ALL)).search).toBe(403);
    expect((await sees(bdg(STRANGER), insP, ALL)).read).toEqual(sorted(PRO_VISIBLE));
    expect(
      (await call(patient, 'DELETE', `/fhir/Consent/${String(((await obj.json()) as Json)['id'])}`))
        .status,
    ).toBe(204);
    expect((await sees(c15(REGULATOR), insP, ALL)).read).toEqual(sorted(PRO_VISIBLE));
  });

  it('the patient unmasks a document: the consented cardiologist then sees it', async () => {
    const patient = patientActor();
    const id = docs.get('masked')?.id;
    const doc = (await (await call(AUTHOR, 'GET', `/fhir/DocumentReference/${id}`)).json()) as {
      securityLabel: { coding: { code: string }[] }[];
    };
    const index = doc.securityLabel.findIndex((l) => l.coding[0]?.code === 'MASQUE_PS');
    const res = await call(
      patient,
      'PATCH',
      `/fhir/DocumentReference/${id}`,
      [{ op: 'remove', path: `/securityLabel/${index}` }],
      'application/json-patch+json',
    );
    expect(res.status, await res.text()).toBe(200);
    expect((await sees(CARDIO, insP, ALL)).read).toEqual(sorted([...PRO_VISIBLE, 'masked']));
    const again = (await (
      await call(patient, 'GET', `/fhir/DocumentReference/${id}`)
    ).json()) as Json;
    const labels = (again['securityLabel'] as Json[]) ?? [];
    const mask = await call(
      patient,
      'PATCH',
      `/fhir/DocumentReference/${id}`,
      [
        {
          op: 'add',
          path: `/securityLabel/${labels.length}`,
          value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
        },
      ],
      'application/json-patch+json',
    );
    expect(mask.status, await mask.text()).toBe(200);
    expect((await sees(CARDIO, insP, ALL)).read).toEqual(sorted(PRO_VISIBLE));
  });

  it('the patient sees the invisible document by itself one month after deposit (controllable clock)', async () => {
    t.clock.offsetMs = 15 * 86_400_000;
    expect((await sees(patientActor(), insP, ALL)).read).not.toContain('invisible');
    t.clock.offsetMs = 32 * 86_400_000;
    expect((await sees(patientActor(), insP, ALL)).read).toEqual([
      'byMt',
      'cr',
      'delivery',
      'dispensation',
      'invisible',
      'masked',
    ]);
    t.clock.offsetMs = 0;
  });

  it('the patient removes the cardiologist’s authorization: access ends at once', async () => {
    const patient = patientActor();
    const list = (await (
      await call(
        patient,
        'GET',
        `/fhir/Consent?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${insP}`)}`,
      )
    ).json()) as {
      entry: {
        resource: {
          id: string;
          provision: { type: string; actor?: { reference: { identifier: { value: string } } }[] };
        };
      }[];
    };
    const cardioConsent = list.entry.find(
      (e) =>
        e.resource.provision.type === 'permit' &&
        e.resource.provision.actor?.[0]?.reference.identifier.value === CARDIO['idNatPs'],
    );
    expect(cardioConsent).toBeDefined();
    expect(
      (await call(patient, 'DELETE', `/fhir/Consent/${cardioConsent?.resource.id}`)).status,
    ).toBe(204);
    expect((await sees(CARDIO, insP, ALL)).search).toBe(403);
  });

  it('a closed record gives no professional access, even in emergency; reopening restores it', async () => {
    const patient = patientActor();
    const idP = (
      (await (
        await call(patient, 'GET', `/fhir/Patient?identifier=${fx.TEST_SYSTEM}|${insP}`)
      ).json()) as { entry: { resource: { id: string } }[] }
    ).entry[0]?.resource.id;
    expect(
      (
        await call(patient, 'POST', `/fhir/Patient/${idP}/$close`, {
          resourceType: 'Parameters',
          parameter: [],
        })
      ).status,
    ).toBe(200);
    for (const actor of [AUTHOR, MT, TEAM, bdg(STRANGER), c15(REGULATOR)]) {
      const seen = await sees(actor, insP, ALL);
      expect(seen.read).toEqual([]);
      expect(seen.retrieve).toEqual([]);
    }
    const deposit = await call(
      AUTHOR,
      'POST',
      '/fhir/DocumentReference',
      fx.iti105(
        fx.pdfDocumentReference(insP, fx.n1Bytes(insP), {
          idNatPs: String(AUTHOR['idNatPs']),
          structure: HOSPITAL,
        }),
        fx.n1Bytes(insP),
      ),
    );
    expect(deposit.status).toBeGreaterThanOrEqual(400);
    expect((await call(patient, 'POST', `/fhir/Patient/${idP}/$reopen`)).status).toBe(200);
    expect((await sees(MT, insP, ALL)).read).toEqual([
      'byMt',
      'cr',
      'delivery',
      'dispensation',
      'invisible',
      'masked',
    ]);
  });

  it('every denial above was traced with its reason on the record', async () => {
    const rows = await t.db.owner<{ reason_code: string }[]>`
      SELECT DISTINCT reason_code FROM audit_event WHERE outcome = 'denied' AND reason_code IS NOT NULL`;
    const reasons = rows.map((r) => r.reason_code);
    for (const code of [
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_BLOCKED',
      'ACCESS_EMERGENCY_OBJECTED',
      'ACCESS_CENTRE15_NOT_REGULATOR',
      'ACCESS_RECORD_CLOSED',
      'ACCESS_OPERATOR_NO_CLINICAL',
      'ACCESS_MASKED',
      'ACCESS_MATRIX_DENIED',
    ]) {
      expect(reasons).toContain(code);
    }
  });
});
