/**
 * Issue 21 point 2: notifications that say what happened.
 *  - the patient's inbox names the document (title, author, date, a link to it) and, for an emergency access, who,
 *    when, the mode and the justification; "Tout marquer comme lu" empties the unread count;
 *  - the médecin traitant's emergency notice names the patient and opens the record in the professional portal,
 *    which has an inbox.
 * The notifications are written by the server and delivered by the outbox job, as in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, DESKTOP, launchChromium, type AxeViolation } from './browser.ts';
import { depositCdaAs, startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const JEAN_ID = `urn:oid:1.2.250.1.213.1.4.10|${JEAN.ins}`;
const TITLE = 'Vaccination antitétanique du 2 décembre';
const A07 =
  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
const REASON = 'Patient inconscient aux urgences, traitement à vérifier';
const HOSPITALIER = {
  kind: 'professional',
  idNatPs: '810001000024',
  profession: '10',
  structure: '1750300000',
  mode: 'bris_de_glace',
  reason: REASON,
  ins: JEAN.ins,
};

/** A second médecin in bris de glace seconds later: each notice must carry its own justification. */
const REASON_2 = 'Arrêt cardiaque pris en charge par le SMUR, antécédents à connaître';
const REGULATEUR = {
  kind: 'professional',
  idNatPs: '810001000073',
  profession: '10',
  structure: '1750500001',
  mode: 'bris_de_glace',
  reason: REASON_2,
  ins: JEAN.ins,
};

interface InboxEntry {
  id: string;
  type: string;
  unread: boolean;
  text: string;
  document?: { id: string; title: string; author?: string; date?: string };
  emergency?: { who: string; whoDetails: string; modeLabel: string; justification?: string };
}

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
let maskedId = '';

beforeAll(async () => {
  server = await startPortalServer();
  // The cardiologist deposits a document; a hospital doctor opens the record in bris de glace.
  await depositCdaAs(
    server.deps,
    JEAN.ins,
    { idNatPs: '810001000016', structure: '1750700007' },
    TITLE,
  );
  // The patient then masks it from professionals: a visibility change gives the document a new id (entryUUID, ADR
  // 0021), while its notice names the id it was deposited under — the inbox must still name it.
  const patient = await bearer({ kind: 'patient', ins: JEAN.ins });
  const found = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}&_count=100`,
    headers: { authorization: patient },
  });
  const deposited = found
    .json<{
      entry?: { resource: { id: string; content: { attachment: { title?: string } }[] } }[];
    }>()
    .entry?.find((e) => e.resource.content[0]?.attachment.title === TITLE)?.resource.id;
  expect(deposited).toBeDefined();
  const masked = await server.app.inject({
    method: 'PATCH',
    url: `/fhir/DocumentReference/${deposited ?? ''}`,
    headers: { authorization: patient, 'content-type': 'application/json-patch+json' },
    payload: [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: A07, code: 'MASQUE_PS' }] },
      },
    ],
  });
  expect(masked.statusCode).toBe(200);
  expect(masked.json<{ id: string }>().id).not.toBe(deposited);
  const token = await server.app.inject({
    method: 'POST',
    url: '/auth/dev/token',
    payload: HOSPITALIER,
  });
  expect(token.statusCode).toBe(200);
  const res = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    headers: { authorization: `Bearer ${token.json<{ access_token: string }>().access_token}` },
  });
  expect(res.statusCode).toBe(200);
  const second = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
    headers: { authorization: await bearer(REGULATEUR) },
  });
  expect(second.statusCode).toBe(200);
  maskedId = masked.json<{ id: string }>().id;
  browser = await launchChromium();
}, 240_000);

async function bearer(claims: Record<string, unknown>): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/dev/token', payload: claims });
  expect(res.statusCode).toBe(200);
  return `Bearer ${res.json<{ access_token: string }>().access_token}`;
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function login(
  portal: 'patient' | 'pro',
  name: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${server.baseUrl}/${portal}/`);
  await page
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click();
  return { context, page };
}

