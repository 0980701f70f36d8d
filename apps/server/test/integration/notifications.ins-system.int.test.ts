/**
 * Issue 17 rule 11: a notification states the record's own INS system. Before, the médecin traitant's inbox (which
 * spans records) named every patient under INS-NIR (1.2.250.1.213.1.4.8), an NIA record included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultJobs, runJobNow } from '../../src/jobs/scheduler.ts';
import type { Job } from '../../src/jobs/scheduler.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import {
  auth,
  DR_CARDIO_EMERGENCY,
  DR_GENERALISTE,
  loadDirectory,
  patientBody,
  setMedecinTraitant,
  TEST_OID,
} from './notifications.fixtures.ts';

const NIA_OID = 'urn:oid:1.2.250.1.213.1.4.9';

interface Communication {
  id: string;
  subject: { reference: string; identifier?: { system?: string; value: string } };
  recipient: { identifier: { system?: string; value: string } }[];
}

describe('notifications state the record’s own INS system (issue 17 rule 11)', () => {
  let t: TestApp;
  let jobs: Job[];
  const records = new Map<string, { system: string; ins: string }>();

  const create = async (system: string, ins: string, birthDate: string): Promise<string> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(await t.token(OPERATOR)), 'content-type': 'application/fhir+json' },
      payload: { ...patientBody(ins, birthDate), identifier: [{ system, value: ins }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as { id: string }).id;
    records.set(id, { system, ins });
    await setMedecinTraitant(t, await t.token(OPERATOR), id, DR_GENERALISTE.idNatPs);
    // An emergency access to the record notifies its médecin traitant.
    const emergency = await t.token({ ...DR_CARDIO_EMERGENCY, ins });
    const lookup = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${system}|${ins}`)}`,
      headers: auth(emergency),
    });
    expect(lookup.statusCode, lookup.body).toBe(200);
    return id;
  };

  beforeAll(async () => {
    t = await buildTestApp();
    jobs = defaultJobs({ notifications: loadNotificationSettings({}) });
    await loadDirectory(t.db.owner);
    await create(NIA_OID, '180017512345660', '1980-01-15');
    await create(TEST_OID, '175111305510370', '1975-11-23');
    await runJobNow(t.deps, 'outbox', jobs);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the médecin traitant’s inbox names each patient under their record’s system', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/fhir/Communication',
      headers: auth(await t.token(DR_GENERALISTE)),
    });
    expect(res.statusCode, res.body).toBe(200);
    const entries = (res.json() as { entry?: { resource: Communication }[] }).entry ?? [];
    expect(entries).toHaveLength(2);
    for (const { resource } of entries) {
      const expected = records.get(resource.subject.reference.replace('Patient/', ''));
      expect(resource.subject.identifier).toEqual({
        system: expected?.system,
        value: expected?.ins,
      });
      // One notification read by id says the same.
      const one = await t.app.inject({
        method: 'GET',
        url: `/fhir/Communication/${resource.id}`,
        headers: auth(await t.token(DR_GENERALISTE)),
      });
      expect((one.json() as Communication).subject.identifier?.system).toBe(expected?.system);
    }
  });

  it('the holder of an NIA record is named under INS-NIA', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/fhir/Communication',
      headers: auth(await t.token({ kind: 'patient', ins: '180017512345660' })),
    });
    expect(res.statusCode, res.body).toBe(200);
    const entries = (res.json() as { entry?: { resource: Communication }[] }).entry ?? [];
    expect(entries.length).toBeGreaterThan(0);
    for (const { resource } of entries) {
      expect(resource.recipient[0]?.identifier.system).toBe(NIA_OID);
    }
  });
});
