/**
 * Debian's Chromium driven by playwright-core (no browser download), with the flags this machine needs, a
 * fresh profile per launch (Playwright gives each launch its own temporary --user-data-dir), axe-core checks
 * and screenshots for docs/screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['OPENDMP_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../docs/screenshots',
);
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 812 } as const;

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` (CI does it because apps/server/test/e2e/needs-chromium exists).`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

const axeSource = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) in the page and returns the serious and critical violations.
 * The script is evaluated through the DevTools protocol, so the page's strict CSP stays on.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // Runs in the page (the server's tsconfig has no DOM types: reach the page globals through globalThis).
    const g = globalThis as unknown as {
      document: unknown;
      axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
    };
    return g.axe.run(g.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
}

/** Saves a screenshot of the viewport as docs/screenshots/<name>-<desktop|phone>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  const kind = size && size.width <= PHONE.width ? 'phone' : 'desktop';
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}-${kind}.png`),
    animations: 'disabled',
    caret: 'hide',
  });
}

/**
 * Waits for the screen to settle, runs axe-core and saves a screenshot at desktop then phone width; serious
 * violations are recorded in `violations` under the screen's name and width (each test file asserts none at the end).
 */
export async function checkScreen(
  violations: Record<string, AxeViolation[]>,
  page: Page,
  name: string,
): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
  await page
    .locator('.loading')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    const found = await seriousViolations(page);
    if (found.length > 0) {
      violations[`${name} (${String(size.width)} px)`] = found;
    }
    await screenshot(page, name);
  }
  await page.setViewportSize(DESKTOP);
}

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Page errors and Content-Security-Policy refusals seen so far (each test file asserts none). */
  readonly problems: string[];
}

/**
 * Opens a fresh browser context at desktop width (French locale, Paris time), goes to the patient (`/patient/`) or
 * professional (`/pro/`) portal and signs in with the demo account whose button names `account`, then waits for the
 * main menu. Page errors and CSP refusals are collected in `problems`.
 */
export async function openAs(
  browser: Browser,
  baseUrl: string,
  portal: 'patient' | 'pro',
  account: string,
): Promise<Session> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) {
      problems.push(`CSP: ${m.text()}`);
    }
  });
  await page.goto(`${baseUrl}/${portal}/`);
  await page
    .getByRole('button', { name: new RegExp(account) })
    .first()
    .click();
  await page.getByRole('navigation', { name: 'Menu principal' }).waitFor();
  return { context, page, problems };
}

/** Follows a link of the main menu. */
export async function nav(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Menu principal' })
    .getByRole('link', { name: label, exact: true })
    .click();
}
