/**
 * Size budget of the built bundles, gzip level 9 (Node's zlib, what a Node server or CDN
 * makes of them). Builds into a temporary folder, so it needs no earlier `npm run build`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { build, bundle } from '../../build.mjs';

const KiB = 1024;
let dir: string;
const gz = (file: string) => gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-size-'));
  await build(dir, { types: false });
  await bundle(dir, { file: 'baseline.js', entry: 'tests/support/web-vitals-only.ts', format: 'iife' });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('size budget', () => {
  it('keeps our own code (web-vitals left out) within 2 KiB', () => {
    const size = gz('vitals.external.mjs');
    console.info(`own code: ${size} B gz`);
    expect(size).toBeLessThanOrEqual(2 * KiB);
  });

  // Issue 6 asks 6 KiB (6,144 B) for the whole bundle. It cannot be met without dropping
  // behaviour; measured through this pipeline (B gz, web-vitals 6.2.3):
  //   web-vitals' standard build, five metrics                       3,245
  //   its attribution build (baseline.js)                            5,413
  //     the attribution's share: INP 1,308, LCP 385, TTFB and FCP 264, CLS 210
  //   + our code, 1,329: a bare core (keying, queue, JSON, sendBeacon, init) ~770,
  //     every option, check and the attribution copy the rest       = 6,742
  // web-vitals plus that bare core alone would be ~6,180. Computing attribution ourselves
  // moves bytes rather than saving them (the wire's field names and web-vitals' formulas
  // have to be in the bundle either way): our own TTFB, FCP and LCP attribution left the
  // bundle at 6,620 and our code at 2.6 KiB, over its own 2 KiB; INP's too, ~6,170 and
  // 3.2 KiB. So the budgets are the tightest that hold: each self-contained bundle at its
  // measured size rounded up to the next 0.05 KiB (6,742 and 6,617 B), and our code over
  // web-vitals at 1.35 KiB (1,329 B; 1.3 KiB would leave two bytes, and this check is the
  // one that still means something if a web-vitals upgrade changes the baseline).
  // The release option (issue 13), cut by code point, then took the IIFE to 6,780 B: its
  // budget is 6.65 KiB (6,809 B) since.
  it('adds at most 1.35 KiB to web-vitals in the script-tag bundle, 6.65 KiB in all', () => {
    const [whole, baseline] = [gz('vitals.js'), gz('baseline.js')];
    console.info(`IIFE: ${whole} B gz, web-vitals alone: ${baseline} B gz, ours: +${whole - baseline} B`);
    expect(whole - baseline).toBeLessThanOrEqual(1.35 * KiB);
    expect(whole).toBeLessThanOrEqual(6.65 * KiB);
  });

  it('keeps the self-contained ESM bundle within 6.5 KiB', () => {
    const size = gz('vitals.mjs');
    console.info(`ESM, self-contained: ${size} B gz`);
    expect(size).toBeLessThanOrEqual(6.5 * KiB);
  });

  it('ships source maps that point back to our TypeScript', () => {
    for (const file of ['vitals.js', 'vitals.mjs', 'vitals.external.mjs']) {
      expect(readFileSync(join(dir, file), 'utf8')).toContain(`//# sourceMappingURL=${file}.map`);
      const map = JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8'));
      expect(map.sources.some((s: string) => s.endsWith('src/collector.ts'))).toBe(true);
    }
  });
});
