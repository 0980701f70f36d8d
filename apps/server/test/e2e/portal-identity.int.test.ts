/**
 * End-to-end test of identity vigilance in the professional portal (issue 17 rule 8) in Debian's Chromium, against
 * the real server with the demo data: beside the INS, the record, deposit and document pages show the record's
 * identity traits (birth name, used name, first names, sex, birth date) once the record is open to the
 * professional; before that, the record page says existence and standing only and no trait reaches the page.
 * Checked with axe-core (no serious or critical WCAG 2.1 A/AA violation, at 1280 px and 375 px) and photographed
 * into docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  launchChromium,
  checkScreen as checkScreenInto,
  type AxeViolation,
} from './browser.ts';
import { startPortalServer, type PortalServer } from './server.ts';

/** Demo patient: born BERNARD, uses LEFEBVRE (src/demo/directory.ts). */
const MARIE = { ins: '262076912310249' };
const PRO = { name: 'Anne CARDIO' };
const TIMEOUT = { timeout: 20_000 };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const pageProblems: string[] = [];

const checkScreen = (page: Page, name: string): Promise<void> =>
  checkScreenInto(violations, page, name);

/** The identity card's terms and definitions, as shown. */
async function identityShown(page: Page): Promise<Record<string, string>> {
  const card = page.getByRole('region', { name: 'Identité du patient' });
  await card.waitFor(TIMEOUT);
  const terms = await card.locator('dt').allTextContents();
  const values = await card.locator('dd').allTextContents();
  return Object.fromEntries(terms.map((t, i) => [t, (values[i] ?? '').trim()]));
}

const TRAITS = {
  INS: `${MARIE.ins} (INS-NIR de test)`,
  'Nom de naissance': 'BERNARD',
  'Nom d’usage': 'LEFEBVRE',
  'Prénom(s)': 'Marie',
  Sexe: 'Féminin',
  'Date de naissance': '22/07/1962',
};

beforeAll(async () => {
  server = await startPortalServer();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('professional portal: identity vigilance', () => {
  it('shows the identity traits beside the INS on the record, deposit and document pages once the record is open to the professional', async () => {
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
    await page.goto(`${server.baseUrl}/pro/`);
    await page
      .getByRole('button', { name: new RegExp(PRO.name) })
      .first()
      .click();
    await page.getByLabel('INS du patient').fill(MARIE.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('heading', { name: `Dossier du patient ${MARIE.ins}` }).waitFor();
    await page.getByText('Non autorisé').waitFor();

    // Not authorized: existence and standing only — the INS, and no trait in the page.
    expect(await identityShown(page)).toEqual({ INS: TRAITS.INS });
    await page
      .getByText('Les traits d’identité ne sont communiqués qu’aux professionnels autorisés')
      .waitFor();
    const before = (await page.locator('main').textContent()) ?? '';
    expect(before).not.toMatch(/BERNARD|LEFEBVRE|22\/07\/1962/);

    await page.getByRole('button', { name: 'Déclarer le consentement du patient' }).click();
    const dialog = page.getByRole('dialog', { name: 'Déclarer le consentement du patient' });
    await dialog.getByLabel('Le patient m’a donné son accord.').check();
    await dialog.getByRole('button', { name: 'Déclarer le consentement' }).click();
    await page.getByText('Le consentement du patient est enregistré').waitFor();
    await expect.poll(() => identityShown(page), TIMEOUT).toEqual(TRAITS);
    await page.getByText('Vérifiez que ces traits sont ceux de l’identité qualifiée').waitFor();
    await page.locator('.doc-item').first().waitFor();
    await checkScreen(page, 'pro-record-identity');

    await page.getByRole('link', { name: 'Déposer un document' }).click();
    await page.getByRole('heading', { name: 'Déposer un document' }).waitFor();
    expect(await identityShown(page)).toEqual(TRAITS);

    await page.getByRole('link', { name: '← Dossier du patient' }).click();
    await page.locator('.doc-item a').first().click();
    await page.getByRole('heading', { name: 'Informations' }).waitFor();
    expect(await identityShown(page)).toEqual(TRAITS);
    await checkScreen(page, 'pro-document-identity');

    await context.close();
    expect(violations).toEqual({});
    expect(pageProblems).toEqual([]);
  });
});
