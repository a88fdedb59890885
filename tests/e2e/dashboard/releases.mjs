/**
 * The releases scenarios (test_releases.py): deploy markers on the trend charts, the
 * release filter, and the Releases view's comparison. `config.release` is the newer
 * release, `config.baseline` the one before it.
 */
import { PHONE, config, launch, settled, shot, signInWithToken, tiles, url } from './browser.mjs';

/** A trend chart's deploy markers as drawn, and where its plot starts and ends. */
async function markers(page, panel) {
  const chart = `${panel} [data-testid="trend-chart"]`;
  await page.locator(`${panel}[data-state="ready"]`).waitFor();
  // Deploys load beside the series: give them a moment, and report none if they never come.
  await page.locator(`${chart} [data-testid="deploy-marker"]`).first().waitFor({ timeout: 10_000 }).catch(() => {});
  return page.$eval(chart, (svg) => {
    const band = svg.querySelector('rect.band').getBBox();
    return {
      plotLeft: band.x,
      plotRight: band.x + band.width,
      markers: [...svg.querySelectorAll('[data-testid="deploy-marker"]')].map((m) => ({
        release: m.dataset.release,
        at: m.dataset.at,
        x: Number(m.dataset.x),
        title: m.querySelector('title')?.textContent ?? '',
      })),
    };
  });
}

async function comparisonRows(page) {
  await page.locator('[data-testid="comparison-panel"][data-state="ready"]').waitFor();
  return page.$$eval('[data-testid="comparison-row"]', (rows) =>
    rows.map((r) => ({
      scope: r.dataset.scope,
      route: r.dataset.route ?? null,
      device: r.dataset.device ?? null,
      verdict: r.dataset.verdict,
      change: r.querySelector('td:nth-of-type(2)').textContent,
      text: r.textContent,
    })),
  );
}

export const releaseScenarios = {
  /** The overview's and the trends view's charts, and the overview chart's tooltip at the newer deploy. */
  async deploys() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      const overview = await markers(page, '[data-testid="overview-trend"]');
      // Without the marker there is nothing to hover: the test says so from the markers.
      if (overview.markers.some((m) => m.release == config.release)) {
        const marker = `[data-testid="overview-trend"] [data-testid="deploy-marker"][data-release="${config.release}"] .deploy-hit`;
        await page.locator(marker).hover();
        overview.tooltip = await page.locator('[data-testid="overview-trend"] .tooltip').textContent();
      }
      const overviewShot = await shot(page, 'deploys-overview');
      await page.goto(url(`?project=${config.projectId}&view=trends`));
      const trends = await markers(page, '[data-testid="trends-panel"]');
      const trendsShot = await shot(page, 'deploys-trends');
      return { overview, trends, screenshots: [overviewShot, trendsShot], consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** Add a release filter in the common controls: what it offers, the URL, the tiles after. */
  async releaseFilter() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      const lcp = async () => (await tiles(page)).find((t) => t.metric == 'LCP').count;
      const unfiltered = await lcp();
      await page.getByRole('button', { name: '+ Add filter' }).click();
      await page.getByLabel('Filter by').selectOption('release');
      const value = page.getByLabel('Value');
      await page.waitForFunction(() => {
        const first = document.querySelector('.add-filter select:not(:first-of-type) option')?.textContent;
        return first == 'Choose…' || first == 'No values in this range';
      });
      const offered = (await value.locator('option').allTextContents()).slice(1);
      await value.selectOption(config.release);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.waitForURL(/release=/);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      await settled(page);
      const filtered = {
        url: page.url(),
        offered,
        chips: await page.locator('.chip').allTextContents(),
        lcp: await lcp(),
      };
      return { unfilteredLcp: unfiltered, filtered, screenshots: [await shot(page, 'release-filter')], consoleErrors: browser.consoleErrors };
    } finally {
      await browser.close();
    }
  },

  /** The Releases view from the navigation: the list, the newer release's comparison, a chosen baseline. */
  async releases() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      await page.locator('[data-testid="summary-panel"][data-state="ready"]').waitFor();
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Releases' }).click();
      await page.waitForURL(/view=releases/);
      await page.locator('[data-testid="releases-panel"][data-state="ready"]').waitFor();
      const listed = await page.$$eval('[data-testid="release-row"]', (rows) =>
        rows.map((r) => {
          const cells = [...r.querySelectorAll('td')].map((td) => td.textContent);
          return { release: r.dataset.release, deployed: cells[0], samples: cells[3] };
        }),
      );
      await page.getByRole('link', { name: config.release, exact: true }).click();
      await page.waitForURL(/compare=/);
      const rows = await comparisonRows(page);
      const comparison = {
        url: page.url(),
        title: await page.locator('[data-testid="comparison-panel"] .panel-title').textContent(),
        metricSwitch: await page.getByRole('group', { name: 'Metric' }).locator('label').allTextContents(),
        rows,
      };
      const comparisonShot = await shot(page, 'releases');
      const answered = page.waitForResponse((r) => /\/comparison\?.*baseline=/.test(r.url()));
      await page.getByLabel('Compared with').selectOption(config.baseline);
      await page.waitForURL(/baseline=/);
      await answered;
      const chosenBaseline = { url: page.url(), rows: await comparisonRows(page) };
      // At phone width the wide comparison table scrolls inside its panel, not the page.
      await page.setViewportSize(PHONE);
      await page.reload();
      await comparisonRows(page);
      const phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const phoneShot = await shot(page, 'phone-releases');
      return {
        listed, comparison, chosenBaseline, phoneOverflow, screenshots: [comparisonShot, phoneShot],
        consoleErrors: browser.consoleErrors,
      };
    } finally {
      await browser.close();
    }
  },
};
