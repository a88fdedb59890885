/**
 * Headless Chromium for the dashboard's end-to-end scenarios (dashboard.mjs, releases.mjs):
 * the run's config (the JSON argument), launching Debian's Chromium with playwright-core,
 * signing in, and reading what the page settled on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// playwright-core is the dashboard's dev dependency; this file lives outside dashboard/.
const require = createRequire(new URL('../../../dashboard/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const config = JSON.parse(process.argv[2]);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const LAPTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };
const TIMEOUT = 30_000;

/**
 * `userAgent` replaces HeadlessChrome's at the network layer (the command-line switch:
 * unlike an emulated one it reaches beacons sent while a page unloads), for pages that
 * must not count as a bot.
 */
export async function launch(viewport = LAPTOP, { userAgent } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'vitals-dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      ...(userAgent ? [`--user-agent=${userAgent}`] : []),
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() == 'error' || message.type() == 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  return {
    context,
    page,
    consoleErrors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function url(search = '') {
  return `${config.dashboardUrl}/${search}`;
}

export async function signInWithPassword(page) {
  await page.goto(url());
  await page.getByLabel('Email').fill(config.email);
  await page.getByLabel('Password').fill(config.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signInWithToken(page) {
  await page.goto(url());
  await page.getByRole('button', { name: 'Token' }).click();
  await page.getByLabel('Token').fill(config.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Every panel on the page has settled into ready, empty or error. */
export async function settled(page) {
  await page.waitForFunction(() => {
    const panels = [...document.querySelectorAll('section.panel[data-state]')];
    return panels.length > 0 && panels.every((p) => p.dataset.state != 'loading');
  });
}

/** The summary answer the page received last, to ask the API for the very same window. */
export function summaries(page) {
  const seen = [];
  page.on('response', async (response) => {
    if (!/\/v1\/projects\/\d+\/summary\?/.test(response.url()) || response.status() != 200) return;
    try {
      seen.push({ url: response.url(), body: await response.json() });
    } catch {
      /* navigated away */
    }
  });
  return seen;
}

export async function tiles(page) {
  return page.$$eval('[data-testid^="tile-"][data-metric]', (nodes) =>
    nodes.map((n) => ({
      metric: n.dataset.metric,
      p75: n.dataset.p75 === '' ? null : Number(n.dataset.p75),
      count: Number(n.dataset.count),
      rating: n.dataset.rating || null,
      text: n.querySelector('[data-testid="tile-p75"]').textContent,
      countText: n.querySelector('[data-testid="tile-count"]').textContent,
      change: n.querySelector('[data-testid="tile-change"]').textContent,
      lowSample: n.querySelector('.badge-low') != null,
    })),
  );
}

export async function overviewState(page, seen) {
  await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
  await page.locator('[data-testid="overview-trend"][data-state="ready"]').waitFor();
  const last = seen[seen.length - 1];
  return {
    url: page.url(),
    tiles: await tiles(page),
    verdict: await page.getAttribute('[data-testid="verdict"]', 'data-status'),
    window: last?.body.range ?? null,
    requested: last?.url ?? null,
  };
}

export async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(config.output, `${name}.png`), fullPage });
  return `${name}.png`;
}
