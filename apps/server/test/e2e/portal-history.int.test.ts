/**
 * Issue 21 point 1: the access history for its one purpose, "who looked at my record".
 *  - the server side (GET /portal-api/history): filters applied over the whole history, the holder's own actions
 *    out by default, each trace with its document and its actor (outside the directory: profession and structure),
 *    the access rules and traces of the AuditEvent search (a professional is refused, and the refusal traced), and
 *    one `audit.read` trace per visit of the holder (H8);
 *  - the screen in Debian's Chromium: human French labels only, one click to show one's own actions, the
 *    emergency filter, a professional's actions, at desktop and phone width with axe-core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, DESKTOP, launchChromium, type AxeViolation } from './browser.ts';
import { startPortalServer, type PortalServer } from './server.ts';
import { ACTION_LABELS } from '../../src/services/history-labels.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const JEAN_ID = `urn:oid:1.2.250.1.213.1.4.10|${JEAN.ins}`;
const GP = {
  kind: 'professional',
  idNatPs: '810001000008',
  profession: '10',
  specialty: 'SM26',
  structure: '1750600009',
  mode: 'normal',
};
const CARDIO = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  structure: '1750700007',
  mode: 'normal',
};
/** A médecin the directory does not know, acting from a structure it does not know either. */
const OUTSIDER = {
  kind: 'professional',
  idNatPs: '810009999990',
  profession: '10',
  structure: '1759999999',
  mode: 'bris_de_glace',
  reason: 'Patient inconscient amené par les pompiers',
  ins: JEAN.ins,
};

interface Entry {
  id: string;
  action: string;
  actor: {
    kind: string;
    idNatPs?: string;
    name?: string;
    profession?: string;
    structure?: { id: string; name?: string };
    outsideDirectory?: boolean;
  };
  mode?: string;
  justification?: string;
  denied: boolean;
  document?: { id: string; title?: string };
  label: string;
  modeLabel?: string;
  reasonText?: string;
  who: string;
  whoDetails: string;
}

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
let documentId = '';
let documentTitle = '';

async function token(body: Record<string, unknown>): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
  expect(res.statusCode).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}

