/**
 * Issue 21 point 8: French without slips.
 *  - a legal representative reads "le dossier de Hugo", never "votre dossier", and no masculine it may not be;
 *  - the patient reads "Dr" before a médecin's name, and messages about a professional agree with their sex (the
 *    directory's civilité: "Dr Anne CARDIO est bloquée : elle ne peut plus…"), a representative with her own
 *    ("représentante légale", from her NIR);
 *  - the professional's pickers carry no English ("Full Document") and the accents the reference data drops;
 *  - an OperationOutcome's `details.text` is French, its `diagnostics` the English message as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, DESKTOP, launchChromium, type AxeViolation } from './browser.ts';
import { makePdf } from './fixtures.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};

beforeAll(async () => {
  server = await startPortalServer();
  browser = await launchChromium();
}, 240_000);

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

async function nav(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: label })
    .click();
}

describe('French without slips (issue 21 point 8)', () => {
  it('a legal representative reads the minor’s record as “le dossier de Hugo”', async () => {
    const { context, page } = await login('patient', 'Claire SIMON');
    await page.getByRole('heading', { name: /Dossier de Hugo SIMON/ }).waitFor();
    // Claire SIMON's own NIR starts with 2: the words agree with her.
    await page
      .getByText(/Vous consultez le dossier de Hugo en tant que représentante légale\./)
      .waitFor();
    await page.getByRole('heading', { name: 'Vos droits sur le dossier de Hugo' }).waitFor();
    const home = await page.locator('main').innerText();
    expect(home).not.toMatch(/votre dossier|représentant légal\b|au titre de la représentation/i);
    await checkScreen(violations, page, 'patient-representative-home');
    await nav(page, 'Qui peut accéder');
    await page.getByRole('heading', { name: 'Qui peut accéder au dossier de Hugo' }).waitFor();
    await context.close();
  });

  it('the directory gives the portals a professional’s sex, looked up by IdNat_PS', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/auth/portal/dev-login',
      payload: { account: `patient:${JEAN.ins}`, portal: 'patient' },
    });
    const cookie = `opendmp_session=${res.cookies.find((c) => c.name === 'opendmp_session')?.value ?? ''}`;
    const found = await server.app.inject({
      method: 'GET',
      url: '/portal-api/professionals?id=810001000016&id=810001000081&id=810009999990',
      headers: { cookie },
    });
    expect(found.statusCode).toBe(200);
    const pros = found.json<{ professionals: { idNatPs: string; name: string; sex?: string }[] }>()
      .professionals;
    expect(pros.map((p) => [p.name, p.sex])).toEqual([
      ['Anne CARDIO', 'female'],
      ['Thomas KINE', 'male'],
    ]);
    const bad = await server.app.inject({
      method: 'GET',
      url: '/portal-api/professionals?id=81000%27%3B--',
      headers: { cookie },
    });
    expect(bad.statusCode).toBe(400);
    const session = await server.app.inject({
      method: 'GET',
      url: '/auth/portal/session',
      headers: { cookie },
    });
    expect(session.json<{ sex?: string }>().sex).toBe('male');
  });

  it('the history names a representative with the words agreed, and “Vous” for the representative who reads', async () => {
    const HUGO = '112087505611139';
    const cookieOf = async (account: string): Promise<string> => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/auth/portal/dev-login',
        payload: { account, portal: 'patient' },
      });
      expect(res.statusCode).toBe(200);
      return `opendmp_session=${res.cookies.find((c) => c.name === 'opendmp_session')?.value ?? ''}`;
    };
    type Entry = { actor: { kind: string }; who: string; whoDetails: string };
    const read = async (cookie: string): Promise<Entry[]> => {
      const res = await server.app.inject({
        method: 'GET',
        url: '/portal-api/history?own=1&_count=200',
        headers: { cookie },
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ entries: Entry[] }>().entries;
    };
    // Claire SIMON reads Hugo's history (always traced for a representative): her own lines say "Vous".
    await read(await cookieOf(`representative:${HUGO}`));
    const hers = (await read(await cookieOf(`representative:${HUGO}`))).filter(
      (e) => e.actor.kind === 'representative',
    );
    expect(hers.length).toBeGreaterThan(0);
    expect(hers.every((e) => e.who === 'Vous')).toBe(true);
    // Hugo reads them as his mother's, agreed with her sex, and her NIR is not answered.
    const hugo = await read(await cookieOf(`patient:${HUGO}`));
    const byHer = hugo.filter((e) => e.actor.kind === 'representative');
    expect(byHer.length).toBeGreaterThan(0);
    expect(byHer[0]).toMatchObject({
      who: 'Claire SIMON',
      whoDetails: 'votre représentante légale',
    });
    expect(JSON.stringify(hugo)).not.toContain('284067505600131');
  });

  it('the patient reads “Dr” before a médecin and messages that agree with the professional’s sex', async () => {
    const { context, page } = await login('patient', JEAN.name);
    await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();
    await nav(page, 'Qui peut accéder');
    await page.getByRole('heading', { name: 'Qui peut accéder à votre dossier' }).waitFor();
    await page.getByText('Dr Paul GENERALISTE').first().waitFor();
    const block = async (search: string, name: string): Promise<void> => {
      await page.getByRole('button', { name: 'Bloquer un professionnel' }).click();
      await page.getByRole('searchbox', { name: 'Bloquer un professionnel' }).fill(search);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByRole('button', { name: `Bloquer : ${name}` }).click();
    };
    await block('CARDIO', 'Anne CARDIO');
    await page
      .getByText(
        'Dr Anne CARDIO est bloquée : elle ne peut plus consulter ni alimenter votre dossier, même en urgence.',
      )
      .waitFor();
    const blocked = page.locator('li', { hasText: 'Dr Anne CARDIO' });
    await blocked.getByText(/bloquée le/).waitFor();
    await checkScreen(violations, page, 'patient-access-agreement');
    await block('KINE', 'Thomas KINE');
    await page
      .getByText(
        'Thomas KINE est bloqué : il ne peut plus consulter ni alimenter votre dossier, même en urgence.',
      )
      .waitFor();
    await page.getByRole('button', { name: 'Débloquer Anne CARDIO' }).click();
    await page.getByText(/^Dr Anne CARDIO n’est plus bloquée : elle peut de nouveau/).waitFor();
    expect(await page.locator('main').innerText()).not.toMatch(/Anne CARDIO est bloqué\b/);
    await context.close();
  });

  it('the professional’s pickers speak French, with their accents', async () => {
    const { context, page } = await login('pro', 'Paul GENERALISTE');
    await page.getByLabel('INS du patient').fill(JEAN.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('heading', { name: `Dossier du patient ${JEAN.ins}` }).waitFor();
    await page.getByRole('link', { name: 'Déposer un document' }).click();
    await page.getByRole('heading', { name: 'Déposer un document' }).waitFor();
    await page.locator('#dep-file').setInputFiles({
      name: 'note.pdf',
      mimeType: 'application/pdf',
      buffer: makePdf('Note'),
    });
    const types = await page.locator('#dep-type option').allTextContents();
    expect(types.length).toBeGreaterThan(20);
    expect(types).not.toContain('Full Document');
    expect(types).toContain("Référence d'objets d'un examen d'imagerie");
    const facilities = await page.locator('#dep-facility option').allTextContents();
    expect(facilities).toContain('Établissement public de santé');
    expect(facilities.some((f) => /^Etablissement/.test(f))).toBe(false);
    await page.locator('#dep-facility').selectOption({ label: 'Établissement public de santé' });
    await checkScreen(violations, page, 'pro-deposit-french');
    await context.close();
  });

  it('answers errors with a French details.text and the English diagnostics', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: {
        kind: 'professional',
        idNatPs: '810001000008',
        profession: '10',
        mode: 'bris_de_glace',
        ins: JEAN.ins,
      },
    });
    expect(res.statusCode).toBe(400);
    const issue = res.json<{
      issue: { details: { text: string; coding: { code: string }[] }; diagnostics: string }[];
    }>().issue[0];
    expect(issue?.details.coding[0]?.code).toBe('AUTH_JUSTIFICATION_REQUIRED');
    expect(issue?.details.text).toBe(
      'Une justification écrite d’au moins 10 caractères est obligatoire pour l’accès en urgence.',
    );
    expect(issue?.diagnostics).toMatch(/justification/i);
    expect(issue?.diagnostics).not.toBe(issue?.details.text);

    const token = await server.app.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: { kind: 'patient', ins: JEAN.ins },
    });
    const bad = await server.app.inject({
      method: 'GET',
      url: '/fhir/AuditEvent?date=yesterday',
      headers: { authorization: `Bearer ${token.json<{ access_token: string }>().access_token}` },
    });
    expect(bad.statusCode).toBe(400);
    const text = bad.json<{ issue: { details: { text: string } }[] }>().issue[0]?.details.text;
    expect(text).toBe('Une date de la recherche est mal écrite (AAAA, AAAA-MM, AAAA-MM-JJ…).');
  });

  it('finds no serious or critical axe-core violation', () => {
    expect(violations).toEqual({});
  });
});
