/**
 * Issue 21 point 7 in Debian's Chromium: replacing a document starts from the old version's metadata; a refused CDA
 * is explained in French with its reason (the schema line, the header field); the patient's closure flow says
 * exactly what closing changes, the home page of a closed record says it is closed, and the deletion request is
 * offered (and then shown as requested). axe-core on each screen at 1280 and 375 px; screenshots in
 * docs/screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DEMO_CDA_DIR } from '../../src/demo/documents.ts';
import { checkScreen, launchChromium, nav, openAs, type AxeViolation } from './browser.ts';
import { makePdf } from './fixtures.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const MARIE = { ins: '262076912310249', name: 'Marie BERNARD' };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const problems: string[] = [];

beforeAll(async () => {
  server = await startPortalServer();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openJeanAsDoctor(): Promise<{ page: Page; close: () => Promise<void> }> {
  const {
    context,
    page,
    problems: seen,
  } = await openAs(browser, server.baseUrl, 'pro', 'Paul GENERALISTE');
  await page.getByLabel('INS du patient').fill(JEAN.ins);
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
  await page.getByRole('heading', { name: `Dossier du patient ${JEAN.ins}` }).waitFor();
  return {
    page,
    close: async () => {
      problems.push(...seen);
      await context.close();
    },
  };
}

/** The ANS vaccination note (the refusals below happen before its patient is compared with the record). */
function vacNote(): string {
  return fs.readFileSync(path.join(DEMO_CDA_DIR, 'VAC-NOTE_2023.01.xml'), 'utf8');
}

