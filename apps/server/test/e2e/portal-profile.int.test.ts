/**
 * End-to-end test of the patient portal's care history (reimbursements, FHIR ExplanationOfBenefit) and medical
 * profile screens in Debian's Chromium, against the real server with the demo data, the demo care history and
 * the demo profiles (issue 7; issue 21 point 4: add, edit and delete in every section, duplicates warned, the
 * DOCPAT08 export). Every screen is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation, at
 * 1280 px and 375 px) and photographed into docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import { loadDemoProfiles } from '../../src/demo/profiles.ts';
import {
  checkScreen as checkScreenInto,
  launchChromium,
  nav,
  openAs,
  type AxeViolation,
} from './browser.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const JEAN = { name: 'Jean MARTIN', ins: '158037505610143' };
const TIMEOUT = { timeout: 20_000 };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const pageProblems: string[] = [];

const checkScreen = (page: Page, name: string): Promise<void> =>
  checkScreenInto(violations, page, name);

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
  it('shows the reimbursements, then every profile section', async () => {
    const { context, page, problems } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
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
    await page.evaluate('window.scrollTo(0, 0)');
    await checkScreen(page, 'patient-profile');
    await context.close();

    pageProblems.push(...problems);
  });

  it('adds, edits and deletes an entry in every section, warns of a duplicate and exports the profile (issue 21 point 4)', async () => {
    const { context, page, problems } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
    await nav(page, 'Profil médical');
    await page.getByRole('heading', { level: 1, name: 'Profil médical' }).waitFor();
    const region = (name: string): Locator => page.getByRole('region', { name });
    const field = (scope: Locator, label: string): Locator =>
      scope.getByLabel(new RegExp(`^${label}`));
    const flash = (text: string): Promise<void> =>
      page.getByRole('status').filter({ hasText: text }).first().waitFor();

    // Pathologies: an empty form is refused on the page; added; edited in place; deleted after a confirmation.
    const pathologies = region('Pathologies et antécédents');
    await pathologies.getByRole('button', { name: 'Ajouter une pathologie' }).click();
    await pathologies.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await pathologies.getByText('Indiquez la pathologie ou l’antécédent.').waitFor();
    await field(pathologies, 'Pathologie ou antécédent').fill('Asthme');
    await field(pathologies, 'Depuis le').fill('2020-03-01');
    await pathologies.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await flash('Ajout enregistré : « Asthme ».');
    await pathologies.getByText('Depuis le 1er mars 2020').waitFor();
    await pathologies.getByRole('button', { name: 'Modifier « Asthme »' }).click();
    await field(pathologies, 'Pathologie ou antécédent').fill('Asthme allergique');
    await pathologies.getByRole('button', { name: 'Enregistrer' }).click();
    await flash('Modification enregistrée : « Asthme allergique ».');
    await pathologies.getByText('Asthme allergique').waitFor();
    // Editing keeps what the form does not show: the partial date of the demo diabetes stays "septembre 2019".
    await pathologies.getByRole('button', { name: 'Modifier « Diabète de type 2 »' }).click();
    await field(pathologies, 'Pathologie ou antécédent').fill(
      'Diabète de type 2 non insulinodépendant',
    );
    await pathologies.getByRole('button', { name: 'Enregistrer' }).click();
    await pathologies.getByText('Diabète de type 2 non insulinodépendant').waitFor();
    await pathologies.getByText('Depuis septembre 2019').waitFor();
    await pathologies.getByRole('button', { name: 'Supprimer « Asthme allergique »' }).click();
    const dialog = page.getByRole('dialog', { name: 'Supprimer « Asthme allergique » ?' });
    await checkScreen(page, 'patient-profile-delete');
    await dialog.getByRole('button', { name: 'Supprimer' }).click();
    await flash('Suppression enregistrée : « Asthme allergique ».');
    await expect.poll(() => pathologies.getByText('Asthme allergique').count(), TIMEOUT).toBe(0);

    // Allergies: the same substance written differently is a duplicate, announced before anything is sent.
    const allergies = region('Allergies et intolérances');
    await allergies.getByRole('button', { name: 'Ajouter une allergie' }).click();
    await field(allergies, 'Substance ou aliment').fill('allergie a la  PENICILLINE');
    await allergies.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await allergies
      .getByText('« Allergie à la pénicilline » figure déjà dans vos allergies.')
      .waitFor();
    await allergies.getByRole('button', { name: 'Ajouter quand même' }).waitFor();
    await allergies.getByText('Doublon possible').scrollIntoViewIfNeeded();
    await checkScreen(page, 'patient-profile-duplicate');
    await allergies.getByRole('button', { name: 'Annuler' }).click();
    await allergies.getByRole('button', { name: 'Ajouter une allergie' }).click();
    await field(allergies, 'Substance ou aliment').fill('Allergie aux fruits à coque');
    await field(allergies, 'Gravité').selectOption('high');
    await allergies.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await flash('Ajout enregistré : « Allergie aux fruits à coque ».');
    await allergies
      .getByRole('button', { name: 'Modifier « Allergie aux fruits à coque »' })
      .click();
    await field(allergies, 'Gravité').selectOption('low');
    await allergies.getByRole('button', { name: 'Enregistrer' }).click();
    await flash('Modification enregistrée : « Allergie aux fruits à coque ».');
    await allergies
      .getByRole('listitem')
      .filter({ hasText: 'Allergie aux fruits à coque' })
      .getByText('Réaction peu grave')
      .waitFor();
    await allergies
      .getByRole('button', { name: 'Supprimer « Allergie aux fruits à coque »' })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Supprimer' }).click();
    await flash('Suppression enregistrée : « Allergie aux fruits à coque ».');

    // Treatments.
    const treatments = region('Traitements en cours');
    await treatments.getByRole('button', { name: 'Ajouter un traitement' }).click();
    await field(treatments, 'Médicament').fill('Paracétamol 1 g');
    await field(treatments, 'Posologie').fill('si douleur');
    await field(treatments, 'Depuis le').fill('2026-10-01');
    await treatments.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await treatments.getByText('si douleur, depuis le 1er octobre 2026').waitFor();
    await treatments.getByRole('button', { name: 'Modifier « Paracétamol 1 g »' }).click();
    await field(treatments, 'Posologie').fill('3 fois par jour au plus');
    await treatments.getByRole('button', { name: 'Enregistrer' }).click();
    await treatments.getByText('3 fois par jour au plus, depuis le 1er octobre 2026').waitFor();
    await treatments.getByRole('button', { name: 'Supprimer « Paracétamol 1 g »' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Supprimer' }).click();
    await expect.poll(() => treatments.getByText('Paracétamol 1 g').count(), TIMEOUT).toBe(0);

    // Vaccinations: the same vaccine on the same day is a duplicate; a date is required.
    const vaccinations = region('Vaccinations');
    await vaccinations.getByRole('button', { name: 'Ajouter une vaccination' }).click();
    await field(vaccinations, 'Vaccin').fill('Vaccin grippe saisonnière');
    await vaccinations.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await vaccinations.getByText('Indiquez la date.').waitFor();
    await field(vaccinations, 'Date de la vaccination').fill('2025-10-15');
    await vaccinations.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await vaccinations.getByText(/figure déjà dans vos vaccinations à cette date/).waitFor();
    await field(vaccinations, 'Date de la vaccination').fill('2026-10-20');
    await field(vaccinations, 'Numéro de lot').fill('AB123');
    await vaccinations.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await vaccinations.getByText('Le 20 octobre 2026, lot AB123').waitFor();
    const newFlu = vaccinations.getByRole('listitem').filter({ hasText: 'lot AB123' });
    await newFlu.getByRole('button', { name: /^Modifier/ }).click();
    await field(vaccinations, 'Numéro de lot').fill('AB124');
    await vaccinations.getByRole('button', { name: 'Enregistrer' }).click();
    await vaccinations.getByText('Le 20 octobre 2026, lot AB124').waitFor();
    await vaccinations
      .getByRole('listitem')
      .filter({ hasText: 'lot AB124' })
      .getByRole('button', { name: /^Supprimer/ })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Supprimer' }).click();
    await expect.poll(() => vaccinations.getByText('lot AB124').count(), TIMEOUT).toBe(0);

    // Measures: a blood pressure (two values), then the weight edited.
    const measures = region('Mesures');
    await measures.getByRole('button', { name: 'Ajouter une mesure' }).click();
    await field(measures, 'Mesure').selectOption('85354-9');
    await field(measures, 'Pression systolique').fill('125');
    await field(measures, 'Pression diastolique').fill('80');
    await field(measures, 'Date de la mesure').fill('2026-10-02');
    await measures.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await measures.getByText('Pression artérielle : 125/80 mmHg').waitFor();
    await measures.getByRole('button', { name: 'Modifier « Poids : 84 kg »' }).click();
    await field(measures, 'Valeur').fill('83,5');
    await measures.getByRole('button', { name: 'Enregistrer' }).click();
    await measures.getByText('Poids : 83,5 kg').waitFor();
    await measures
      .getByRole('button', { name: 'Supprimer « Pression artérielle : 125/80 mmHg »' })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Supprimer' }).click();
    await expect.poll(() => measures.getByText('125/80').count(), TIMEOUT).toBe(0);

    // Advance directives: written, edited, deleted.
    const directives = region('Directives anticipées');
    await directives.getByRole('button', { name: 'Ajouter des directives anticipées' }).click();
    await field(directives, 'Vos directives anticipées').fill('Confiées à mon épouse.');
    await directives.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await directives.getByText('Confiées à mon épouse.').waitFor();
    await directives.getByRole('button', { name: 'Modifier « Confiées à mon épouse. »' }).click();
    await field(directives, 'Vos directives anticipées').fill(
      'Confiées à mon épouse et à mon médecin.',
    );
    await directives.getByRole('button', { name: 'Enregistrer' }).click();
    await directives.getByText('Confiées à mon épouse et à mon médecin.').waitFor();

    // Trusted person: a second one is warned (there is one); the existing one edited; then deleted.
    const trusted = region('Personne de confiance');
    await trusted.getByRole('button', { name: 'Ajouter une personne de confiance' }).click();
    await field(trusted, 'Prénom').fill('Paul');
    await field(trusted, 'Nom').fill('Martin');
    await field(trusted, 'Lien avec vous').fill('Frère');
    await trusted.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await trusted
      .getByText(/Vous avez déjà désigné Anne MARTIN comme personne de confiance/)
      .waitFor();
    await trusted.getByRole('button', { name: 'Annuler' }).click();
    await trusted.getByRole('button', { name: 'Modifier « Anne MARTIN »' }).click();
    await field(trusted, 'Téléphone').fill('06 12 34 56 78');
    await trusted.getByRole('button', { name: 'Enregistrer' }).click();
    await trusted.getByText('Épouse — 06 12 34 56 78').waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await checkScreen(page, 'patient-profile-edit');

    // The server holds what the page shows (not only the page's state).
    const rows = await server.deps.sql<{ section: string; n: number }[]>`
      SELECT e.section, count(*)::int AS n FROM profile_entry e JOIN patient_record r USING (patient_id)
      WHERE r.ins = ${JEAN.ins} AND NOT e.deleted GROUP BY e.section ORDER BY e.section`;
    expect(Object.fromEntries(rows.map((r) => [r.section, r.n]))).toEqual({
      allergies: 1,
      directives: 1,
      mesures: 3,
      pathologies: 2,
      'personne-confiance': 1,
      traitements: 2,
      vaccinations: 2,
    });

    // The "profil médical" export (DOCPAT08): deposited, then opened from the link.
    await page.getByRole('button', { name: 'Exporter le profil médical' }).click();
    await page.getByText(/Le profil médical est exporté \(12 informations\)/).waitFor();
    await page.getByRole('region', { name: 'Exporter le profil médical' }).scrollIntoViewIfNeeded();
    await checkScreen(page, 'patient-profile-export');
    await page.getByRole('link', { name: 'Voir le document « Profil médical »' }).click();
    await page.getByRole('heading', { level: 1, name: /Profil médical/ }).waitFor();
    await page.getByText('Amlodipine 5 mg').first().waitFor();
    await context.close();
    pageProblems.push(...problems);
  });

  it('found nothing serious with axe-core, no page error and no CSP refusal', () => {
    expect(violations).toEqual({});
    expect(pageProblems).toEqual([]);
  });
});
