import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainFailure } from '../../src/domain/errors.ts';
import { setMedecinTraitant } from '../../src/services/consent.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { loadDirectory } from './notifications.fixtures.ts';
import { client, deniedTraces, HOSPITAL, MASKED, pro, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rule 3 over HTTP: the médecin traitant named on a record is a médecin known to the directory; only
 * that médecin reads without consent and sees masked documents. Before the fix any string under the RPPS OID
 * was stored (an SQL-looking one included) and any token repeating it read the record.
 */
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const MT = pro('810001000008', '10', '1750600009', { specialty: 'SM26' });
const NURSE_ID = '810001000040';
const NURSE = pro(NURSE_ID, '60', '1750800005');
const SQL_LOOKING = "8'); DROP TABLE patient_record;--";

describe('the médecin traitant is a médecin (issue 17 rule 3)', () => {
  let t: TestApp;
  let c: Client;
  const ins = fx.nir('2790351215189');
  let patientId: string;
  const patient = { kind: 'patient', ins };
  const docs = new Map<string, Json>();

  const name = (actor: Json, value: string) =>
    c.call(
      actor,
      'PATCH',
      `/fhir/Patient/${patientId}`,
      [
        {
          op: 'add',
          path: '/generalPractitioner',
          value: [{ identifier: { system: fx.IDNAT_PS, value } }],
        },
      ],
      'application/json-patch+json',
    );
  const named = async (): Promise<unknown> =>
    (await c.call(OPERATOR, 'GET', `/fhir/Patient/${patientId}`)).json()['generalPractitioner'];

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    await loadDirectory(t.db.owner);
    await t.db.owner`INSERT INTO professional (id_nat_ps, family_name, given_name, profession)
      VALUES (${NURSE_ID}, 'INFIRMIER', 'Luc', '60')`;
    patientId = await c.createRecord(ins);
    docs.set('cr', await c.deposit(AUTHOR, ins));
    docs.set('masked', await c.deposit(AUTHOR, ins, MASKED));
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['an SQL-looking string', SQL_LOOKING, 400, 'ID_IDNAT_PS_FORMAT'],
    ['an identifier with an unknown prefix', '999700366240', 400, 'ID_IDNAT_PS_PREFIX'],
    ['a structure identifier (3 + FINESS)', '3750300000', 422, 'REC_GP_NOT_MEDECIN'],
    ['a well-formed RPPS unknown to the directory', '810009999999', 422, 'REC_GP_UNKNOWN'],
    ['a nurse known to the directory', NURSE_ID, 422, 'REC_GP_NOT_MEDECIN'],
  ])(
    'refuses %s with a stable code, stores nothing and traces the refusal',
    async (_n, value, status, code) => {
      const res = await name(patient, value);
      expect(res.status, res.body).toBe(status);
      expect(fx.issueCodes(res.body)).toEqual([code]);
      // Located on the Patient for a FHIR client, by the FHIR adapter: the core names the record's field.
      expect(
        (JSON.parse(res.body) as { issue: { expression?: string[] }[] }).issue.flatMap(
          (i) => i.expression ?? [],
        ),
      ).toEqual(['Patient.generalPractitioner']);
      const refusal = await setMedecinTraitant(
        t.deps,
        { kind: 'patient', ins },
        patientId,
        value,
      ).catch((e: unknown) => e);
      expect((refusal as DomainFailure).error).toMatchObject({
        code,
        location: ['medecinTraitant'],
      });
      expect(await named()).toBeUndefined();
      expect(await deniedTraces(t, patientId)).toContain(`record.medecin-traitant:${code}`);
    },
  );

  it('before a médecin is named, neither the médecin nor the nurse reads the record', async () => {
    for (const actor of [MT, NURSE]) {
      expect(await c.sees(actor, ins, docs)).toEqual({ search: 403, read: [], retrieve: [] });
    }
  });

  it('once a médecin of the directory is named, only that médecin reads without consent, masked documents included', async () => {
    const res = await name(patient, String(MT['idNatPs']));
    expect(res.status, res.body).toBe(200);
    expect(await c.sees(MT, ins, docs)).toEqual({
      search: ['cr', 'masked'],
      read: ['cr', 'masked'],
      retrieve: ['cr', 'masked'],
    });
    // A token repeating the médecin's IdNat_PS with another profession is no médecin traitant.
    const impostor = pro(String(MT['idNatPs']), '60', '1750600009');
    expect(await c.sees(impostor, ins, docs)).toEqual({ search: 403, read: [], retrieve: [] });
  });

  it('a value stored before the check (SQL-looking) gives no standing to a token repeating it', async () => {
    await t.db.owner`UPDATE patient_record SET general_practitioner = ${SQL_LOOKING}
      WHERE patient_id = ${patientId}`;
    const repeating = pro(SQL_LOOKING, '10', '1750600009');
    expect(await c.sees(repeating, ins, docs)).toEqual({ search: 403, read: [], retrieve: [] });
  });
});
