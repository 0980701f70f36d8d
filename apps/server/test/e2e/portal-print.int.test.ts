/**
 * Issue 21 point 6: documents a person can read, print and keep — the CDA viewer's header (patient, author,
 * legal authenticator, encounter) and the print layout: no navigation or buttons, and a CDA with a wide table keeps
 * every column in print (A4), checked on the print media at the PDF's content width, then in the PDF Chromium writes:
 * its text, read back with poppler-utils' pdftotext, holds every column's header and every cell.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchChromium, nav, openAs, type AxeViolation } from './browser.ts';
import { depositWideTableCda, startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const TITLE = 'Tableau de suivi vaccinal (douze colonnes)';
const COLUMNS = 12;
/** A4 at 96 dpi (210 mm) less the 12 mm margins of the print stylesheet. */
const A4_CONTENT_PX = Math.floor(((210 - 24) / 25.4) * 96);

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};

beforeAll(async () => {
  server = await startPortalServer();
  await depositWideTableCda(server.deps, JEAN.ins, TITLE, COLUMNS);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('documents to read, print and keep (issue 21 point 6)', () => {
  it('shows the CDA header, prints without navigation and keeps every column of a wide table', async () => {
    const { context, page } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
    await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor();
    await nav(page, 'Documents');
    await page.getByRole('link', { name: TITLE }).first().click();
    await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();

    // The header: patient, author, legal authenticator, encounter.
    const header = page.locator('article.cda header.cda-header');
    await header.locator('dt', { hasText: 'Patient' }).waitFor();
    const terms = await header.locator('dt').allTextContents();
    expect(terms).toEqual(expect.arrayContaining(['Patient', 'Auteur', 'Validé par']));
    await header.getByText(/né le/).waitFor();
    await page.getByRole('button', { name: 'Imprimer ou télécharger en PDF' }).waitFor();
    await checkScreen(violations, page, 'patient-document-header');

    // Print media at the PDF's content width.
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: A4_CONTENT_PX, height: 1100 });
    expect(await page.locator('nav.main-nav').isVisible()).toBe(false);
    expect(await page.locator('main button:visible, main .button:visible').count()).toBe(0);
    const table = page.locator('article.cda table').first();
    const heads = table.locator('thead th');
    expect(await heads.count()).toBe(COLUMNS);
    const widths = await table.evaluate((t) => {
      const el = t as unknown as { scrollWidth: number; clientWidth: number };
      return { scroll: el.scrollWidth, client: el.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client + 1);
    for (let i = 0; i < COLUMNS; i++) {
      const box = await heads.nth(i).boundingBox();
      expect(box).not.toBeNull();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(A4_CONTENT_PX + 1);
      expect(box?.width ?? 0).toBeGreaterThan(10);
      expect(await heads.nth(i).innerText()).toBe(`Colonne ${String(i + 1)}`);
    }
    // The browser's own PDF of that layout is written (A4).
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(2000);
    // Read back: the PDF's text (in drawing order, a cell's lines together) has every header and every cell.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-print-'));
    const file = path.join(dir, 'document.pdf');
    fs.writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], {
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const joined = text.replace(/\s+/g, '');
    const headers = [...joined.matchAll(/Colonne(\d+)/g)].map((m) => Number(m[1]));
    const cells = [...joined.matchAll(/Valeur-tres-longue-de-la-colonne-(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    const all = Array.from({ length: COLUMNS }, (_, i) => i + 1);
    expect(headers).toEqual(all);
    expect(cells).toEqual([...all, ...all]);
    expect(text).toContain(TITLE);
    await checkScreen(violations, page, 'patient-document-print');
    await context.close();
  });

  it('finds no serious or critical axe-core violation', () => {
    expect(violations).toEqual({});
  });
});
