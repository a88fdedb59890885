/**
 * The script-tag bundle in a real headless Chromium: a real LCP (an image), a real layout
 * shift and a real slow click (INP), then the page goes away; the beacons that reach the
 * fake collector carry all five metrics with their attribution and obey the wire rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/wire';
import { validate } from '../support/wire-rules';
import { type Collector, buildBundles, launch, startCollector, waitFor } from './harness';

// The button must stay in view: a click that first scrolls it there produced no Event
// Timing entries in headless Chromium, so no INP.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>smoke</title>
<script src="{{collector}}/sdk/vitals.js" data-key="smoke-key" data-endpoint="{{collector}}" defer></script>
</head><body>
<h1>Vitals smoke page</h1>
<div id="slot"></div>
<main><img id="hero" src="/hero.png" width="400" height="250" alt=""></main>
<p><button id="buy">Buy</button></p>
<script>
  const hero = document.getElementById('hero');
  const buy = document.getElementById('buy');
  // A late banner pushes the image and the button down: a layout shift with no input.
  hero.addEventListener('load', () => setTimeout(() => {
    const banner = document.createElement('div');
    banner.style.height = '120px';
    banner.textContent = 'Free shipping today';
    document.getElementById('slot').append(banner);
  }, 200));
  // A slow handler: about 300 ms of main-thread work before the next paint.
  buy.addEventListener('click', () => {
    const end = performance.now() + 300;
    while (performance.now() < end);
    buy.textContent = 'Added';
  });
</script>
</body></html>`;

let bundles: Awaited<ReturnType<typeof buildBundles>>;
let collector: Collector;

beforeAll(async () => {
  bundles = await buildBundles();
  collector = await startCollector(bundles.dir);
  collector.pages.set('/', PAGE);
});
afterAll(async () => {
  await collector?.close();
  bundles?.dispose();
});

/** Loads the page, makes every metric happen, then leaves it the way `leave` says. */
async function visit(leave: (b: Awaited<ReturnType<typeof launch>>) => Promise<unknown>) {
  collector.received.length = 0;
  collector.requests.length = 0;
  const browser = await launch();
  try {
    const { page } = browser;
    await page.goto(`${collector.pageOrigin}/`);
    await page.waitForFunction(() => document.getElementById('slot')!.childElementCount > 0);
    await page.waitForTimeout(600); // no input within 500 ms of the shift, so it counts
    await page.click('#buy');
    await page.waitForFunction(() => document.getElementById('buy')!.textContent == 'Added');
    // web-vitals reads Event Timing entries in an idle callback, which headless Chromium runs
    // only at its 1 s timeout; a page hidden sooner reports no INP (web-vitals' own race).
    await page.waitForTimeout(1_200);
    const storage = await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length]);
    expect(collector.received).toHaveLength(0); // nothing leaves while the page is open
    await leave(browser);
    const names = () => new Set(collector.received.flatMap((r) => r.beacon.reports.map((x) => x.name)));
    await waitFor(() => names().size == 5, () => [[...names()], collector.requests]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { storage };
  } finally {
    await browser.close();
  }
}

const reportsByName = () => {
  const reports = new Map<string, Report>();
  for (const { beacon } of collector.received) for (const r of beacon.reports) reports.set(r.name, r);
  return reports;
};

describe('the script-tag bundle in Chromium', () => {
  it('beacons all five metrics with attribution when the user navigates away', async () => {
    const { storage } = await visit(({ page }) => page.goto('about:blank'));
    const reports = reportsByName();

    const lcp = reports.get('LCP')!;
    expect(lcp.value).toBeGreaterThan(0);
    expect(lcp.attribution?.target).toBe('#hero');
    expect(lcp.attribution?.url).toBe(`${collector.pageOrigin}/hero.png`);
    expect(lcp.attribution?.resourceLoadDuration).toBeGreaterThan(100);

    const cls = reports.get('CLS')!;
    expect(cls.value).toBeGreaterThan(0);
    expect(cls.attribution?.largestShiftTarget).toBeTruthy();

    const inp = reports.get('INP')!;
    expect(inp.value).toBeGreaterThanOrEqual(300);
    expect(inp.attribution).toMatchObject({ interactionTarget: '#buy', interactionType: 'pointer' });
    expect(inp.attribution!.processingDuration).toBeGreaterThanOrEqual(290);

    expect(reports.get('FCP')!.attribution?.firstByteToFCP).toBeGreaterThanOrEqual(0);
    expect(reports.get('TTFB')!.attribution?.requestDuration).toBeGreaterThanOrEqual(0);

    for (const { beacon, key, contentType } of collector.received) {
      expect(validate(beacon)).toBeNull();
      expect(beacon).toMatchObject({ url: `${collector.pageOrigin}/`, sampleRate: 1, viewport: { width: 1280 } });
      expect(key).toBe('smoke-key');
      expect(contentType).toMatch(/^text\/plain/); // sendBeacon with a string body
      expect(Math.abs(beacon.timeOrigin - Date.now())).toBeLessThan(60_000);
    }
    // One page view: every beacon shares its time origin and navigation id.
    expect(new Set(collector.received.map((r) => `${r.beacon.timeOrigin} ${r.beacon.navigationId}`)).size).toBe(1);
    // Cross-origin and still no preflight; nothing stored on the device.
    expect(collector.requests.filter((r) => r.startsWith('OPTIONS'))).toEqual([]);
    expect(storage).toEqual(['', 0, 0]);
  });

  it('beacons them too when the tab is closed', async () => {
    await visit(({ page }) => page.close({ runBeforeUnload: true }));
    const reports = reportsByName();
    expect([...reports.keys()].sort()).toEqual(['CLS', 'FCP', 'INP', 'LCP', 'TTFB']);
    expect(reports.get('INP')!.attribution?.interactionTarget).toBe('#buy');
    for (const { beacon } of collector.received) expect(validate(beacon)).toBeNull();
  });
});
