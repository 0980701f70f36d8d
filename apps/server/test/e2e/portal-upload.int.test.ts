/**
 * Issue 17 rule 9, in Debian's Chromium against the real server: a PDF uploaded through either portal is stored as
 * a CDA R2 level 1 document (valid against the ANS schema) whose nonXMLBody holds the very bytes uploaded, and the
 * portal still shows it as a PDF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { levelOneContent } from '../../src/cda/level-one.ts';
import { parseCda } from '../../src/validation/cda.ts';
import { DESKTOP, launchChromium } from './browser.ts';
import { makePdf } from './fixtures.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const MARIE = { ins: '262076912310249' };
const CARDIO = { name: 'Anne CARDIO' };

let server: PortalServer;
let browser: Browser;
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'fr-FR' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

async function demoLogin(page: Page, portal: 'patient' | 'pro', name: string): Promise<void> {
  await page.goto(`${server.baseUrl}/${portal}/`);
  await page
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click();
}

/** The stored content of a document, as its patient retrieves it (ITI-68 through the API, a dev token). */
async function retrievedByPatient(ins: string, documentId: string): Promise<Buffer> {
  const tokenRes = await server.app.inject({
    method: 'POST',
    url: '/auth/dev/token',
    payload: { kind: 'patient', ins },
  });
  const token = tokenRes.json<{ access_token: string }>().access_token;
  const doc = await server.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference/${documentId}`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(doc.statusCode, doc.body.slice(0, 300)).toBe(200);
  const attachment = doc.json<{ content: { attachment: { url: string; contentType: string } }[] }>()
    .content[0]?.attachment;
  expect(attachment?.contentType).toBe('text/xml');
  const bin = await server.app.inject({
    method: 'GET',
    url: new URL(attachment?.url ?? '').pathname,
    headers: { authorization: `Bearer ${token}`, accept: '*/*' },
  });
  expect(bin.statusCode).toBe(200);
  return bin.rawPayload;
}

function expectLevelOneOf(cda: Buffer, pdf: Buffer): void {
  const parsed = parseCda(cda);
  expect(parsed.ok, JSON.stringify(parsed.ok ? '' : parsed.error)).toBe(true);
  expect(parsed.ok && parsed.value.body).toMatchObject({
    kind: 'nonXML',
    mediaType: 'application/pdf',
  });
  expect(levelOneContent(cda)?.equals(pdf)).toBe(true);
}

beforeAll(async () => {
  server = await startPortalServer();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('portal uploads are CDA N1 (issue 17 rule 9)', () => {
  it('a professional’s PDF comes back as a CDA N1 wrapping the same PDF, still shown as a PDF', async () => {
    const page = await newPage();
    await demoLogin(page, 'pro', CARDIO.name);
    await page.getByLabel('INS du patient').fill(MARIE.ins);
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('heading', { name: `Dossier du patient ${MARIE.ins}` }).waitFor();
    const consent = page.getByRole('button', { name: 'Déclarer le consentement du patient' });
    if (await consent.isVisible()) {
      await consent.click();
      const dialog = page.getByRole('dialog', { name: 'Déclarer le consentement du patient' });
      await dialog.getByLabel('Le patient m’a donné son accord.').check();
      await dialog.getByRole('button', { name: 'Déclarer le consentement' }).click();
      await page.getByText('Le consentement du patient est enregistré').waitFor();
    }
    await page.getByRole('link', { name: 'Déposer un document' }).click();
    await page.getByRole('heading', { name: 'Déposer un document' }).waitFor();
    const pdf = makePdf('Echographie cardiaque - scan');
    await page
      .locator('#dep-file')
      .setInputFiles({ name: 'echo.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page
      .getByLabel('Type de document')
      .selectOption({ label: 'CR ou fiche de consultation ou de visite' });
    await page.getByLabel('Titre').fill('Échographie cardiaque scannée');
    await page.getByLabel('Type de structure').selectOption('SA07');
    await page.getByLabel('Cadre d’exercice').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Déposer', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Échographie cardiaque scannée' }).waitFor();
    // The viewer finds the PDF inside the CDA N1 and shows it as a PDF.
    await page.locator('iframe.pdf-frame').waitFor();
    const id = /\/documents\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    expect(id).not.toBe('');
    expectLevelOneOf(await retrievedByPatient(MARIE.ins, id), pdf);
    await page.context().close();
  });

  it('a patient’s PDF comes back as a CDA N1 wrapping the same PDF', async () => {
    const page = await newPage();
    await demoLogin(page, 'patient', JEAN.name);
    await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();
    await page.getByRole('link', { name: 'Ajouter un document' }).first().click();
    await page.getByRole('heading', { name: 'Ajouter un document' }).waitFor();
    const pdf = makePdf('Compte rendu de kinesitherapie');
    await page
      .locator('#doc-file')
      .setInputFiles({ name: 'kine.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page
      .getByLabel('Type de document')
      .selectOption({ label: 'Traitement ou document de soins déposé par le patient' });
    await page.getByLabel('Titre').fill('Bilan de kinésithérapie');
    await page.getByRole('button', { name: 'Ajouter au dossier' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bilan de kinésithérapie' }).waitFor();
    await page.locator('iframe.pdf-frame').waitFor();
    const id = /\/documents\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    expect(id).not.toBe('');
    expectLevelOneOf(await retrievedByPatient(JEAN.ins, id), pdf);
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });
});
