/**
 * What the browser tests share: the built bundles, a tiny HTTP server that serves test
 * pages and also plays the collector (recording every beacon), and Debian's Chromium
 * driven by playwright-core (a test tool's own browser download does not work here).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { type BrowserContext, chromium } from 'playwright-core';
// @ts-expect-error build.mjs is plain JavaScript
import { build } from '../../build.mjs';
import type { Beacon } from '../../src/wire';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Received {
  beacon: Beacon;
  key: string | null;
  contentType: string | undefined;
  body: string;
}

/** Builds dist into a temporary folder, so the tests run the bundles as shipped. */
export async function buildBundles(): Promise<{ dir: string; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-dist-'));
  await build(dir, { types: false });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A solid-colour PNG, so the LCP candidate is a real image without a fixture file. */
function png(width: number, height: number): Buffer {
  const row = Buffer.alloc(1 + width * 3, 0x50);
  row[0] = 0; // filter: none
  const chunk = (type: string, data: Buffer) => {
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

export interface Collector {
  /** Pages are served from here... */
  pageOrigin: string;
  /** ...and beacons go here: another origin, so a CORS preflight would show. */
  collectorOrigin: string;
  received: Received[];
  requests: string[];
  /** Test pages by path; `{{collector}}` is replaced by collectorOrigin. */
  pages: Map<string, string>;
  close: () => Promise<void>;
}

export async function startCollector(distDir: string): Promise<Collector> {
  const hero = png(400, 250);
  const received: Received[] = [];
  const requests: string[] = [];
  const pages = new Map<string, string>();
  let collectorOrigin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname == '/v1/beacon') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({
          beacon: JSON.parse(body),
          key: url.searchParams.get('key'),
          contentType: req.headers['content-type'],
          body,
        });
        res.writeHead(202, { 'access-control-allow-origin': '*' }).end();
      });
      return;
    }
    if (url.pathname.startsWith('/sdk/')) {
      const file = url.pathname.slice('/sdk/'.length);
      const type = file.endsWith('.map') ? 'application/json' : 'text/javascript';
      try {
        return void res.writeHead(200, { 'content-type': type }).end(readFileSync(join(distDir, file)));
      } catch {
        return void res.writeHead(404).end();
      }
    }
    if (url.pathname == '/hero.png') {
      // Late enough that the image, not the heading, is the largest contentful paint.
      setTimeout(() => res.writeHead(200, { 'content-type': 'image/png' }).end(hero), 150);
      return;
    }
    const page = pages.get(url.pathname) ?? pages.get('*');
    if (page == null) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page.replaceAll('{{collector}}', collectorOrigin));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  collectorOrigin = `http://localhost:${port}`;
  return {
    pageOrigin: `http://127.0.0.1:${port}`,
    collectorOrigin,
    received,
    requests,
    pages,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Debian's Chromium in new headless mode with a fresh profile. Playwright turns the
 * back/forward cache off by default; `bfcache: true` leaves it on.
 */
export async function launch(options: { bfcache?: boolean } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'vitals-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    ignoreDefaultArgs: options.bfcache ? ['--disable-back-forward-cache'] : undefined,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
  // A persistent context opens with one tab; use it.
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function waitFor(check: () => boolean, what: () => unknown, timeout = 5_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting; got ${JSON.stringify(what())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
