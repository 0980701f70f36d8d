/**
 * Issue 17 rule 2: connexion secrète for minors (CSP L1111-5). A professional caring for a minor in secret mode
 * (`"secret": true` in the token) deposits documents invisible to the legal representatives by construction
 * (INVISIBLE_REPRESENTANTS_LEGAUX added by the server); the representatives neither find, read nor retrieve them,
 * are not notified of them, and do not see that professional's accesses in their view of the history; the minor and
 * the operator do.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, GP, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

const MINOR = '112087505611139'; // born 2012-08-15 (fx.patientBody)
const PARENT = '284067505600131';
const SECRET_GP = { ...GP, secret: true };
const CARDIO = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  mode: 'normal',
};

interface Bundle {
  entry?: { resource: Json }[];
}

describe('connexion secrète for a minor (issue 17 rule 2)', () => {
  let t: TestApp;
  let operator: string;
  let secretGp: string;
  let minor: string;
  let parent: string;
  let minorId: string;
  let secretDoc: string;
  let plainDoc: string;

  const headers = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const get = (token: string, url: string) =>
    t.app.inject({ method: 'GET', url, headers: headers(token) });
  const q = encodeURIComponent(`${fx.TEST_SYSTEM}|${MINOR}`);

  async function deposit(
    token: string,
    author: { idNatPs: string; structure: string },
    text: string,
  ): Promise<string> {
    const bytes = fx.n1Bytes(MINOR, text, author);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: headers(token),
      payload: fx.iti105(fx.pdfDocumentReference(MINOR, bytes, author), bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    return String(res.json<Json>()['id']);
  }
  const found = async (token: string): Promise<string[]> => {
    const res = await get(token, `/fhir/DocumentReference?patient.identifier=${q}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json<Bundle>().entry ?? []).map((e) => String(e.resource['id'])).sort();
  };
  const contentOf = async (token: string, id: string): Promise<string> => {
    const read = await get(token, `/fhir/DocumentReference/${id}`);
    const url = (read.json<{ content: { attachment: { url: string } }[] }>().content[0]?.attachment
      .url ?? '') as string;
    return new URL(url).pathname;
  };
  /** The professionals' IdNat_PS in `token`'s view of the minor's access history. */
  const agentsSeenBy = async (token: string): Promise<Set<string>> => {
    const res = await get(token, `/fhir/AuditEvent?patient.identifier=${q}&_count=500`);
    expect(res.statusCode, res.body).toBe(200);
    const ids = (res.json<Bundle>().entry ?? []).flatMap((e) =>
      ((e.resource['agent'] ?? []) as Json[]).map((a) =>
        String(((a['who'] as Json | undefined)?.['identifier'] as Json | undefined)?.['value']),
      ),
    );
    return new Set(ids);
  };

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    operator = await t.token(OPERATOR);
    secretGp = await t.token(SECRET_GP);
    minor = await t.token({ kind: 'patient', ins: MINOR });
    parent = await t.token({ kind: 'representative', ins: MINOR, id: PARENT, name: 'Claire' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: headers(operator),
      payload: fx.patientBody(MINOR),
    });
    expect(created.statusCode, created.body).toBe(201);
    minorId = String(created.json<Json>()['id']);
    const registered = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${minorId}/$representative`,
      headers: headers(operator),
      payload: {
        resourceType: 'RelatedPerson',
        identifier: [{ value: PARENT }],
        name: [{ text: 'Claire SIMON' }],
      },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    // The secret GP is authorized by the minor (a declared consent) and consults the record.
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: headers(secretGp),
      payload: fx.consentBody(MINOR, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBeLessThan(300);
    secretDoc = await deposit(secretGp, { idNatPs: GP.idNatPs, structure: GP.structure }, 'secret');
    plainDoc = await deposit(
      await t.token(CARDIO),
      { idNatPs: CARDIO.idNatPs, structure: CARDIO.structure },
      'plain',
    );
    expect(await found(secretGp)).toContain(secretDoc);
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores the secret deposit with INVISIBLE_REPRESENTANTS_LEGAUX although the client did not send it', async () => {
    const res = await get(minor, `/fhir/DocumentReference/${secretDoc}`);
    expect(res.statusCode).toBe(200);
    const labels = (
      res.json<{ securityLabel: { coding: { code: string }[] }[] }>().securityLabel ?? []
    ).flatMap((l) => l.coding.map((c) => c.code));
    expect(labels).toContain('INVISIBLE_REPRESENTANTS_LEGAUX');
    const plain = await get(minor, `/fhir/DocumentReference/${plainDoc}`);
    expect(plain.body).not.toContain('INVISIBLE_REPRESENTANTS_LEGAUX');
  });

  it('the minor finds, reads and retrieves both documents; the representative only the other one', async () => {
    expect(await found(minor)).toEqual([plainDoc, secretDoc].sort());
    expect(await found(parent)).toEqual([plainDoc]);
    const secretUrl = await contentOf(minor, secretDoc);
    expect((await get(minor, secretUrl)).statusCode).toBe(200);
    const read = await get(parent, `/fhir/DocumentReference/${secretDoc}`);
    const missing = await get(
      parent,
      '/fhir/DocumentReference/00000000-0000-4000-8000-000000000000',
    );
    expect(read.statusCode).toBe(404);
    expect(read.body).toBe(missing.body);
    expect((await get(parent, secretUrl)).statusCode).toBe(404);
    expect((await get(parent, await contentOf(parent, plainDoc))).statusCode).toBe(200);
  });

  it('the representative cannot lift the label', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference/${secretDoc}`,
      headers: { ...headers(parent), 'content-type': 'application/json-patch+json' },
      payload: [{ op: 'remove', path: '/securityLabel/1' }],
    });
    expect(res.statusCode).toBe(404);
    expect(await found(parent)).toEqual([plainDoc]);
  });

  it('the secret professional’s accesses are out of the representative’s history, in the minor’s and the operator’s', async () => {
    expect(await agentsSeenBy(parent)).not.toContain(GP.idNatPs);
    expect(await agentsSeenBy(parent)).toContain(CARDIO.idNatPs);
    expect(await agentsSeenBy(minor)).toContain(GP.idNatPs);
    expect(await agentsSeenBy(operator)).toContain(GP.idNatPs);
    const [marked] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event
      WHERE actor_id = ${GP.idNatPs} AND detail->>'secret' = 'true'`;
    expect(marked?.n).toBeGreaterThanOrEqual(3); // consent, deposit, search
  });

  it('the secret professional’s authorization is out of the representative’s list of authorizations and of the document audience', async () => {
    const authorized = async (token: string): Promise<string[]> => {
      const res = await get(token, `/fhir/Consent?patient.identifier=${q}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.body.includes(GP.idNatPs) ? [GP.idNatPs] : [];
    };
    expect(await authorized(minor)).toEqual([GP.idNatPs]);
    expect(await authorized(parent)).toEqual([]);
    const audience = async (token: string): Promise<string> => {
      const res = await get(token, `/portal-api/documents/${plainDoc}/audience`);
      expect(res.statusCode, res.body).toBe(200);
      return res.body;
    };
    expect(await audience(minor)).toContain(GP.idNatPs);
    expect(await audience(parent)).not.toContain(GP.idNatPs);
  });

  it('the representatives are not notified of what the secret professional did; the minor is', async () => {
    const rows = await t.db.owner<
      { recipient_kind: string; event_type: string; doc: string | null }[]
    >`
      SELECT recipient_kind, event_type, payload->>'documentId' AS doc FROM outbox
      WHERE recipient_kind IN ('patient', 'representative') ORDER BY recipient_kind, event_type`;
    const toReps = rows.filter((r) => r.recipient_kind === 'representative');
    expect(toReps.map((r) => r.doc)).not.toContain(secretDoc);
    expect(toReps.some((r) => r.event_type.startsWith('consent'))).toBe(false);
    expect(toReps.map((r) => r.doc)).toContain(plainDoc);
    expect(rows.filter((r) => r.recipient_kind === 'patient').map((r) => r.doc)).toContain(
      secretDoc,
    );
  });

  it('a secret token is an ordinary one on an adult’s record (no representative to hide from)', async () => {
    const adult = '158037505610143';
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: headers(operator),
      payload: fx.patientBody(adult),
    });
    expect(created.statusCode).toBe(201);
    const bytes = fx.n1Bytes(adult, 'adult', { idNatPs: GP.idNatPs, structure: GP.structure });
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: headers(secretGp),
      payload: fx.iti105(
        fx.pdfDocumentReference(adult, bytes, { idNatPs: GP.idNatPs, structure: GP.structure }),
        bytes,
      ),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain('INVISIBLE_REPRESENTANTS_LEGAUX');
  });
});