async function asBearer(body: Record<string, unknown>, url: string): Promise<number> {
  const res = await server.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${await token(body)}` },
  });
  return res.statusCode;
}

async function session(account: string, portal = 'patient'): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/auth/portal/dev-login',
    payload: { account, portal },
  });
  expect(res.statusCode).toBe(200);
  return `opendmp_session=${res.cookies.find((c) => c.name === 'opendmp_session')?.value ?? ''}`;
}

async function history(
  cookie: string,
  params = '',
): Promise<{ status: number; entries: Entry[]; next?: string }> {
  const res = await server.app.inject({
    method: 'GET',
    url: `/portal-api/history${params}`,
    headers: { cookie },
  });
  const body = res.json<{ entries?: Entry[]; next?: string }>();
  return { status: res.statusCode, entries: body.entries ?? [], ...body };
}

beforeAll(async () => {
  server = await startPortalServer();
  // The médecin traitant opens one document; the cardiologist, not authorized, is refused; an unknown médecin
  // comes in bris de glace.
  const gp = await token(GP);
  const list = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    headers: { authorization: `Bearer ${gp}` },
  });
  const doc = list.json<{ entry: { resource: { id: string; description?: string } }[] }>().entry[0]
    ?.resource;
  documentId = doc?.id ?? '';
  expect(await asBearer(GP, `/fhir/DocumentReference/${documentId}`)).toBe(200);
  const [row] = await server.deps.sql<{ title: string }[]>`
    SELECT metadata->>'title' AS title FROM document WHERE id = ${documentId}`;
  documentTitle = row?.title ?? '';
  expect(documentTitle).not.toBe('');
  expect(
    await asBearer(
      CARDIO,
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    ),
  ).toBe(403);
  expect(
    await asBearer(
      OUTSIDER,
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    ),
  ).toBe(200);
  // Then the patient reads the list of documents 60 times: the older accesses fall beyond any first page.
  const patient = await token({ kind: 'patient', ins: JEAN.ins });
  for (let i = 0; i < 60; i++) {
    const res = await server.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}&_count=1`,
      headers: { authorization: `Bearer ${patient}` },
    });
    expect(res.statusCode).toBe(200);
  }
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('GET /portal-api/history (issue 21 point 1)', () => {
  it('leaves the holder’s own actions out by default, and shows them when asked', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    const byDefault = await history(cookie, '?_count=50');
    expect(byDefault.status).toBe(200);
    expect(byDefault.entries.length).toBeGreaterThan(0);
    expect(
      byDefault.entries.some((e) => ['patient', 'representative'].includes(e.actor.kind)),
    ).toBe(false);
    const own = await history(cookie, '?own=1&_count=20');
    expect(own.entries).toHaveLength(20);
    expect(own.entries.every((e) => e.actor.kind === 'patient')).toBe(true);
    expect(own.next).toBeDefined();
  });

  it('applies the filters over the whole history, not over a page', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    // 60 newer own traces, a page of 5: the emergency access is still found, and only it.
    const emergency = await history(cookie, '?show=emergency&own=1&_count=5');
    expect(emergency.entries.length).toBeGreaterThan(0);
    expect(emergency.entries.every((e) => e.mode === 'bris_de_glace')).toBe(true);
    expect(emergency.entries[0]?.justification).toBe(OUTSIDER.reason);
    const denied = await history(cookie, '?show=denied&own=1&_count=5');
    expect(denied.entries.length).toBeGreaterThan(0);
    expect(denied.entries.every((e) => e.denied)).toBe(true);
    expect(denied.entries.some((e) => e.actor.idNatPs === CARDIO.idNatPs)).toBe(true);
    const pros = await history(cookie, '?show=professionals&_count=200');
    expect(pros.entries.every((e) => e.actor.kind === 'professional')).toBe(true);
    const one = await history(cookie, `?professional=${GP.idNatPs}&_count=200`);
    expect(one.entries.length).toBeGreaterThan(0);
    expect(one.entries.every((e) => e.actor.idNatPs === GP.idNatPs)).toBe(true);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await history(cookie, `?own=1&date=ge${tomorrow}`)).entries).toHaveLength(0);
    expect((await history(cookie, '?show=everything')).status).toBe(400);
  });

  it('names the document opened, and a professional outside the directory by profession and structure', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    const { entries } = await history(cookie, `?professional=${GP.idNatPs}&_count=200`);
    const read = entries.find((e) => e.document?.id === documentId);
    expect(read?.document?.title).toBe(documentTitle);
    expect(read?.actor.name).toBe('Paul GENERALISTE');
    const outsider = (await history(cookie, '?show=emergency')).entries[0];
    expect(outsider?.actor).toMatchObject({
      kind: 'professional',
      idNatPs: OUTSIDER.idNatPs,
      profession: '10',
      structure: { id: OUTSIDER.structure },
      outsideDirectory: true,
    });
  });

  it('says every entry in French: the action, the mode, the refusal, who acted (L1–L4)', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    const all = (await history(cookie, '?own=1&_count=200')).entries;
    expect(all.length).toBeGreaterThan(50);
    for (const e of all) {
      expect(e.label).not.toMatch(/^[a-z-]+\./);
      expect(e.label).not.toBe('');
      expect(e.who).not.toBe('');
    }
    // Each action traced on the record by this scenario has a label of its own, not its family's.
    const actions = await server.deps.sql<{ action: string }[]>`
      SELECT DISTINCT action FROM audit_event
      WHERE patient_id = (SELECT patient_id FROM ins_index WHERE ins = ${JEAN.ins})`;
    expect(actions.length).toBeGreaterThan(3);
    expect(actions.map((a) => a.action).filter((a) => ACTION_LABELS[a] === undefined)).toEqual([]);
    const mine = all.find((e) => e.action === 'document.search' && e.actor.kind === 'patient');
    expect(mine).toMatchObject({ label: 'Consultation de la liste des documents', who: 'Vous' });
    const emergency = (await history(cookie, '?show=emergency')).entries[0];
    expect(emergency).toMatchObject({
      modeLabel: 'Accès en urgence (bris de glace)',
      who: 'Médecin hors annuaire (n° 810009999990)',
      whoDetails: 'structure n° 1759999999',
    });
    const refused = (await history(cookie, '?show=denied&_count=200')).entries.find(
      (e) => e.actor.idNatPs === CARDIO.idNatPs,
    );
    expect(refused).toMatchObject({
      label: 'Consultation de la liste des documents',
      reasonText: 'ce professionnel n’était pas autorisé',
      who: 'Dr Anne CARDIO',
      whoDetails: 'Médecin, Cabinet de cardiologie Voltaire',
    });
    const read = (await history(cookie, `?professional=${GP.idNatPs}&_count=200`)).entries.find(
      (e) => e.document?.id === documentId,
    );
    expect(read?.who).toBe('Dr Paul GENERALISTE');
  });

  it('refuses a professional, and traces the refusal', async () => {
    const cookie = await session(`professional:${GP.idNatPs}`, 'pro');
    const res = await history(cookie);
    expect(res.status).toBe(403);
    const [row] = await server.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM system_audit_event
      WHERE action = 'audit.read' AND outcome = 'denied' AND actor_id = ${GP.idNatPs}`;
    expect(row?.n).toBe(1);
  });

  it('traces the holder’s reading once per visit, not once per filter or page (H8)', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    const before = await readsByHolder();
    for (const params of ['', '?show=denied', '?own=1', '?show=emergency']) {
      expect((await history(cookie, params)).status).toBe(200);
    }
    // An earlier test of this file already read within the quarter of an hour: nothing new.
    expect(await readsByHolder()).toBe(before);
    expect(before).toBe(1);
  });
});

async function readsByHolder(): Promise<number> {
  const [row] = await server.deps.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM audit_event a
    WHERE a.patient_id = (SELECT patient_id FROM ins_index WHERE ins = ${JEAN.ins}) AND a.action = 'audit.read' AND a.actor_kind = 'patient'`;
  return row?.n ?? 0;
}

async function openHistory(page: Page): Promise<void> {
  await page.goto(`${server.baseUrl}/patient/`);
  await page
    .getByRole('button', { name: new RegExp(JEAN.name) })
    .first()
    .click();
  await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: 'Historique' })
    .click();
  await page.getByRole('heading', { name: 'Historique des accès' }).waitFor();
}

