/**
 * The golden files of tests/wire/v1 (shared with the Python tests) hold the SDK's types
 * and its runtime check to the same definition of a beacon as ingest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCollector } from '../../src/collector';
import type { Beacon } from '../../src/wire';
import { metric } from '../support/metrics';
import { decode, validate } from '../support/wire-rules';

const V1 = join(__dirname, '../../../tests/wire/v1');
const files = (dir: string) =>
  readdirSync(join(V1, dir)).filter((f) => f.endsWith('.json') && f != 'expected.json').sort();
const read = (dir: string, file: string) => readFileSync(join(V1, dir, file), 'utf8');

describe('valid golden files', () => {
  it('exist', () => expect(files('valid').length).toBeGreaterThanOrEqual(5));

  it.each(files('valid'))('%s decodes into a Beacon', (file) => {
    const beacon: Beacon = decode(read('valid', file));
    expect(beacon.v).toBe(1);
    expect(beacon.reports.length).toBeGreaterThan(0);
  });
});

describe('the route field', () => {
  const spa = () => JSON.parse(read('valid', 'spa-route.json'));

  it('carries the router template of a soft navigation beside its real URL', () => {
    const beacon = decode(read('valid', 'spa-route.json'));
    expect(beacon.route).toBe('/orders/:orderId');
    expect(beacon.url).toBe('https://app.example.com/orders/98765?tab=items');
    expect(beacon.reports.every((r) => r.navigationType == 'soft-navigation')).toBe(true);
  });

  it('is 1 to 256 characters, or absent, or null', () => {
    const { route: _, ...without } = spa();
    expect(validate(without)).toBeNull();
    expect(validate({ ...spa(), route: null })).toBeNull();
    expect(validate({ ...spa(), route: 'x'.repeat(256) })).toBeNull();
    expect(validate({ ...spa(), route: '' })).toMatch(/route/);
    expect(validate({ ...spa(), route: 'x'.repeat(257) })).toMatch(/route/);
  });
});

describe('the seq field', () => {
  const minimal = () => JSON.parse(read('valid', 'minimal.json'));

  it('numbers the re-report after the first beacon, which leaves it out as older SDKs do', () => {
    expect('seq' in decode(read('valid', 'full.json'))).toBe(false);
    expect(decode(read('valid', 'cls-rereport.json')).seq).toBe(1);
  });

  it('is an integer from 0 to 2^31 - 1, or absent', () => {
    expect(validate(minimal())).toBeNull();
    expect(validate({ ...minimal(), seq: 0 })).toBeNull();
    expect(validate({ ...minimal(), seq: 2 ** 31 - 1 })).toBeNull();
    for (const seq of [-1, 1.5, 2 ** 31, null, '1']) {
      expect(validate({ ...minimal(), seq }), String(seq)).toMatch(/seq/);
    }
  });
});

describe('invalid golden files', () => {
  const expected: Record<string, { rule: string }> = JSON.parse(read('invalid', 'expected.json'));

  it('exist, each with its stated rule', () => {
    expect(files('invalid').length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(expected).sort()).toEqual(files('invalid'));
  });

  it.each(files('invalid'))('%s is refused', (file) => {
    expect(() => decode(read('invalid', file)), expected[file]?.rule).toThrow();
  });
});

describe('what the SDK sends', () => {
  it('is valid for every metric and navigation type', () => {
    const bodies: string[] = [];
    const c = createCollector({ key: 'k', endpoint: 'https://c.example' }, (body) => bodies.push(body));
    const types = ['navigate', 'reload', 'back-forward', 'back-forward-cache', 'prerender', 'restore', 'soft-navigation'];
    types.forEach((navigationType, i) => {
      for (const name of ['TTFB', 'FCP', 'LCP', 'CLS', 'INP']) {
        c.add(metric({
          name, navigationType, navigationId: i + 1, navigationStartTime: i * 1000,
          navigationURL: `https://shop.example.com/n/${i}`,
        }));
      }
    });
    c.flush(true);
    expect(bodies).toHaveLength(types.length);
    for (const body of bodies) expect(() => decode(body)).not.toThrow();
  });
});
