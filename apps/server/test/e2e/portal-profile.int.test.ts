/**
 * End-to-end test of the patient portal's care history (reimbursements, FHIR ExplanationOfBenefit) and medical
 * profile screens in Debian's Chromium, against the real server with the demo data, the demo care history and
 * the demo profiles (issue 7). Both screens are checked with axe-core (no serious or critical WCAG 2.1 A/AA
 * violation, at 1280 px and 375 px) and photographed into docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import { loadDemoProfiles } from '../../src/services/profile-demo.ts';
import {
  DESKTOP,
  launchChromium,
  checkScreen as checkScreenInto,
  type AxeViolation,
} from './browser.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const JEAN = { name: 'Jean MARTIN' };
const TIMEOUT = { timeout: 20_000 };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const pageProblems: string[] = [];

const checkScreen = (page: Page, name: string): Promise<void> =>
  checkScreenInto(violations, page, name);

async function nav(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: label })
    .click();
}

beforeAll(async () => {
  server = await startPortalServer();
  await loadDemoCareHistory(server.deps);
  await loadDemoProfiles(server.deps);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('patient portal: care history and medical profile', () => {
  it('shows the reimbursements, then the profile, and lets the patient add an allergy and a weight', async () => {
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) {
        pageProblems.push(`CSP: ${m.text()}`);
      }
    });
    await page.goto(`${server.baseUrl}/patient/`);
    await page
      .getByRole('button', { name: new RegExp(JEAN.name) })
      .first()
      .click();
    await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();

    // Care history: lines newest first, amounts in euros, a kind filter, paging.
    await nav(page, 'Soins remboursés');
    await page.getByRole('heading', { level: 1, name: 'Historique des soins' }).waitFor();
    const table = page.getByRole('table', { name: /Remboursements/ });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(25);
    expect(await rows.first().locator('td').last().textContent()).toMatch(/€/);
    await checkScreen(page, 'patient-care-history');
    await page.getByRole('button', { name: 'Voir plus' }).click();
    await expect.poll(() => rows.count(), TIMEOUT).toBeGreaterThan(25);
    await page.getByLabel('Type de soins').selectOption('CIP13');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await expect
      .poll(async () => {
        const kinds = await rows.locator('td:nth-child(3)').allTextContents();
        return kinds.length > 0 && kinds.every((k) => k === 'Médicaments');
      }, TIMEOUT)
      .toBe(true);

    // Medical profile: every section, then an allergy added through the form.
    await nav(page, 'Profil médical');
    await page.getByRole('heading', { level: 1, name: 'Profil médical' }).waitFor();
    const allergies = page.getByRole('region', { name: 'Allergies et intolérances' });
    await allergies.getByText('Allergie à la pénicilline').waitFor();
    await page
      .getByRole('region', { name: 'Pathologies et antécédents' })
      .getByText('Hypertension artérielle')
      .waitFor();
    // Issue 21 point 4: French dates, a partial date at its own precision (not "2019-09").
    await page
      .getByRole('region', { name: 'Pathologies et antécédents' })
      .getByText('Depuis septembre 2019')
      .waitFor();
    await page
      .getByRole('region', { name: 'Mesures' })
      .getByText(/Poids : 84 kg/)
      .waitFor();
    await page
      .getByRole('region', { name: 'Personne de confiance' })
      .getByText('Anne MARTIN')
      .waitFor();
    // An empty allergy is refused on the page, with an announced error.
    await page.getByRole('button', { name: 'Ajouter l’allergie' }).click();
    await page.getByText('Indiquez la substance ou l’aliment en cause.').waitFor();
    await page.getByLabel(/Substance ou aliment/).fill('Allergie aux fruits à coque');
    await page.getByLabel('Gravité').selectOption('high');
    await page.getByRole('button', { name: 'Ajouter l’allergie' }).click();
    await page.getByText('L’allergie « Allergie aux fruits à coque » est ajoutée').waitFor();
    await allergies.getByText('Allergie aux fruits à coque').waitFor();
    await page.getByLabel(/Poids en kg/).fill('83,5');
    await page.getByRole('button', { name: 'Ajouter le poids' }).click();
    await page
      .getByRole('region', { name: 'Mesures' })
      .getByText(/Poids : 83,5 kg/)
      .waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await checkScreen(page, 'patient-profile');
    await context.close();

    expect(violations).toEqual({});
    expect(pageProblems).toEqual([]);
  });
});
