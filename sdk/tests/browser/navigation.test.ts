/**
 * Page views beyond the first load, in a real headless Chromium: soft navigations of an
 * SPA on the ESM build (opt-in, keyed by navigationURL, each with the app's route
 * template) and back/forward-cache restores on the script-tag bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Beacon } from '../../src/wire';
import { validate } from '../support/wire-rules';
import { type Collector, buildBundles, launch, startCollector, waitFor } from './harness';
import { SPA, navigate } from './spa';

let bundles: Awaited<ReturnType<typeof buildBundles>>;
let collector: Collector;

beforeAll(async () => {
  bundles = await buildBundles();
  collector = await startCollector(bundles.dir);
  collector.pages.set('/', SPA);
  collector.pages.set('/items/1', SPA);
  collector.pages.set('/bf', `<!doctype html><html><head>
    <script src="/sdk/vitals.js" data-key="bf-key" data-endpoint="{{collector}}" defer></script>
    </head><body><h1>Back/forward cache</h1><a id="away" href="/elsewhere">Elsewhere</a></body></html>`);
  collector.pages.set('/elsewhere', '<!doctype html><p>Another page without the SDK.</p>');
});
afterAll(async () => {
  await collector?.close();
  bundles?.dispose();
});

/** Groups what arrived by page view: (navigation id, time origin). */
function pageViews(): Map<string, Beacon[]> {
  const views = new Map<string, Beacon[]>();
  for (const { beacon } of collector.received) {
    const key = `${beacon.navigationId} ${beacon.timeOrigin}`;
    views.set(key, [...(views.get(key) ?? []), beacon]);
  }
  return views;
}

const names = (beacons: Beacon[]) => [...new Set(beacons.flatMap((b) => b.reports.map((r) => r.name)))].sort();

describe('soft navigations', () => {
  it('reports each route change as a page view of its own, under the route template', async () => {
    collector.received.length = 0;
    const browser = await launch();
    try {
      const { page } = browser;
      await page.goto(`${collector.pageOrigin}/`);
      await page.waitForTimeout(300);
      await navigate(page, 3, 500); // time for each view's paints, so each has its LCP
      await page.waitForTimeout(1_200); // let web-vitals settle the last one (idle callback)
      await page.goto('about:blank');
      await waitFor(() => pageViews().size == 4, () => [...pageViews().keys()]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await browser.close();
    }
    for (const { beacon } of collector.received) expect(validate(beacon)).toBeNull();
    const views = [...pageViews().values()].sort((a, b) => a[0]!.timeOrigin - b[0]!.timeOrigin);
    const [load, ...soft] = views;
    expect(load![0]).toMatchObject({ url: `${collector.pageOrigin}/`, route: '/' });
    expect(names(load!)).toEqual(expect.arrayContaining(['CLS', 'FCP', 'LCP', 'TTFB']));
    expect(soft).toHaveLength(3);
    // Each soft page view keeps its real URL and carries the router's template beside it.
    expect(soft.map((beacons) => beacons[0]!.url)).toEqual(
      [1, 2, 3].map((n) => `${collector.pageOrigin}/items/${n}`),
    );
    for (const beacons of soft) {
      for (const b of beacons) expect(b.route).toBe('/items/:id');
      expect(names(beacons)).toEqual(expect.arrayContaining(['FCP', 'LCP']));
      for (const b of beacons) for (const r of b.reports) expect(r.navigationType).toBe('soft-navigation');
    }
    // Each soft page view starts where its route change did, after the one before.
    const origins = views.map((v) => v[0]!.timeOrigin);
    expect(origins).toEqual([...origins].sort((a, b) => a - b));
    expect(new Set(origins).size).toBe(4);
  });

  it('leaves route changes to the first page view unless reportSoftNavs is on', async () => {
    collector.received.length = 0;
    const browser = await launch();
    try {
      const { page } = browser;
      await page.goto(`${collector.pageOrigin}/?soft=0`);
      await page.waitForTimeout(300);
      await navigate(page, 3);
      await page.waitForTimeout(1_200);
      await page.goto('about:blank');
      await waitFor(() => names(collector.received.map((r) => r.beacon)).includes('CLS'), () => collector.received);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await browser.close();
    }
    expect(pageViews().size).toBe(1);
    const reports = collector.received.flatMap((r) => r.beacon.reports);
    expect(reports.some((r) => r.navigationType == 'soft-navigation')).toBe(false);
    // INP of the clicks belongs to the page view of the load, under its URL and route.
    expect(reports.map((r) => r.name)).toContain('INP');
    for (const { beacon } of collector.received) {
      expect(beacon).toMatchObject({ url: `${collector.pageOrigin}/?soft=0`, route: '/' });
    }
  });
});

describe('back/forward cache', () => {
  it('reports a restore as a new page view that starts at the restore', async () => {
    collector.received.length = 0;
    const browser = await launch({ bfcache: true });
    try {
      const { page } = browser;
      await page.goto(`${collector.pageOrigin}/bf`);
      await page.waitForTimeout(300);
      await page.click('#away');
      await page.waitForURL('**/elsewhere');
      await page.goBack({ waitUntil: 'commit' }); // a restore fires no load event
      await page.waitForFunction(() => document.querySelector('h1') != null);
      expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
      await page.waitForTimeout(500);
      await page.goto('about:blank');
      await waitFor(() => pageViews().size == 2, () => [...pageViews().keys()]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await browser.close();
    }
    for (const { beacon } of collector.received) expect(validate(beacon)).toBeNull();
    const [load, restore] = [...pageViews().values()].sort((a, b) => a[0]!.timeOrigin - b[0]!.timeOrigin);
    expect(load!.flatMap((b) => b.reports).every((r) => r.navigationType == 'navigate')).toBe(true);
    const restored = restore!.flatMap((b) => b.reports);
    expect(restored.every((r) => r.navigationType == 'back-forward-cache')).toBe(true);
    expect(names(restore!)).toEqual(expect.arrayContaining(['FCP', 'LCP', 'TTFB']));
    expect(restore![0]!.navigationId).toBe(load![0]!.navigationId); // same document, later start
    expect(restore![0]!.timeOrigin).toBeGreaterThan(load![0]!.timeOrigin);
    // The restore's metric ids are new: the server stores them as another page view.
    const loadIds = new Set(load!.flatMap((b) => b.reports.map((r) => r.id)));
    expect(restored.some((r) => loadIds.has(r.id))).toBe(false);
  });
});
