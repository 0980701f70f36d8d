/**
 * End-to-end test of the patient portal's "Représentants légaux" page (issue 17 rule 1) in Debian's Chromium,
 * against the real server with the demo data: the minor Hugo SIMON sees who represents him (his mother, registered
 * by the demo loader with her own identity), and so does she, logged in with her demo account; once the operator
 * ends the registration, her account reaches no record. Checked with axe-core (no serious or critical WCAG 2.1
 * A/AA violation, at 1280 px and 375 px) and photographed into docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { endRepresentation, listRepresentations } from '../../src/services/representation.ts';
import * as records from '../../src/db/records.repository.ts';
import {
  DESKTOP,
  launchChromium,
  checkScreen as checkScreenInto,
  type AxeViolation,
} from './browser.ts';
import { startPortalServer, type PortalServer } from './server.ts';

const HUGO = { ins: '112087505611139', name: 'Hugo SIMON' };
const MOTHER = { name: 'Claire SIMON' };
const TIMEOUT = { timeout: 20_000 };

let server: PortalServer;
let browser: Browser;
const violations: Record<string, AxeViolation[]> = {};
const pageProblems: string[] = [];

const checkScreen = (page: Page, name: string): Promise<void> =>
  checkScreenInto(violations, page, name);

async function login(name: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  await page.goto(`${server.baseUrl}/patient/`);
  await page
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click();
  return page;
}

async function openRepresentatives(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: 'Représentants légaux' })
    .click();
  await expect
    .poll(() => page.getByRole('heading', { level: 1 }).textContent(), TIMEOUT)
    .toBe('Représentants légaux');
}

beforeAll(async () => {
  server = await startPortalServer();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('patient portal: legal representatives', () => {
  it('the minor and his registered mother see who represents him; once ended, her account reaches nothing', async () => {
    const hugo = await login(HUGO.name);
    await openRepresentatives(hugo);
    const list = hugo.getByRole('list', { name: 'Représentants légaux' });
    await expect
      .poll(() => list.getByRole('heading', { name: MOTHER.name }).count(), TIMEOUT)
      .toBe(1);
    expect(await list.textContent()).toContain('Mère');
    expect(await list.textContent()).toContain('En cours');
    expect(await list.textContent()).toContain('13 août 2030');
    await checkScreen(hugo, 'patient-representatives');

    const mother = await login(MOTHER.name);
    await openRepresentatives(mother);
    await expect
      .poll(
        () =>
          mother
            .getByRole('list', { name: 'Représentants légaux' })
            .getByRole('heading', { name: MOTHER.name })
            .count(),
        TIMEOUT,
      )
      .toBe(1);

    const row = await records.findRecordByIns(server.deps.sql, HUGO.ins);
    const operator = { kind: 'operator', id: 'e2e' } as const;
    const { rows } = await listRepresentations(server.deps, operator, {
      kind: 'id',
      id: row?.patient_id ?? '',
    });
    for (const r of rows) {
      await endRepresentation(server.deps, operator, row?.patient_id ?? '', r.id);
    }
    const again = await login(MOTHER.name);
    await expect
      .poll(() => again.getByRole('heading', { level: 1 }).textContent(), TIMEOUT)
      .toBe('Aucun dossier');
    expect(violations).toEqual({});
    expect(pageProblems).toEqual([]);
  });
});