describe('replace without re-typing (issue 21 point 7)', () => {
  it('the replace form starts from the old version’s metadata', async () => {
    const { page, close } = await openJeanAsDoctor();
    await page.getByRole('link', { name: 'Déposer un document' }).click();
    await page.getByRole('heading', { name: 'Déposer un document' }).waitFor();
    await page
      .locator('#dep-file')
      .setInputFiles({ name: 'bilan.pdf', mimeType: 'application/pdf', buffer: makePdf('Bilan') });
    await page
      .getByLabel('Type de document')
      .selectOption({ label: 'CR ou fiche de consultation ou de visite' });
    await page.getByLabel('Titre').fill('Bilan annuel du diabète');
    await page.getByLabel('Date de l’acte').fill('2026-10-12');
    await page.getByLabel('Type de structure').selectOption('SA07');
    await page.getByLabel('Cadre d’exercice').selectOption({ index: 2 });
    const setting = await page.getByLabel('Cadre d’exercice').inputValue();
    const type = await page.getByLabel('Type de document').inputValue();
    await page.getByRole('button', { name: 'Déposer', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Bilan annuel du diabète' }).waitFor();

    await page.getByRole('link', { name: 'Remplacer' }).click();
    await page.getByRole('heading', { name: 'Remplacer un document' }).waitFor();
    await page.getByText('Le formulaire reprend la version précédente').waitFor();
    await page.getByText(/« Bilan annuel du diabète » du 12 octobre 2026/).waitFor();
    await page.locator('#dep-file').setInputFiles({
      name: 'bilan-v2.pdf',
      mimeType: 'application/pdf',
      buffer: makePdf('Bilan v2'),
    });
    // Every field of the old version is there: nothing to re-type.
    expect(await page.getByLabel('Titre').inputValue()).toBe('Bilan annuel du diabète');
    expect(await page.getByLabel('Type de document').inputValue()).toBe(type);
    expect(await page.getByLabel('Date de l’acte').inputValue()).toBe('2026-10-12');
    expect(await page.getByLabel('Type de structure').inputValue()).toBe('SA07');
    expect(await page.getByLabel('Cadre d’exercice').inputValue()).toBe(setting);
    await checkScreen(violations, page, 'pro-replace-prefilled');
    await page.getByLabel('Titre').fill('Bilan annuel du diabète (corrigé)');
    await page.getByRole('button', { name: 'Déposer la nouvelle version' }).click();
    await page
      .getByRole('heading', { level: 1, name: 'Bilan annuel du diabète (corrigé)' })
      .waitFor();
    await close();
  });
});

describe('CDA refusals explained in French (issue 21 point 7)', () => {
  it('names the schema line and the element, then the missing header field', async () => {
    const { page, close } = await openJeanAsDoctor();
    await page.getByRole('link', { name: 'Déposer un document' }).click();
    await page.getByRole('heading', { name: 'Déposer un document' }).waitFor();
    const broken = vacNote().replace('<title>', '<titre>oups</titre><title>');
    const line = broken.slice(0, broken.indexOf('<titre>')).split('\n').length;
    await page.locator('#dep-file').setInputFiles({
      name: 'note.xml',
      mimeType: 'text/xml',
      buffer: Buffer.from(broken, 'utf8'),
    });
    await page.getByRole('button', { name: 'Déposer', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'schéma CDA R2' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      `Le document CDA n’est pas conforme au schéma CDA R2 de l’ANS — ligne ${String(line)} : élément « titre » : il n’est pas attendu à cet endroit`,
    );
    await checkScreen(violations, page, 'pro-deposit-cda-refused');

    const noId = vacNote().replace(
      /(<ClinicalDocument[^]*?)<id root="[^"]*"( extension="[^"]*")?\s*\/>/,
      '$1<id nullFlavor="NI"/>',
    );
    await page.locator('#dep-file').setInputFiles({
      name: 'note-sans-id.xml',
      mimeType: 'text/xml',
      buffer: Buffer.from(noId, 'utf8'),
    });
    await page.getByRole('button', { name: 'Déposer', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'le champ ClinicalDocument/id n’a pas d’attribut root' })
      .waitFor();
    await close();
  });
});

describe('closing the record (issue 21 point 7)', () => {
  it('says exactly what closing changes, closes, says so at home, and offers the deletion request', async () => {
    const {
      context,
      page,
      problems: seen,
    } = await openAs(browser, server.baseUrl, 'patient', MARIE.name);
    await nav(page, 'Mon dossier');
    const close = page.getByRole('region', { name: 'Fermer le dossier' });
    await close.getByText('Ce que la fermeture change, exactement :').waitFor();
    await close.getByRole('heading', { name: 'Pour les professionnels de santé' }).waitFor();
    await close.getByRole('heading', { name: 'Pour vous' }).waitFor();
    await close.getByText(/ni votre médecin traitant, ni ceux que vous avez autorisés/).waitFor();
    await close.getByText(/conservés 10 ans après la fermeture/).waitFor();
    await page
      .getByRole('region', { name: 'Demander la suppression du dossier' })
      .getByText(/dans les 3 mois au plus/)
      .waitFor();
    await checkScreen(violations, page, 'patient-record-close');

    await close.getByRole('button', { name: 'Fermer le dossier…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Fermer le dossier ?' });
    expect(await dialog.getByRole('button', { name: 'Fermer le dossier' }).isDisabled()).toBe(true);
    await dialog.getByLabel('J’ai compris ce que la fermeture implique.').check();
    await dialog.getByRole('button', { name: 'Fermer le dossier' }).click();
    await page.getByText('Le dossier est fermé.').waitFor();

    await nav(page, 'Accueil');
    const notice = page.getByRole('status').filter({ hasText: 'Ce dossier est fermé' });
    await notice.getByText(/^Fermé le \d{1,2}(er)? \S+ \d{4} : aucun professionnel/).waitFor();
    await notice.getByText(/L’historique des accès reste ouvert/).waitFor();
    await checkScreen(violations, page, 'patient-home-closed');
    await notice
      .getByRole('link', { name: 'Rouvrir le dossier ou demander sa suppression' })
      .click();

    await page.getByRole('button', { name: 'Demander la suppression…' }).click();
    const del = page.getByRole('dialog', { name: 'Demander la suppression du dossier ?' });
    await del.getByText(/supprimé définitivement dans les 3 mois au plus/).waitFor();
    await del.getByLabel('J’ai compris que la suppression est définitive.').check();
    await del.getByRole('button', { name: 'Demander la suppression' }).click();
    await page.getByText('La suppression du dossier est demandée.').waitFor();
    await page
      .getByText(/La suppression a été demandée le .* Le rouvrir annule la demande\./)
      .waitFor();
    await checkScreen(violations, page, 'patient-record-deletion-requested');
    const [row] = await server.deps.sql<{ status: string; requested: boolean }[]>`
      SELECT status, deletion_requested_at IS NOT NULL AS requested FROM patient_record WHERE ins = ${MARIE.ins}`;
    expect(row).toEqual({ status: 'closed', requested: true });
    problems.push(...seen);
    await context.close();
  });

  it('found nothing serious with axe-core, no page error and no CSP refusal', () => {
    expect(violations).toEqual({});
    expect(problems).toEqual([]);
  });
});