async function nav(page: Page, label: string | RegExp): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: label })
    .click();
}

/** The outbox job delivers within seconds: reopen the page until `ready` holds. */
async function until(
  page: Page,
  open: () => Promise<void>,
  ready: () => Promise<boolean>,
): Promise<void> {
  await expect
    .poll(
      async () => {
        await open();
        await page
          .locator('.loading')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        return ready();
      },
      { timeout: 40_000, interval: 2000 },
    )
    .toBe(true);
}

async function inbox(cookie: string): Promise<{ status: number; entries: InboxEntry[] }> {
  const res = await server.app.inject({
    method: 'GET',
    url: '/portal-api/notifications?_count=50',
    headers: { cookie },
  });
  return { status: res.statusCode, entries: res.json<{ entries?: InboxEntry[] }>().entries ?? [] };
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

describe('GET /portal-api/notifications (issue 21 point 2, N1–N3)', () => {
  it('names the document by the id it has now, and each emergency notice by its own trace', async () => {
    const cookie = await session(`patient:${JEAN.ins}`);
    await expect
      .poll(async () => (await inbox(cookie)).entries.filter((e) => e.emergency).length, {
        timeout: 40_000,
        interval: 1000,
      })
      .toBe(2);
    const { status, entries } = await inbox(cookie);
    expect(status).toBe(200);
    const deposit = entries.find((e) => e.document?.title === TITLE);
    expect(deposit?.type).toBe('document.deposit');
    // The notice kept the id of the deposit; the link is the document's id after the mask.
    expect(deposit?.document?.id).toBe(maskedId);
    // The CDA's author, with "Dr" for a médecin and without the civility the CDA gives ("M").
    expect(deposit?.document?.author).toBe('Dr Charles MULLER (Cabinet Médical du Dr MULLER)');
    expect(deposit?.document?.date).toMatch(/^\d{4}-\d{2}-\d{2}/);
    const byWho = new Map(entries.filter((e) => e.emergency).map((e) => [e.emergency?.who, e]));
    expect(byWho.get('Dr Karim HOSPITALIER')?.emergency).toMatchObject({
      modeLabel: 'Accès en urgence (bris de glace)',
      justification: REASON,
    });
    expect(byWho.get('Dr Karim HOSPITALIER')?.emergency?.whoDetails).toMatch(
      /^Médecin, Centre hospitalier/,
    );
    expect(byWho.get('Dr Samir REGULATEUR')?.emergency?.justification).toBe(REASON_2);
    // The text stays the notification's own.
    expect(deposit?.text).toMatch(/^Un nouveau document est disponible dans votre dossier/);
  });

  it('is the holder side’s: a professional reads theirs as FHIR Communication', async () => {
    const cookie = await session('professional:810001000008', 'pro');
    expect((await inbox(cookie)).status).toBe(403);
    const csrf = await server.app.inject({
      method: 'GET',
      url: '/auth/portal/session',
      headers: { cookie },
    });
    const readAll = await server.app.inject({
      method: 'POST',
      url: '/portal-api/notifications/read-all',
      headers: {
        cookie,
        'x-csrf-token': csrf.json<{ csrfToken: string }>().csrfToken,
        'content-type': 'application/json',
      },
      payload: {},
    });
    expect(readAll.statusCode).toBe(403);
  });
});

describe('notifications that say what happened (issue 21 point 2)', () => {
  it('the patient’s inbox names the document and the emergency access, and marks everything read at once', async () => {
    const { context, page } = await login('patient', JEAN.name);
    await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();
    await until(
      page,
      async () => {
        await nav(page, 'Accueil');
        await nav(page, /^Notifications/);
        await page.getByRole('heading', { name: 'Boîte de réception' }).waitFor();
      },
      async () =>
        Promise.all([
          page.getByRole('link', { name: TITLE }).first().waitFor({ timeout: 8000 }),
          page.getByText(`Justification : « ${REASON} »`).first().waitFor({ timeout: 8000 }),
        ]).then(
          () => true,
          () => false,
        ),
    );
    const deposit = page.locator('li', { has: page.getByRole('link', { name: TITLE }) }).first();
    // Title (a link), author as the CDA names them, date of the document.
    expect(await deposit.locator('.notification-about').innerText()).toMatch(
      new RegExp(`^${TITLE} — .+, \\d{1,2}(er)? [a-zéû]+ \\d{4}$`),
    );
    const emergency = page
      .locator('li', { has: page.getByText(`Justification : « ${REASON} »`) })
      .first();
    await emergency.getByText('Dr Karim HOSPITALIER', { exact: true }).waitFor();
    await emergency
      .getByText(/Accès en urgence \(bris de glace\), le \d\d\/\d\d\/\d{4} à \d\d:\d\d/)
      .waitFor();
    await emergency.getByText('Accès en urgence à votre dossier').waitFor();
    const other = page.locator('li', { has: page.getByText(`Justification : « ${REASON_2} »`) });
    await other.getByText('Dr Samir REGULATEUR', { exact: true }).waitFor();
    await checkScreen(violations, page, 'patient-notifications-details');

    expect(await page.getByText('Non lue', { exact: true }).count()).toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await expect.poll(() => page.getByText('Non lue', { exact: true }).count()).toBe(0);
    await page
      .getByRole('button', { name: 'Tout marquer comme lu' })
      .waitFor({ state: 'detached' });
    // The server agrees: nothing unread is left.
    const token = await server.app.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: { kind: 'patient', ins: JEAN.ins },
    });
    const unread = await server.app.inject({
      method: 'GET',
      url: `/fhir/Communication?patient.identifier=${encodeURIComponent(JEAN_ID)}&status=in-progress`,
      headers: { authorization: `Bearer ${token.json<{ access_token: string }>().access_token}` },
    });
    expect(unread.json<{ total?: number; entry?: unknown[] }>().entry ?? []).toHaveLength(0);
    // In one transaction with one trace, not one PATCH and one trace per notification.
    const traces = await server.deps.sql<{ n: number; count: number }[]>`
      SELECT count(*)::int AS n, max((detail->>'count')::int) AS count FROM audit_event
      WHERE patient_id = (SELECT patient_id FROM ins_index WHERE ins = ${JEAN.ins})
        AND action = 'communication.mark-read'`;
    expect(traces[0]?.n).toBe(1);
    expect(traces[0]?.count).toBeGreaterThan(1);

    // Following the link opens the document.
    await page.getByRole('link', { name: TITLE }).first().click();
    await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
    await context.close();
  });

  it('the médecin traitant’s inbox names the patient and opens the record in the professional portal', async () => {
    const { context, page } = await login('pro', 'Paul GENERALISTE');
    await until(
      page,
      async () => {
        await nav(page, 'Rechercher un patient');
        await nav(page, /^Notifications/);
        await page.getByRole('heading', { name: 'Boîte de réception' }).waitFor();
      },
      async () => (await page.getByText(`Accès en urgence au dossier de ${JEAN.name}`).count()) > 0,
    );
    await page.getByText('Non lue', { exact: true }).first().waitFor();
    await checkScreen(violations, page, 'pro-inbox');
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await expect.poll(() => page.getByText('Non lue', { exact: true }).count()).toBe(0);
    await page
      .getByRole('link', { name: `Ouvrir le dossier de ${JEAN.name}` })
      .first()
      .click();
    await page.getByRole('heading', { name: `Dossier du patient ${JEAN.ins}` }).waitFor();
    await context.close();
  });

  it('finds no serious or critical axe-core violation', () => {
    expect(violations).toEqual({});
  });
});
