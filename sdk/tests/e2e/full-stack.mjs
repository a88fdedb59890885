/**
 * The SDK in Debian's headless Chromium against the real running system, for the pytest
 * end-to-end tests (tests/e2e/sdk): `node full-stack.mjs '<json config>'` serves a test
 * page on `pagePort`, makes every metric happen in it, leaves it (which flushes the
 * beacons to `ingestUrl`), prints `{"event":"left"}` and keeps the browser open until its
 * standard input closes, so no beacon in flight is cut off while the test waits for the
 * workers. Then it prints what it saw as one JSON line; the Python tests hold the
 * assertions about what was stored and what the query API answers.
 *
 * Scenarios: `script-tag` loads the IIFE bundle from ingest's /sdk/vitals.js with
 * data-key and data-endpoint; `spa` imports the ESM build (`distDir`/vitals.mjs) in a
 * small single-page app whose router declares its route template, and changes route.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const config = JSON.parse(process.argv[2]);
const { scenario, ingestUrl, pagePort, key, distDir } = config;
// The script tag's data-release, when the test names one (the releases issue's e2e).
const RELEASE_ATTRIBUTE = config.release ? ` data-release="${config.release}"` : '';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 30_000;
// Upper bound on waiting for the test to say it is done: a stuck test must not leave
// a browser behind.
const HOLD_MS = config.holdMs ?? 180_000;

// A slow handler (about 300 ms of main-thread work before the next paint) for INP.
const SLOW_BUY = `
  document.getElementById('buy').addEventListener('click', (event) => {
    const end = performance.now() + 300;
    while (performance.now() < end);
    event.target.textContent = 'Added';
  });`;

// A late banner pushes the content down: a layout shift with no input before it.
const LATE_BANNER = `
  document.getElementById('hero').addEventListener('load', () => setTimeout(() => {
    const banner = document.createElement('div');
    banner.style.height = '120px';
    banner.textContent = 'Free shipping today';
    document.getElementById('slot').append(banner);
  }, 200));`;

// The button stays in view: a click that first scrolls produced no Event Timing entry
// in headless Chromium (tests/browser/smoke.test.ts).
const SCRIPT_TAG_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title>
<script src="${ingestUrl}/sdk/vitals.js" data-key="${key}" data-endpoint="${ingestUrl}"${RELEASE_ATTRIBUTE} defer></script>
</head><body>
<h1>Vitals full-stack page</h1>
<div id="slot"></div>
<main><img id="hero" src="/hero.png" width="400" height="250" alt=""></main>
<p><button id="buy">Buy</button></p>
<script>${LATE_BANNER}${SLOW_BUY}</script>
</body></html>`;

const SPA_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>spa</title></head><body>
<nav><a id="next" href="/items/1">Item 1</a></nav>
<div id="slot"></div>
<main id="view"><h1>Shop</h1><img id="hero" src="/hero.png" width="400" height="250" alt=""></main>
<script type="module">
  import { init } from '/sdk/vitals.mjs';
  init({
    key: '${key}',
    endpoint: '${ingestUrl}',
    reportSoftNavs: true,
    // What the app's router knows; a path it does not template is left to the server.
    route: (url) => (new URL(url).pathname.startsWith('/items/') ? '/items/:itemId' : undefined),
  });
  ${LATE_BANNER}
  document.getElementById('next').addEventListener('click', (event) => {
    event.preventDefault();
    history.pushState({}, '', '/items/1');
    const title = document.createElement('h1');
    title.textContent = 'Item 1';
    const text = document.createElement('p');
    text.textContent = 'Details of item 1. '.repeat(40);
    const buy = document.createElement('button');
    buy.id = 'buy';
    buy.textContent = 'Buy';
    document.getElementById('view').replaceChildren(title, text, buy);
    ${SLOW_BUY}
  });
</script>
</body></html>`;

/** A solid-colour PNG (as tests/browser/harness.ts makes), so LCP is a real image. */
function png(width, height) {
  const row = Buffer.alloc(1 + width * 3, 0x50);
  row[0] = 0; // filter: none
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function serve() {
  const hero = png(400, 250);
  const page = scenario == 'spa' ? SPA_PAGE : SCRIPT_TAG_PAGE;
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname == '/hero.png') {
      // Late enough that the image, not the heading, is the largest contentful paint.
      setTimeout(() => res.writeHead(200, { 'content-type': 'image/png' }).end(hero), 150);
    } else if (pathname == '/sdk/vitals.mjs') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(distDir, 'vitals.mjs')));
    } else if (pathname == '/favicon.ico') {
      res.writeHead(204).end(); // not a 404 in the page's console
    } else if (pathname == '/' || pathname.startsWith('/items/')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(pagePort, '127.0.0.1', () => resolve(server)));
}

async function scriptTag(page, origin) {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.getElementById('slot').childElementCount > 0);
  await page.waitForTimeout(600); // no input within 500 ms of the shift, so it counts
  await page.click('#buy');
  await page.waitForFunction(() => document.getElementById('buy').textContent == 'Added');
}

async function spa(page, origin) {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.getElementById('slot').childElementCount > 0);
  await page.waitForTimeout(600);
  await page.click('#next'); // a real click: soft navigations need trusted input
  await page.waitForURL('**/items/1');
  await page.waitForTimeout(500); // the new view paints: its FCP and LCP
  await page.click('#buy');
  await page.waitForFunction(() => document.getElementById('buy').textContent == 'Added');
}

const stdinClosed = new Promise((resolve) => {
  process.stdin.on('end', resolve);
  process.stdin.on('close', resolve);
  process.stdin.resume();
});

const server = await serve();
const origin = `http://127.0.0.1:${pagePort}`;
const profile = mkdtempSync(join(tmpdir(), 'vitals-e2e-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});
const observed = { scenario, errors: [], urls: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (error) => observed.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() == 'error') observed.errors.push(`console: ${message.text()}`);
  });
  await (scenario == 'spa' ? spa : scriptTag)(page, origin);
  // web-vitals reads Event Timing entries in an idle callback, which headless Chromium
  // runs only at its 1 s timeout; a page hidden sooner reports no INP.
  await page.waitForTimeout(1_200);
  observed.urls.push(page.url());
  await page.goto('about:blank'); // leaving hides the page: the SDK flushes
  console.log(JSON.stringify({ event: 'left' }));
  await Promise.race([stdinClosed, new Promise((resolve) => setTimeout(resolve, HOLD_MS))]);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.close();
}
console.log(JSON.stringify(observed));
// Playwright's and the server's idle handles would keep the process alive.
process.exit(0);