describe('the access history screen (issue 21 point 1)', () => {
  it('reads in French, hides one’s own actions until asked, and filters on the server', async () => {
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await openHistory(page);
    await page.getByText('Vos propres actions ne sont pas affichées.').waitFor();
    const list = page.getByRole('list', { name: /Événements/ });
    await list.getByRole('link', { name: documentTitle }).first().waitFor();
    await list
      .getByText(/Dr Paul GENERALISTE, Médecin, Cabinet de médecine générale des Lilas/)
      .first()
      .waitFor();
    const labels = await list.locator('li strong').allTextContents();
    expect(labels.length).toBeGreaterThan(0);
    // No raw action code (`communication.search`, `care-history.read`…) anywhere on the screen.
    expect(await page.locator('main').innerText()).not.toMatch(/\b[a-z-]+\.[a-z-]+(\.[a-z-]+)?\b/);
    const metas = await list.locator('li .doc-meta').allTextContents();
    expect(metas.some((m) => m.endsWith('— Vous'))).toBe(false);
    await checkScreen(violations, page, 'patient-history');

    // One click shows one's own actions.
    await page.getByLabel('Inclure mes propres actions').check();
    await list.getByText('Consultation de la liste des documents').first().waitFor();
    await list
      .getByText(/— Vous$/)
      .first()
      .waitFor();

    // Emergencies: the unknown médecin by profession and structure, with the justification.
    await page.getByLabel('Inclure mes propres actions').uncheck();
    await page.getByLabel('Afficher').selectOption('emergency');
    await list.getByText(`Justification : « ${OUTSIDER.reason} »`).first().waitFor();
    await list
      .getByText(/Médecin hors annuaire \(n° 810009999990\), structure n° 1759999999/)
      .first()
      .waitFor();
    expect(await list.locator('li').count()).toBeGreaterThan(0);
    await checkScreen(violations, page, 'patient-history-emergency');

    // Refusals, in words.
    await page.getByLabel('Afficher').selectOption('denied');
    await list.getByText('Refusé : ce professionnel n’était pas autorisé.').first().waitFor();
    expect(await page.locator('main').innerText()).not.toMatch(/ACCESS_|\b[a-z-]+\.[a-z-]+\b/);

    // One professional's actions, picked in the directory.
    await page.getByLabel('Afficher').selectOption('all');
    await page.getByRole('button', { name: 'Un professionnel…' }).click();
    await page
      .getByRole('searchbox', { name: 'Voir les actions d’un professionnel' })
      .fill('GENERALISTE');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('button', { name: 'Voir ses actions : Paul GENERALISTE' }).click();
    await page.getByText(/Actions de\s+Paul GENERALISTE\s+seulement/).waitFor();
    await expect
      .poll(async () => {
        const metas = await list.locator('li .doc-meta').allTextContents();
        const who = metas.filter((m) => / — /.test(m));
        return who.length > 0 && who.every((m) => m.includes('Paul GENERALISTE'));
      })
      .toBe(true);
    await context.close();
  });

  it('finds no serious or critical axe-core violation', () => {
    expect(violations).toEqual({});
  });
});
