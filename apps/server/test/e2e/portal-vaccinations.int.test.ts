/**
 * Issue 21 point 5: the vaccination record (carnet de vaccination). The API first: a professional authorized on the
 * record (here the médecin traitant) records a vaccination they gave — an Immunization the server makes theirs
 * (performer, primarySource, author tag), traced; a professional without authorization and one in an emergency mode
 * are refused, each refusal traced (the matrix case is table-tested in policy.vaccination.test.ts); the patient may
 * delete that entry but not rewrite it. Then both portals in Debian's Chromium: the médecin traitant records a
 * vaccination from the record page and sees it in the carnet; the patient's _Vaccinations_ page lists the profile
 * entries (theirs and the professional's) and the vaccination documents (VAC, VAC-NOTE) in one dated list, newest
 * first. axe-core on each screen at 1280 and 375 px; screenshots in docs/screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadDemoProfiles } from '../../src/demo/profiles.ts';
import { checkScreen, launchChromium, nav, openAs, type AxeViolation } from './browser.ts';
import { depositDemoCda, startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const JEAN_SUBJECT = { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.10', value: JEAN.ins } };
const GP = {
  kind: 'professional',
  idNatPs: '810001000008',
  profession: '10',
  structure: '1750600009',
  mode: 'normal',
};
const KINE = { kind: 'professional', idNatPs: '810001000081', profession: '70', mode: 'normal' };
const EMERGENCY = {
  kind: 'professional',
  idNatPs: '810001000024',
  profession: '10',
  mode: 'bris_de_glace',
  reason: 'Patient inconscient aux urgences',
  ins: JEAN.ins,
};

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const problems: string[] = [];

async function bearer(body: Record<string, unknown>): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
  expect(res.statusCode).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}

async function call(
  who: Record<string, unknown>,
  method: 'POST' | 'PUT' | 'DELETE' | 'GET',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await server.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${await bearer(who)}`,
      ...(payload !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
    },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
  return {
    status: res.statusCode,
    body: res.body === '' ? {} : res.json<Record<string, unknown>>(),
  };
}

const vaccination = (vaccine: string, date: string): Record<string, unknown> => ({
  resourceType: 'Immunization',
  status: 'completed',
  patient: JEAN_SUBJECT,
  vaccineCode: { text: vaccine },
  occurrenceDateTime: date,
  lotNumber: 'K9876',
});

async function traces(action: string, outcome: string, actor: string): Promise<number> {
  const [row] = await server.deps.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM audit_event
    WHERE action = ${action} AND outcome = ${outcome} AND actor_id = ${actor}`;
  return row?.n ?? 0;
}

beforeAll(async () => {
  server = await startPortalServer();
  await loadDemoProfiles(server.deps);
  // A vaccination history (VAC) beside the demo's vaccination note.
  await depositDemoCda(server.deps, JEAN.ins, 'VAC_2023.01.xml', '501');
  await depositDemoCda(server.deps, JEAN.ins, 'VAC-NOTE_2023.01.xml', '502');
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a professional records a vaccination they gave (API)', () => {
  let entryId = '';

  it('the médecin traitant records it: the server makes it theirs, and traces it', async () => {
    const before = await traces('profile.create', 'success', GP.idNatPs);
    const res = await call(
      GP,
      'POST',
      '/fhir/Immunization',
      vaccination('Vaccin grippe 2026', '2026-11-03'),
    );
    expect(res.status).toBe(201);
    entryId = String(res.body['id']);
    expect(res.body['primarySource']).toBe(true);
    expect(res.body['performer']).toEqual([
      expect.objectContaining({
        actor: {
          identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: GP.idNatPs },
          display: 'Dr Paul GENERALISTE',
        },
      }),
    ]);
    const tags = (res.body['meta'] as { tag: { system: string; code: string }[] }).tag;
    expect(tags).toContainEqual({
      system: 'https://opendmp.fr/fhir/CodeSystem/profile-author',
      code: 'professional',
    });
    expect(await traces('profile.create', 'success', GP.idNatPs)).toBe(before + 1);
    const [row] = await server.deps.sql<{ author_kind: string; author_id: string }[]>`
      SELECT author_kind, author_id FROM profile_entry WHERE id = ${entryId}`;
    expect(row).toEqual({ author_kind: 'professional', author_id: GP.idNatPs });
  });

  it('refuses a professional without authorization and one in an emergency mode (each refusal traced), and any other profile write by a professional', async () => {
    const kine = await call(
      KINE,
      'POST',
      '/fhir/Immunization',
      vaccination('Vaccin X', '2026-11-04'),
    );
    expect(kine.status).toBe(403);
    expect(await traces('profile.create', 'denied', KINE.idNatPs)).toBe(1);
    const urgent = await call(
      EMERGENCY,
      'POST',
      '/fhir/Immunization',
      vaccination('Vaccin Y', '2026-11-04'),
    );
    expect(urgent.status).toBe(403);
    expect(await traces('profile.create', 'denied', EMERGENCY.idNatPs)).toBe(1);
    // A professional writes nothing else of the profile (an allergy, for instance).
    const allergy = await call(GP, 'POST', '/fhir/AllergyIntolerance', {
      resourceType: 'AllergyIntolerance',
      patient: JEAN_SUBJECT,
      code: { text: 'Latex' },
    });
    expect(allergy.status).toBe(403);
    const [count] = await server.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM profile_entry WHERE resource->'vaccineCode'->>'text' IN ('Vaccin X', 'Vaccin Y')`;
    expect(count?.n).toBe(0);
  });

  it('lets the patient delete it but not rewrite it', async () => {
    const patient = { kind: 'patient', ins: JEAN.ins };
    const read = await call(patient, 'GET', `/fhir/Immunization/${entryId}`);
    expect(read.status).toBe(200);
    const put = await call(patient, 'PUT', `/fhir/Immunization/${entryId}`, {
      ...read.body,
      lotNumber: 'CHANGED',
    });
    expect(put.status).toBe(422);
    expect(JSON.stringify(put.body)).toContain('PROFILE_PROFESSIONAL_ENTRY');
    expect(JSON.stringify(put.body)).toContain('ne se modifie pas');
    const del = await call(patient, 'DELETE', `/fhir/Immunization/${entryId}`);
    expect(del.status).toBe(204);
  });
});

describe('the vaccination record in the portals (issue 21 point 5)', () => {
  it('the médecin traitant records a vaccination from the record page and sees it in the carnet', async () => {
    const {
      context,
      page,
      problems: seen,
    } = await openAs(browser, server.baseUrl, 'pro', 'Paul GENERALISTE');
    await page.getByLabel('INS du patient').fill(JEAN.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('heading', { name: `Dossier du patient ${JEAN.ins}` }).waitFor();
    const carnet = page.getByRole('region', { name: 'Carnet de vaccination' });
    await carnet.getByRole('cell', { name: 'Vaccin grippe saisonnière' }).waitFor();
    await carnet
      .getByRole('link', { name: /Document : / })
      .first()
      .waitFor();
    // An empty vaccine is refused on the page; then the vaccination is recorded.
    await carnet.getByLabel(/^Vaccin/).fill('');
    await carnet.getByRole('button', { name: 'Enregistrer la vaccination' }).click();
    await carnet.getByText('Indiquez le vaccin.').waitFor();
    await carnet.getByLabel(/^Vaccin/).fill('Vaccin contre le zona (Shingrix)');
    await carnet.getByLabel(/^Date de la vaccination/).fill('2026-11-20');
    await carnet.getByLabel(/^Numéro de lot/).fill('ZX42');
    await carnet.getByRole('button', { name: 'Enregistrer la vaccination' }).click();
    await carnet
      .getByText(
        'Vaccination enregistrée : « Vaccin contre le zona (Shingrix) », le 20 novembre 2026.',
      )
      .waitFor();
    const row = carnet.getByRole('row').filter({ hasText: 'Shingrix' });
    await row.getByText('Dr Paul GENERALISTE, qui a fait la vaccination').waitFor();
    await row.getByText('20 novembre 2026').waitFor();
    // The same vaccine on the same day is a duplicate, announced before anything is sent.
    await carnet.getByLabel(/^Vaccin/).fill('vaccin contre le ZONA (Shingrix)');
    await carnet.getByLabel(/^Date de la vaccination/).fill('2026-11-20');
    await carnet.getByRole('button', { name: 'Enregistrer la vaccination' }).click();
    await carnet.getByText(/figure déjà dans le carnet à cette date/).waitFor();
    await carnet.getByRole('button', { name: 'Enregistrer quand même' }).waitFor();
    await carnet.scrollIntoViewIfNeeded();
    await checkScreen(violations, page, 'pro-vaccinations');
    await context.close();
    problems.push(...seen);
  });

  it('the patient sees every vaccination in one dated list, newest first, documents included', async () => {
    const {
      context,
      page,
      problems: seen,
    } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
    await nav(page, 'Vaccinations');
    await page.getByRole('heading', { level: 1, name: 'Carnet de vaccination' }).waitFor();
    const table = page.getByRole('table');
    await table.getByText('Dr Paul GENERALISTE, qui a fait la vaccination').waitFor();
    const dates = await table.locator('tbody tr td:first-child').allTextContents();
    const vaccines = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    // The professional's entry (20 November 2026), the patient's own entries, the two documents.
    expect(vaccines[0]).toContain('Vaccin contre le zona (Shingrix)');
    expect(vaccines.some((v) => v.includes('Vaccin grippe saisonnière'))).toBe(true);
    expect(vaccines.some((v) => v.includes('Rappel diphtérie-tétanos-poliomyélite'))).toBe(true);
    expect(vaccines.filter((v) => v.startsWith('Document : ')).length).toBeGreaterThanOrEqual(2);
    expect(dates[0]).toBe('20 novembre 2026');
    const months = [
      'janvier',
      'février',
      'mars',
      'avril',
      'mai',
      'juin',
      'juillet',
      'août',
      'septembre',
      'octobre',
      'novembre',
      'décembre',
    ];
    const iso = dates.map((d) => {
      const m = /^(\d{1,2})(?:er)? (\S+) (\d{4})$/.exec(d);
      return m
        ? `${m[3]}-${String(months.indexOf(m[2] ?? '') + 1).padStart(2, '0')}-${m[1]?.padStart(2, '0')}`
        : d;
    });
    expect(iso).toEqual([...iso].sort().reverse());
    await table.getByText('Noté par vous').first().waitFor();
    await checkScreen(violations, page, 'patient-vaccinations');
    // A document line opens the document.
    await table
      .getByRole('link', { name: /Document : / })
      .first()
      .click();
    await page
      .getByRole('heading', { level: 1 })
      .filter({ hasText: /vaccin/i })
      .waitFor();
    await context.close();
    problems.push(...seen);
  });

  it('found nothing serious with axe-core, no page error and no CSP refusal', () => {
    expect(violations).toEqual({});
    expect(problems).toEqual([]);
  });
});
