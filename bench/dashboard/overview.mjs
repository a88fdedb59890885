/**
 * Times the overview in Debian's headless Chromium: from navigation start to the moment
 * the app marks every tile and the trend chart rendered (`vitals:overview-ready`).
 *
 *   node overview.mjs '{"url": …, "token": …, "mode": "cold" | "warm", "runs": 5}'
 *
 * cold: one load in a fresh profile (empty HTTP cache); the caller empties the query
 * service's cache before each. warm: one load to fill both caches, then `runs` loads in
 * the same profile. Prints one JSON line: each run's figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../dashboard/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const config = JSON.parse(process.argv[2]);
const READY = 'vitals:overview-ready';

async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'vitals-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    viewport: { width: 1366, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
  // Signed in before the app's own scripts run, as a returning user is.
  await context.addInitScript((token) => localStorage.setItem('vitals.session', JSON.stringify({ token })), config.token);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() == 'error' && errors.push(message.text()));
  return { page, errors, close: async () => (await context.close(), rmSync(profile, { recursive: true, force: true })) };
}

async function load(page) {
  await page.goto(config.url, { waitUntil: 'commit' });
  await page.waitForFunction(
    (name) => performance.getEntriesByName(name).length > 0 || document.querySelector('[data-state="error"]'),
    READY,
    { timeout: 120_000 },
  );
  const failed = await page.$$eval('[data-state="error"] [role="alert"]', (nodes) => nodes.map((n) => n.textContent));
  if (failed.length) throw new Error(`the overview shows errors: ${failed.join('; ')}`);
  return page.evaluate((name) => {
    const ms = performance.getEntriesByName(name)[0].startTime;
    const navigation = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const api = resources.filter((r) => r.name.includes('/v1/'));
    const scripts = resources.filter((r) => r.initiatorType == 'script' || r.name.endsWith('.js'));
    return {
      ms,
      html_ms: navigation.responseEnd,
      scripts_done_ms: Math.max(0, ...scripts.map((r) => r.responseEnd)),
      api_ms: api.map((r) => ({ path: new URL(r.name).pathname.split('/').pop(), start: r.startTime, duration: r.duration })),
      tiles: document.querySelectorAll('[data-testid^="tile-"][data-metric]').length,
      chart_paths: document.querySelectorAll('[data-testid="trend-chart"] path.series').length,
      transferred_bytes: resources.reduce((sum, r) => sum + (r.transferSize ?? 0), navigation.transferSize ?? 0),
    };
  }, READY);
}

const runs = [];
const browser = await launch();
try {
  if (config.mode == 'warm') {
    await load(browser.page); // fills the HTTP cache and the query service's cache
    for (let i = 0; i < config.runs; i++) runs.push(await load(browser.page));
  } else {
    runs.push(await load(browser.page));
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ runs, errors: browser.errors }));
