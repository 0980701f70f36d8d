/**
 * Issue 21 point 6, the rest: documents a person can keep and read on a phone. "Télécharger tous mes documents"
 * downloads a zip (read back here by the test's own zip reader, CRC-32 checked) holding an index.html and every
 * document the patient sees, byte for byte what the API retrieves, traced (one `record.download-all`, one
 * `document.retrieve` per document); a professional is refused, traced. On a phone the document comes before its
 * information cards, and tables (the care history, a 12-column CDA table) become one card per row that fits the
 * screen, each cell named by its column. axe-core at 1280 and 375 px; screenshots in docs/screenshots.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import {
  checkScreen,
  launchChromium,
  nav,
  openAs,
  PHONE,
  screenshot,
  type AxeViolation,
} from './browser.ts';
import { readZip } from './fixtures.ts';
import { depositWideTableCda, startPortalServer, type PortalServer } from './server.ts';

const JEAN = { ins: '158037505610143', name: 'Jean MARTIN' };
const JEAN_ID = `urn:oid:1.2.250.1.213.1.4.10|${JEAN.ins}`;
const WIDE = 'Tableau de suivi vaccinal (douze colonnes)';
const GP = {
  kind: 'professional',
  idNatPs: '810001000008',
  profession: '10',
  structure: '1750600009',
  mode: 'normal',
};

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const problems: string[] = [];

async function bearer(body: Record<string, unknown>): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
  expect(res.statusCode).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}

async function traces(action: string, outcome: string, actor: string): Promise<number> {
  const [row] = await server.deps.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM audit_event WHERE action = ${action} AND outcome = ${outcome}
      AND actor_id = ${actor}`;
  return row?.n ?? 0;
}

beforeAll(async () => {
  server = await startPortalServer();
  await loadDemoCareHistory(server.deps);
  await depositWideTableCda(server.deps, JEAN.ins, WIDE, 12);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('download all my documents (issue 21 point 6)', () => {
  it('downloads a zip of every document the patient sees, with an index, traced', async () => {
    const token = await bearer({ kind: 'patient', ins: JEAN.ins });
    const listed = await server.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(JEAN_ID)}&_count=1000`,
      headers: { authorization: `Bearer ${token}` },
    });
    const seen = listed.json<{
      entry?: {
        resource: { id: string; content: { attachment: { url: string; title?: string } }[] };
      }[];
    }>().entry;
    const documents = (seen ?? []).map((e) => e.resource);
    expect(documents.length).toBeGreaterThanOrEqual(3);
    const retrievesBefore = await traces('document.retrieve', 'success', JEAN.ins);

    const {
      context,
      page,
      problems: seenProblems,
    } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
    await nav(page, 'Documents');
    const link = page.getByRole('link', { name: 'Télécharger tous mes documents (zip)' });
    await link.waitFor();
    await checkScreen(violations, page, 'patient-documents-download-all');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^mes-documents-\d{4}-\d{2}-\d{2}\.zip$/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-zip-')), 'all.zip');
    await download.saveAs(file);
    const entries = readZip(fs.readFileSync(file));
    fs.rmSync(path.dirname(file), { recursive: true, force: true });

    const index = entries.find((e) => e.name === 'index.html');
    expect(index).toBeDefined();
    const html = index?.data.toString('utf8') ?? '';
    const files = entries.filter((e) => e.name.startsWith('documents/'));
    expect(files.length).toBe(documents.length);
    expect(html).toContain(`${String(documents.length)} documents, du plus récent au plus ancien`);
    // Each document is in the index (title, link to its file) and is byte for byte what the API retrieves.
    for (const d of documents) {
      const title = d.content[0]?.attachment.title ?? '';
      expect(html).toContain(
        title
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;')
          .replace(/"/g, '&quot;')
          .replace(/'/g, '&#39;'),
      );
      const url = new URL(d.content[0]?.attachment.url ?? '', server.baseUrl);
      const binary = await server.app.inject({
        method: 'GET',
        url: url.pathname,
        headers: { authorization: `Bearer ${token}`, accept: '*/*' },
      });
      expect(binary.statusCode).toBe(200);
      expect(files.some((f) => f.data.equals(binary.rawPayload))).toBe(true);
    }
    for (const f of files) {
      expect(html).toContain(`href="${f.name}"`);
    }
    // Traced: the download once, each document's retrieval (the archive's, then the check's above).
    expect(await traces('record.download-all', 'success', JEAN.ins)).toBe(1);
    expect(await traces('document.retrieve', 'success', JEAN.ins)).toBe(
      retrievesBefore + 2 * documents.length,
    );
    problems.push(...seenProblems);
    await context.close();
  });

  it('refuses a professional, and traces the refusal', async () => {
    const res = await server.app.inject({
      method: 'GET',
      url: `/portal-api/documents/archive?patient.identifier=${encodeURIComponent(JEAN_ID)}`,
      headers: { authorization: `Bearer ${await bearer(GP)}` },
    });
    expect(res.statusCode).toBe(403);
    expect(await traces('record.download-all', 'denied', GP.idNatPs)).toBe(1);
  });
});

/** The page's getComputedStyle (the server's tsconfig has no DOM types; the type is erased before the page). */
interface PageGlobals {
  getComputedStyle: (e: unknown, p?: string) => { content: string; display: string };
}

async function noSideScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

describe('on a phone (issue 21 point 6)', () => {
  it('shows the document before its information, and tables as cards named by their columns', async () => {
    const {
      context,
      page,
      problems: seenProblems,
    } = await openAs(browser, server.baseUrl, 'patient', JEAN.name);
    await page.setViewportSize(PHONE);
    await nav(page, 'Documents');
    await page.getByRole('link', { name: WIDE }).first().click();
    await page.getByRole('heading', { level: 1, name: WIDE }).waitFor();
    const content = await page.locator('.doc-content').boundingBox();
    const info = await page.locator('.doc-top').boundingBox();
    expect(content).not.toBeNull();
    expect((content?.y ?? 0) + 10).toBeLessThan(info?.y ?? 0);
    // The 12-column table: one card per row within the screen, each cell labelled with its column.
    const table = page.locator('article.cda table.stack-table').first();
    await table.waitFor();
    const cell = table.locator('tbody td').nth(11);
    expect(await cell.getAttribute('data-label')).toBe('Colonne 12');
    expect(
      await cell.evaluate(
        (el) => (globalThis as unknown as PageGlobals).getComputedStyle(el, '::before').content,
      ),
    ).toContain('Colonne 12');
    const box = await cell.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    await noSideScroll(page);
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, 'patient-document-content-first');
    await table.scrollIntoViewIfNeeded();
    await checkScreen(violations, page, 'patient-document-table-phone');

    // The care history: the same on a phone.
    await page.setViewportSize(PHONE);
    await nav(page, 'Soins remboursés');
    const care = page.getByRole('table', { name: /Remboursements/ });
    await care.locator('tbody tr').first().waitFor();
    const amount = care.locator('tbody tr').first().locator('td').last();
    expect(await amount.getAttribute('data-label')).toBe('Remboursé');
    expect(
      await amount.evaluate(
        (el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).display,
      ),
    ).toBe('block');
    await noSideScroll(page);
    await care.scrollIntoViewIfNeeded();
    await checkScreen(violations, page, 'patient-care-history-cards');
    problems.push(...seenProblems);
    await context.close();
  });

  it('found nothing serious with axe-core, no page error and no CSP refusal', () => {
    expect(violations).toEqual({});
    expect(problems).toEqual([]);
  });
});
