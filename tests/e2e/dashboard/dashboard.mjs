/**
 * Drives the dashboard in Debian's headless Chromium (playwright-core) for the pytest
 * end-to-end tests: `node dashboard.mjs '<json config>'` runs one scenario and prints what
 * it observed as one JSON line; the Python tests hold the assertions.
 */
import {
  PHONE, config, launch, overviewState, settled, shot, signInWithPassword, signInWithToken, summaries, url,
} from './browser.mjs';
import { adminScenarios } from './admin.mjs';
import { alertScenarios } from './alerts.mjs';
import { releaseScenarios } from './releases.mjs';

const scenarios = {
  /** Sign in with a password; the overview as rendered, and the window it asked for. */
  async overview() {
    const browser = await launch();
    try {
      const { page } = browser;
      await page.goto(url());
      await page.getByRole('heading', { name: 'Vitals' }).waitFor();
      const signInShot = await shot(page, 'sign-in');
      const seen = summaries(page);
      await signInWithPassword(page);
      const overview = await overviewState(page, seen);
      await settled(page);
      const screenshot = await shot(page, 'overview');
      return { ...overview, screenshots: [signInShot, screenshot], consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** Pasted token; then the device switch and an added route filter, each read back. */
  async filters() {
    const browser = await launch();
    try {
      const { page } = browser;
      const seen = summaries(page);
      await signInWithToken(page);
      const before = await overviewState(page, seen);
      await page.getByRole('radio', { name: 'Mobile' }).click();
      await page.waitForURL(/device=mobile/);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const mobile = await overviewState(page, seen);
      await page.getByRole('button', { name: '+ Add filter' }).click();
      await page.getByLabel('Filter by').selectOption('route');
      await page.getByLabel('Value').fill(config.route);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.waitForURL(/route=/);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const routed = await overviewState(page, seen);
      const chips = await page.locator('.chip').allTextContents();
      const screenshot = await shot(page, 'overview-filtered');
      await page.getByLabel('Range').selectOption('24h');
      await page.waitForURL(/range=24h/);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const lastDay = await overviewState(page, seen);
      await page.getByLabel('Range').selectOption('custom');
      await page.getByLabel('Custom range start').fill(config.customFrom);
      await page.getByLabel('Custom range end').fill(config.customTo);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/from=/);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const custom = await overviewState(page, seen);
      // A shared link opens the same view: the URL alone carries the selection.
      await page.goto(routed.url);
      const reopened = await overviewState(page, seen);
      return { before, mobile, routed, lastDay, custom, reopened, chips, screenshots: [screenshot], consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** Each main view loads and settles, at laptop and phone width, with a screenshot. */
  async views() {
    const browser = await launch();
    const result = { views: {}, screenshots: [] };
    try {
      const { page } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const base = `?project=${config.projectId}`;
      const views = {
        trends: `${base}&view=trends&range=28d&p=p50,p75,p95`,
        distribution: `${base}&view=distribution&range=28d`,
        breakdowns: `${base}&view=breakdowns&range=7d`,
        'breakdowns-by-p75': `${base}&view=breakdowns&range=7d&sort=p75&metric=INP`,
        'attribution-lcp': `${base}&view=attribution&range=28d`,
        'attribution-inp': `${base}&view=attribution&range=28d&metric=INP`,
        'attribution-cls': `${base}&view=attribution&range=28d&metric=CLS`,
        'overview-1h': `${base}&range=1h`,
      };
      for (const [name, search] of Object.entries(views)) {
        await page.goto(url(search));
        await page.locator('main section.panel').first().waitFor();
        await settled(page);
        const panels = await page.$$eval('main section.panel[data-state]', (nodes) =>
          nodes.map((n) => ({ testId: n.dataset.testid ?? null, state: n.dataset.state })),
        );
        result.views[name] = { panels };
        if (name.startsWith('breakdowns')) {
          result.views[name].rows = await page.$$eval('.breakdown-table tbody tr', (rows) =>
            rows.map((r) => ({ value: r.dataset.value, lowSample: r.querySelector('.badge-low') != null })),
          );
          result.views[name].pager = await page.textContent('[data-testid="pager-status"]');
        }
        if (name == 'trends') result.views[name].lines = await page.locator('[data-testid="trend-chart"] path.series').count();
        if (name == 'distribution') result.views[name].bars = await page.locator('[data-testid="histogram-chart"] g.bar').count();
        if (name.startsWith('attribution')) {
          result.views[name].groups = await page.$$eval('.attribution-group', (groups) =>
            groups.map((g) => ({ title: g.querySelector('h3').textContent, rows: g.querySelectorAll('tbody tr').length })),
          );
        }
        result.screenshots.push(await shot(page, name));
      }
      await page.setViewportSize(PHONE);
      const phone = {
        overview: base,
        trends: `${base}&view=trends&p=p75,p95`,
        breakdowns: `${base}&view=breakdowns`,
        'attribution-inp': `${base}&view=attribution&metric=INP`,
        live: `${base}&view=live`,
      };
      for (const [name, search] of Object.entries(phone)) {
        await page.goto(url(search));
        await page.locator('main section.panel').first().waitFor();
        if (name == 'live') await page.locator('[data-testid="live-panel"][data-connection="live"]').waitFor();
        else await settled(page);
        result.views[`phone-${name}`] = {
          overflow: await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
        };
        result.screenshots.push(await shot(page, `phone-${name}`));
      }
      result.consoleErrors = browser.consoleErrors;
      return result;
    } finally {
      await browser.close();
    }
  },

  /** Keyboard only: reach the Breakdowns tab, open it, sort by p75, move to page 2. */
  async keyboard() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const focusOn = async (predicate, limit = 60) => {
        for (let i = 0; i < limit; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate(predicate)) return true;
        }
        return false;
      };
      const reachedTab = await focusOn(() => document.activeElement?.textContent?.trim() == 'Breakdowns');
      await page.keyboard.press('Enter');
      await page.waitForURL(/view=breakdowns/);
      await page.locator('[data-testid="breakdown-panel"][data-state="ready"]').waitFor();
      const reachedSort = await focusOn(() => document.activeElement?.closest('th')?.textContent?.startsWith('p75') ?? false);
      await page.keyboard.press('Enter');
      await page.waitForURL(/sort=p75/);
      await page.locator('[data-testid="breakdown-panel"][data-state="ready"]').waitFor();
      const sortedBy = await page.getAttribute('th[aria-sort="descending"]', 'aria-sort');
      const values = await page.$$eval('.breakdown-table tbody tr', (rows) => rows.map((r) => r.dataset.value));
      const focusVisible = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      return { reachedTab, reachedSort, url: page.url(), sortedBy, values, focusVisible, consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /**
   * The live view: once connected it says `ready` on stdout; the Python side then sends a
   * page view (a beacon to ingest, or a batch straight onto the live stream) for
   * `config.route`, and this waits for it in the feed. With `config.reconnect`, it then
   * cuts the network and checks the reconnect and the refill.
   */
  async live() {
    const browser = await launch();
    try {
      const { page, context } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const refills = [];
      page.on('request', (request) => {
        if (/\/histogram\?.*range=5m/.test(request.url())) refills.push(Date.now());
      });
      await page.goto(url(`?project=${config.projectId}&view=live`));
      await page.locator('[data-testid="live-panel"][data-connection="live"]').waitFor();
      await page.waitForFunction(() => document.querySelector('.footnote')?.textContent?.includes('started from the stored'));
      const refillsAtConnect = refills.length;
      const samples = () => page.getAttribute(`[data-testid="live-${config.metric}"]`, 'data-samples').then(Number);
      const samplesBefore = await samples();
      console.log(JSON.stringify({ event: 'ready' }));

      const row = page.locator(`.feed-item[data-route="${config.route}"]`);
      await row.waitFor({ timeout: 15_000 });
      const seenAt = Date.now();
      const item = await row.textContent();
      await page.waitForFunction(
        ([metric, before]) => Number(document.querySelector(`[data-testid="live-${metric}"]`).dataset.samples) > before,
        [config.metric, samplesBefore],
      );
      const samplesAfter = await samples();
      const p75 = await page.getAttribute(`[data-testid="live-${config.metric}"]`, 'data-p75');
      const screenshots = [await shot(page, config.screenshot ?? 'live')];
      const consoleErrors = [...browser.consoleErrors];
      const result = { seenAt, item, samplesBefore, samplesAfter, p75: Number(p75), refillsAtConnect, screenshots, consoleErrors };
      if (config.reconnect) {
        // Cut the network: the indicator says so; back online, it reconnects and refills the window.
        await context.setOffline(true);
        await page.locator('[data-testid="live-panel"][data-connection="reconnecting"]').waitFor();
        screenshots.push(await shot(page, 'live-reconnecting', false));
        await context.setOffline(false);
        await page.locator('[data-testid="live-panel"][data-connection="live"]').waitFor({ timeout: 20_000 });
        await page.waitForFunction(() => document.querySelector('.footnote')?.textContent?.includes('started from the stored'));
        result.refillsAfterReconnect = refills.length - refillsAtConnect;
        result.samplesAfterReconnect = await samples();
      }
      return result;
    } finally {
      await browser.close();
    }
  },

  /**
   * Empty and error states: a window without data, then a failing API (answered here with
   * the query service's own 503 shape) and the retry that recovers.
   */
  async states() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const base = `?project=${config.projectId}`;
      const emptyWindow = '&from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z';
      const empty = {};
      for (const view of ['overview', 'trends', 'distribution', 'breakdowns', 'attribution']) {
        await page.goto(url(`${base}&view=${view}${emptyWindow}`));
        await page.locator('main section.panel').first().waitFor();
        await settled(page);
        empty[view] = await page.$$eval('main section.panel[data-state]', (nodes) =>
          nodes.map((n) => ({ state: n.dataset.state, text: n.querySelector('.notice')?.textContent ?? null })),
        );
        if (view == 'overview') empty.verdict = await page.getAttribute('[data-testid="verdict"]', 'data-status');
      }
      const emptyShot = await shot(page, 'empty-attribution');

      let failing = true;
      await page.route(/\/v1\/projects\/\d+\/breakdown\?/, (route) =>
        failing
          ? route.fulfill({
              status: 503,
              contentType: 'application/json',
              body: JSON.stringify({ error: 'database_unavailable', detail: 'the database cannot be reached; retry shortly' }),
            })
          : route.continue(),
      );
      await page.goto(url(`${base}&view=breakdowns&range=24h`));
      const panel = page.locator('[data-testid="breakdown-panel"]');
      await page.locator('[data-testid="breakdown-panel"][data-state="error"]').waitFor();
      const error = await panel.getByRole('alert').textContent();
      const errorShot = await shot(page, 'error-breakdowns');
      failing = false;
      await panel.getByRole('button', { name: 'Retry' }).click();
      await page.locator('[data-testid="breakdown-panel"][data-state="ready"]').waitFor();
      const recovered = await page.locator('.breakdown-table tbody tr').count();
      // The refused requests are the point here; nothing else may log an error.
      const consoleErrors = browser.consoleErrors.filter((e) => !/status of 503/.test(e));
      return { empty, error, recovered, screenshots: [emptyShot, errorShot], consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** A token for two projects: the picker, then the header's project switch. */
  async projects() {
    const browser = await launch();
    try {
      const { page } = browser;
      await page.goto(url());
      await page.getByRole('button', { name: 'Token' }).click();
      await page.getByLabel('Token').fill(config.twoProjectToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Choose a project' }).waitFor();
      await page.locator('.project-list[data-state="settled"]').waitFor();
      const offered = await page.locator('.project-list button').allTextContents();
      const pickerShot = await shot(page, 'project-picker');
      await page.getByRole('button', { name: config.projectName, exact: true }).click();
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const picked = page.url();
      await page.getByLabel('Project').selectOption(String(config.otherProjectId));
      await page.waitForURL(new RegExp(`project=${config.otherProjectId}`));
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const verdict = await page.getAttribute('[data-testid="verdict"]', 'data-status');
      return { offered, picked, switched: page.url(), verdict, screenshots: [pickerShot], consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** A bad password says so; a 401 from the API (a token for someone else's project) signs out. */
  async errors() {
    const browser = await launch();
    try {
      const { page } = browser;
      await page.goto(url());
      await page.getByLabel('Email').fill(config.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const badPassword = await page.getByRole('alert').textContent();
      await page.getByRole('button', { name: 'Token' }).click();
      await page.getByLabel('Token').fill('not a token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const badToken = await page.getByRole('alert').textContent();
      await page.getByLabel('Token').fill(config.forgedToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Vitals' }).waitFor();
      await page.getByText('Your session has ended').waitFor();
      const signedOut = await page.locator('.notice').first().textContent();
      const screenshot = await shot(page, 'signed-out');
      // Expected failures the page itself reports as console errors (the 401s) are left out.
      const consoleErrors = browser.consoleErrors.filter((e) => !/status of 401/.test(e));
      return { badPassword, badToken, signedOut, screenshots: [screenshot], consoleErrors };
    } finally {
      await browser.close();
    }
  },
};

Object.assign(scenarios, releaseScenarios, alertScenarios, adminScenarios);

const scenario = scenarios[config.scenario];
if (!scenario) throw new Error(`unknown scenario ${config.scenario}`);
const observed = await scenario();
console.log(JSON.stringify(observed));
