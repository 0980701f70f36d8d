/**
 * Issue 21 point 3: the whole record for the professional — the medical profile and the care history beside the
 * documents, the synthesis (VSM) and the latest documents first, "new since my last visit"
 * (GET /portal-api/records/last-visit, under the access policy, traced), and in an emergency mode the allergies and
 * treatments first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AdjustableClock } from '../../src/services/deps.ts';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import { loadDemoProfiles } from '../../src/demo/profiles.ts';
import { checkScreen, DESKTOP, launchChromium, type AxeViolation } from './browser.ts';
import { depositDemoCda, startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const LUC = { ins: '175111305510370' };
const JEAN_ID = `urn:oid:1.2.250.1.213.1.4.10|${JEAN.ins}`;
const GP = {
  kind: 'professional',
  idNatPs: '810001000008',
  profession: '10',
  structure: '1750600009',
  mode: 'normal',
};
const KINE = {
  kind: 'professional',
  idNatPs: '810001000081',
  profession: '70',
  mode: 'normal',
};
const THREE_HOURS = 3 * 3600 * 1000;

let server: PortalServer;
let browser: Browser;
const clock = new AdjustableClock();
const violations: Record<string, AxeViolation[]> = {};
let firstVisit = 0;

async function bearer(body: Record<string, unknown>): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
  expect(res.statusCode).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}

async function lastVisit(
  body: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const res = await server.app.inject({
    method: 'GET',
    url: `/portal-api/records/last-visit?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    headers: { authorization: `Bearer ${await bearer(body)}` },
  });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  // The server starts three hours ago: the demo data and the médecin traitant's first visit are in the past.
  clock.offsetMs = -THREE_HOURS;
  server = await startPortalServer({ clock });
  await loadDemoCareHistory(server.deps);
  await loadDemoProfiles(server.deps);
  const res = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    headers: { authorization: `Bearer ${await bearer(GP)}` },
  });
  expect(res.statusCode).toBe(200);
  firstVisit = clock.now().getTime();
  // Now: a synthesis (VSM) is deposited since.
  clock.offsetMs = 0;
  await depositDemoCda(server.deps, JEAN.ins, 'VSM_1.4_2022.01.xml', '77');
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function login(name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${server.baseUrl}/pro/`);
  await page
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click();
  return { context, page };
}

describe('GET /portal-api/records/last-visit (issue 21 point 3)', () => {
  it('answers the professional’s previous visit, not the current one', async () => {
    const answer = await lastVisit(GP);
    expect(answer.status).toBe(200);
    const at = Date.parse((answer.body as { lastVisit: string }).lastVisit);
    expect(Math.abs(at - firstVisit)).toBeLessThan(5000);
  });

  it('refuses who may not search the record, and traces the refusal', async () => {
    expect((await lastVisit(KINE)).status).toBe(403);
    expect((await lastVisit({ kind: 'patient', ins: JEAN.ins })).status).toBe(403);
    const [row] = await server.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_event
      WHERE action = 'record.last-visit' AND outcome = 'denied' AND actor_id = ${KINE.idNatPs}`;
    expect(row?.n).toBe(1);
  });
});

describe('the whole record in the professional portal (issue 21 point 3)', () => {
  it('shows the synthesis and what is new first, the profile and the care history beside the documents', async () => {
    const { context, page } = await login('Paul GENERALISTE');
    await page.getByLabel('INS du patient').fill(JEAN.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('heading', { name: `Dossier du patient ${JEAN.ins}` }).waitFor();
    const first = page.getByRole('region', { name: 'À lire d’abord' });
    await first
      .getByText(/^1 document nouveau depuis votre dernière visite, le \d\d\/\d\d\/\d{4} à/)
      .waitFor();
    const items = first.locator('.doc-item');
    await items.first().getByText('Synthèse (VSM)').waitFor();
    await items.first().getByText('Nouveau').waitFor();
    expect(await first.getByText('Nouveau', { exact: true }).count()).toBe(1);
    const side = page.getByRole('complementary', {
      name: 'Profil médical et historique des soins',
    });
    await side.getByRole('heading', { name: 'Profil médical' }).waitFor();
    await side.getByRole('heading', { name: 'Allergies et intolérances' }).waitFor();
    await side.getByRole('heading', { name: 'Historique des soins' }).waitFor();
    await expect.poll(() => side.locator('.care-summary li').count()).toBeGreaterThan(0);
    await page.getByRole('heading', { name: 'Documents du dossier' }).waitFor();
    await checkScreen(violations, page, 'pro-record-whole');
    await context.close();
  });

  it('in an emergency mode, puts the allergies and treatments first', async () => {
    const { context, page } = await login('Karim HOSPITALIER');
    await page.getByLabel('INS du patient').fill(LUC.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('link', { name: 'Accès en urgence…' }).click();
    await page.getByLabel(/Justification/).fill('Patient inconscient, allergies à vérifier');
    await page.getByLabel(/Je confirme/).check();
    await page.getByRole('button', { name: 'Accéder en urgence' }).click();
    await page.getByRole('region', { name: 'Mode d’accès en urgence' }).waitFor();
    const side = page.getByRole('complementary', {
      name: 'Profil médical et historique des soins',
    });
    await side.getByRole('heading', { name: 'Profil médical' }).waitFor();
    await page
      .locator('.loading')
      .first()
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    const sections = await side.locator('.profile-section h3').allTextContents();
    expect(sections.slice(0, 2)).toEqual(['Allergies et intolérances', 'Traitements en cours']);
    // The profile comes before the documents on the page (and on a phone, above them).
    const order = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: {
          querySelector: (s: string) => { compareDocumentPosition: (o: unknown) => number } | null;
        };
      };
      const profile = g.document.querySelector('.record-side');
      const docs = g.document.querySelector('.record-main');
      return profile && docs ? profile.compareDocumentPosition(docs) : 0;
    });
    expect(order).toBe(4); // Node.DOCUMENT_POSITION_FOLLOWING: the documents follow the profile
    await checkScreen(violations, page, 'pro-emergency-whole');
    await context.close();
  });

  it('finds no serious or critical axe-core violation', () => {
    expect(violations).toEqual({});
  });
});
