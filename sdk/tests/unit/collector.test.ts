import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCollector } from '../../src/collector';
import type { Options } from '../../src/options';
import type { Beacon } from '../../src/wire';
import { metric } from '../support/metrics';
import { validate } from '../support/wire-rules';

const PAGE = 'https://shop.example.com/products/42?ref=home';

function collect(options: Partial<Options> = {}) {
  const sent: { beacon: Beacon; hidden: boolean; bytes: number }[] = [];
  const send = vi.fn((body: string, hidden: boolean) => {
    sent.push({ beacon: JSON.parse(body), hidden, bytes: new Blob([body]).size });
  });
  const collector = createCollector({ key: 'k', endpoint: 'https://c.example', ...options }, send);
  return { ...collector, send, sent };
}

afterEach(() => vi.restoreAllMocks());

describe('batching', () => {
  it('sends one valid beacon per page view with every report queued since the last flush', () => {
    const c = collect();
    for (const name of ['TTFB', 'FCP', 'LCP', 'CLS', 'INP']) c.add(metric({ name }));
    c.flush(true);
    expect(c.sent).toHaveLength(1);
    const { beacon, hidden } = c.sent[0]!;
    expect(hidden).toBe(true);
    expect(validate(beacon)).toBeNull();
    expect(beacon.reports.map((r) => r.name)).toEqual(['TTFB', 'FCP', 'LCP', 'CLS', 'INP']);
    expect(beacon).toMatchObject({
      v: 1,
      sdk: { name: 'vitals-sdk', version: expect.any(String) },
      url: PAGE,
      timeOrigin: Math.round(performance.timeOrigin),
      navigationId: '1',
      viewport: { width: innerWidth, height: innerHeight },
      sampleRate: 1,
    });
  });

  it('keeps only the latest value of a metric id that reports again (CLS, INP)', () => {
    const c = collect();
    c.add(metric({ name: 'CLS', id: 'cls-1', value: 0.05, delta: 0.05 }));
    c.add(metric({ name: 'CLS', id: 'cls-1', value: 0.2, delta: 0.15 }));
    c.flush(true);
    expect(c.sent[0]!.beacon.reports).toMatchObject([{ id: 'cls-1', value: 0.2, delta: 0.15 }]);
  });

  it('re-sends a grown value after a flush under the same id and time origin', () => {
    const c = collect();
    c.add(metric({ name: 'INP', id: 'inp-1', value: 80, delta: 80 }));
    c.flush(true);
    c.add(metric({ name: 'INP', id: 'inp-1', value: 300, delta: 220 }));
    c.flush(true);
    expect(c.sent.map((s) => s.beacon.reports[0]!.value)).toEqual([80, 300]);
    expect(c.sent[0]!.beacon.timeOrigin).toBe(c.sent[1]!.beacon.timeOrigin);
  });

  it('treats a bfcache restore as a new page view starting at the restore', () => {
    const c = collect();
    c.add(metric({ name: 'LCP' }));
    c.add(metric({ name: 'LCP', navigationType: 'back-forward-cache', navigationStartTime: 60_000.4 }));
    c.flush(true);
    expect(c.sent).toHaveLength(2);
    const [load, restore] = c.sent.map((s) => s.beacon);
    expect(restore!.timeOrigin).toBe(Math.round(performance.timeOrigin + 60_000.4));
    expect(restore!.reports[0]!.navigationType).toBe('back-forward-cache');
    expect(load!.timeOrigin).not.toBe(restore!.timeOrigin);
  });

  it('keys soft navigations by their navigationURL, id and start', () => {
    const c = collect();
    c.add(metric({ name: 'LCP' }));
    c.add(metric({
      name: 'LCP', navigationType: 'soft-navigation', navigationId: 7, navigationStartTime: 5000,
      navigationURL: 'https://shop.example.com/cart',
    }));
    c.flush(true);
    const soft = c.sent[1]!.beacon;
    expect(soft).toMatchObject({ url: 'https://shop.example.com/cart', navigationId: '7' });
    expect(soft.timeOrigin).toBe(Math.round(performance.timeOrigin + 5000));
    expect(validate(soft)).toBeNull();
  });

  it('flushes on its own once a beacon is full, so a long-lived page keeps a bounded queue', () => {
    const c = collect();
    for (let i = 0; i < 120; i++) c.add(metric({ name: 'CLS', value: 0.01, delta: 0.01 }));
    expect(c.sent.map((s) => s.beacon.reports.length)).toEqual([50, 50]);
    expect(c.sent.every((s) => !s.hidden)).toBe(true); // fetch, which can see a 429
    c.flush(true);
    expect(c.sent.map((s) => s.beacon.reports.length)).toEqual([50, 50, 20]);
  });

  it('delivers every report of many soft navigations exactly once', () => {
    const c = collect({ reportSoftNavs: true });
    const ids: string[] = [];
    for (let nav = 1; nav <= 1000; nav++) {
      for (const name of ['FCP', 'LCP', 'INP']) {
        const m = metric({
          name, navigationType: 'soft-navigation', navigationId: nav, navigationStartTime: nav * 100,
          navigationURL: `https://shop.example.com/p/${nav}`,
        });
        ids.push(m.id);
        c.add(m);
      }
    }
    c.flush(true);
    const sentIds = c.sent.flatMap((s) => s.beacon.reports.map((r) => r.id));
    expect(sentIds.sort()).toEqual(ids.sort());
    for (const { beacon } of c.sent) {
      const nav = Number(beacon.navigationId);
      expect(beacon.url).toBe(`https://shop.example.com/p/${nav}`);
    }
  });
});

describe('measurement order (seq)', () => {
  const sent = (c: ReturnType<typeof collect>) =>
    c.sent.map(({ beacon }) => ({ seq: beacon.seq, ids: beacon.reports.map((r) => r.id) }));

  it('numbers consecutive flushes of one page view 0, 1, 2, so a later value of an id carries a higher seq', () => {
    const c = collect();
    for (const [value, delta] of [[0.05, 0.05], [0.2, 0.15], [0.31, 0.11]]) {
      c.add(metric({ name: 'CLS', id: 'cls-1', value, delta }));
      c.flush(true);
    }
    expect(c.sent.map(({ beacon }) => [beacon.seq, beacon.reports[0]!.value])).toEqual([
      [0, 0.05], [1, 0.2], [2, 0.31],
    ]);
    for (const { beacon } of c.sent) expect(validate(beacon)).toBeNull();
  });

  it('counts only beacons sent: an empty flush or a sampled-out view takes no number', () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(0.9).mockReturnValue(0.1);
    const c = collect({ sampleRate: 0.5 });
    c.add(metric({ navigationId: 1 })); // sampled out
    c.flush(true);
    c.flush(true);
    c.add(metric({ navigationId: 2, id: 'lcp-2' }));
    c.flush(true);
    expect(sent(c)).toEqual([{ seq: 0, ids: ['lcp-2'] }]);
  });

  it('keeps counting across page views (bfcache restore, soft navigation) rather than restarting', () => {
    const c = collect();
    c.add(metric({ name: 'CLS', id: 'load' }));
    c.flush(true);
    c.add(metric({ name: 'CLS', id: 'restore', navigationType: 'back-forward-cache', navigationStartTime: 60_000 }));
    c.add(metric({
      name: 'CLS', id: 'soft', navigationType: 'soft-navigation', navigationId: 2,
      navigationStartTime: 90_000, navigationURL: 'https://shop.example.com/cart',
    }));
    c.flush(true);
    c.add(metric({ name: 'CLS', id: 'load', value: 0.3, delta: 0.25 }));
    c.flush(true);
    expect(sent(c)).toEqual([
      { seq: 0, ids: ['load'] }, { seq: 1, ids: ['restore'] }, { seq: 2, ids: ['soft'] },
      { seq: 3, ids: ['load'] },
    ]);
  });

  it('gives a page view evicted from the queue and reported again a number above the ones it had', () => {
    const c = collect();
    c.add(metric({ name: 'CLS', id: 'first', navigationId: 1 }));
    c.flush(true);
    // Eight more page views fill the queue's map, which is flushed and emptied.
    for (let nav = 2; nav <= 9; nav++) c.add(metric({ navigationId: nav, navigationStartTime: nav }));
    c.add(metric({ name: 'CLS', id: 'first', navigationId: 1, value: 0.4, delta: 0.35 }));
    c.flush(true);
    const first = c.sent.filter(({ beacon }) => beacon.reports[0]!.id == 'first');
    expect(first.map(({ beacon }) => beacon.reports[0]!.value)).toEqual([0.05, 0.4]);
    expect(first[1]!.beacon.seq).toBeGreaterThan(first[0]!.beacon.seq!);
    expect(first[1]!.beacon.timeOrigin).toBe(first[0]!.beacon.timeOrigin);
  });

  it('gives the halves of a split beacon the same number: they hold different ids', () => {
    const c = collect();
    const wide = '€'.repeat(512); // 49 of them make 75 KB, over the 60 KiB limit
    for (let i = 0; i < 49; i++) c.add(metric({ name: 'INP', attribution: { interactionTarget: wide } }));
    c.flush(true);
    c.add(metric());
    c.flush(true);
    const seqs = c.sent.map(({ beacon }) => beacon.seq);
    expect(seqs.length).toBeGreaterThan(2);
    expect(new Set(seqs.slice(0, -1))).toEqual(new Set([0]));
    expect(seqs.at(-1)).toBe(1);
  });
});

describe('empty batches', () => {
  it('sends nothing when nothing is queued, nor twice for one batch', () => {
    const c = collect();
    c.flush(true);
    c.add(metric());
    c.flush(true);
    c.flush(true);
    c.flush(false);
    expect(c.send).toHaveBeenCalledTimes(1);
  });

  it('sends nothing when beforeSend drops the beacon or empties it', () => {
    const c = collect({ beforeSend: (b) => (b.url.includes('/products/') ? { ...b, reports: [] } : b) });
    c.add(metric());
    c.flush(true);
    const d = collect({ beforeSend: () => null });
    d.add(metric());
    d.flush(true);
    expect(c.send).not.toHaveBeenCalled();
    expect(d.send).not.toHaveBeenCalled();
  });

  it('lets beforeSend rewrite a beacon', () => {
    const c = collect({ beforeSend: (b) => ({ ...b, url: b.url.split('?')[0]! }) });
    c.add(metric());
    c.flush(true);
    expect(c.sent[0]!.beacon.url).toBe('https://shop.example.com/products/42');
  });
});

describe('splitting', () => {
  it('splits a batch over 60 KiB into beacons that each fit, losing no report', () => {
    const c = collect();
    const long = 'div.x'.repeat(200); // cut to the 512-character selector limit
    for (let i = 0; i < 49; i++) {
      c.add(metric({
        name: 'INP', attribution: { interactionTarget: long, loadState: 'complete' },
      }));
      c.add(metric({
        name: 'LCP', attribution: { target: long, url: `https://cdn.example.com/${'a'.repeat(3000)}` },
      }));
    }
    c.flush(true);
    expect(c.sent.length).toBeGreaterThan(1);
    for (const { beacon, bytes } of c.sent) {
      expect(bytes).toBeLessThanOrEqual(60 * 1024);
      expect(validate(beacon)).toBeNull();
    }
    expect(c.sent.reduce((n, s) => n + s.beacon.reports.length, 0)).toBe(98);
  });

  it('counts bytes, not characters, against the limit', () => {
    const c = collect();
    const wide = '€'.repeat(512); // 3 bytes each in UTF-8: 75 KB in 25 k characters
    for (let i = 0; i < 49; i++) c.add(metric({ name: 'INP', attribution: { interactionTarget: wide } }));
    c.flush(true);
    expect(c.sent.length).toBeGreaterThan(1);
    for (const { bytes } of c.sent) expect(bytes).toBeLessThanOrEqual(60 * 1024);
  });
});

describe('sampling', () => {
  it('decides once per page view and applies it to all of its reports', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValueOnce(0.7).mockReturnValueOnce(0.2);
    const c = collect({ sampleRate: 0.5 });
    for (const name of ['TTFB', 'FCP', 'LCP']) c.add(metric({ name, navigationId: 1 }));
    for (const name of ['TTFB', 'FCP', 'LCP']) c.add(metric({ name, navigationId: 2 }));
    c.flush(true);
    expect(random).toHaveBeenCalledTimes(2);
    expect(c.sent).toHaveLength(1);
    expect(c.sent[0]!.beacon).toMatchObject({ navigationId: '2', sampleRate: 0.5 });
    expect(c.sent[0]!.beacon.reports).toHaveLength(3);
  });

  it('keeps about the configured share of page views', () => {
    const c = collect({ sampleRate: 0.25 });
    for (let nav = 1; nav <= 4000; nav++) c.add(metric({ navigationId: nav }));
    c.flush(true);
    const kept = c.sent.reduce((n, s) => n + s.beacon.reports.length, 0);
    expect(kept).toBeGreaterThan(800);
    expect(kept).toBeLessThan(1200);
  });

  it('sends nothing at rate 0 and never claims a rate above 1', () => {
    const none = collect({ sampleRate: 0 });
    none.add(metric());
    none.flush(true);
    expect(none.send).not.toHaveBeenCalled();
    const all = collect({ sampleRate: 3 });
    all.add(metric());
    all.flush(true);
    expect(all.sent[0]!.beacon.sampleRate).toBe(1);
  });
});

describe('route override', () => {
  it('sends a fixed route template beside the real URL', () => {
    const c = collect({ route: '/products/:id' });
    c.add(metric());
    c.flush(true);
    expect(c.sent[0]!.beacon).toMatchObject({ url: PAGE, route: '/products/:id' });
    expect(validate(c.sent[0]!.beacon)).toBeNull();
  });

  it('asks a route function once per page view, with that page view URL', () => {
    const route = vi.fn((url: string) => (new URL(url).pathname.startsWith('/p/') ? '/p/:id' : undefined));
    const c = collect({ route });
    c.add(metric({ name: 'TTFB' }));
    c.add(metric({ name: 'FCP' }));
    c.add(metric({
      navigationType: 'soft-navigation', navigationId: 2, navigationStartTime: 900,
      navigationURL: 'https://shop.example.com/p/77',
    }));
    c.flush(true);
    expect(route.mock.calls).toEqual([[PAGE], ['https://shop.example.com/p/77']]);
    const [load, soft] = c.sent.map((s) => s.beacon);
    expect(soft).toMatchObject({ url: 'https://shop.example.com/p/77', route: '/p/:id' });
    expect(validate(soft)).toBeNull();
    // No template: the field is left out and the server derives one from the path.
    expect(load!.url).toBe(PAGE);
    expect('route' in load!).toBe(false);
  });

  it('leaves out an empty template and cuts a long one to the 256-character wire limit', () => {
    const empty = collect({ route: () => '' });
    empty.add(metric());
    empty.flush(true);
    expect('route' in empty.sent[0]!.beacon).toBe(false);
    const long = collect({ route: `/${'segment/'.repeat(60)}` });
    long.add(metric());
    long.flush(true);
    expect(long.sent[0]!.beacon.route).toHaveLength(256);
    expect(validate(long.sent[0]!.beacon)).toBeNull();
  });
});

describe('release', () => {
  it('names the release on every page view, as given', () => {
    const c = collect({ release: 'räksmörgås-🚀-2026.12.06' });
    c.add(metric());
    c.add(metric({ navigationType: 'soft-navigation', navigationId: 2, navigationStartTime: 900 }));
    c.flush(true);
    expect(c.sent.map((s) => s.beacon.release)).toEqual([
      'räksmörgås-🚀-2026.12.06', 'räksmörgås-🚀-2026.12.06',
    ]);
    for (const s of c.sent) expect(validate(s.beacon)).toBeNull();
  });

  it('leaves out an empty release and cuts a long one to 64 characters, never inside a character', () => {
    const empty = collect({ release: '' });
    empty.add(metric());
    empty.flush(true);
    expect('release' in empty.sent[0]!.beacon).toBe(false);
    // 63 ASCII characters and then emoji: UTF-16 slicing at 64 would split a surrogate pair.
    const long = collect({ release: `${'r'.repeat(63)}${'🚀'.repeat(10)}` });
    long.add(metric());
    long.flush(true);
    expect(long.sent[0]!.beacon.release).toBe(`${'r'.repeat(63)}🚀`);
    expect(validate(long.sent[0]!.beacon)).toBeNull();
  });
});

describe('values ingest would refuse', () => {
  beforeEach(() => vi.spyOn(console, 'log').mockImplementation(() => {}));

  it('drops an absurd report instead of losing the whole beacon to a 400', () => {
    const c = collect({ debug: true });
    c.add(metric({ name: 'INP', value: 700_000, delta: 700_000 }));
    c.add(metric({ name: 'LCP', value: -1, delta: -1 }));
    c.add(metric({ name: 'CLS', value: Number.NaN, delta: Number.NaN }));
    c.add(metric({ name: 'FCP', value: 900, delta: 900 }));
    c.flush(true);
    expect(c.sent[0]!.beacon.reports.map((r) => r.name)).toEqual(['FCP']);
    expect(console.log).toHaveBeenCalled();
  });

  it('cuts over-long URLs to the wire limit', () => {
    const c = collect();
    c.add(metric({
      navigationType: 'soft-navigation', navigationId: 3, navigationStartTime: 1,
      navigationURL: `https://shop.example.com/search?q=${'x'.repeat(5000)}`,
    }));
    c.flush(true);
    expect(c.sent[0]!.beacon.url).toHaveLength(2048);
    expect(validate(c.sent[0]!.beacon)).toBeNull();
  });
});

describe('connection', () => {
  it('copies the Network Information fields, and only those', () => {
    const connection = { effectiveType: '4g', rtt: 50, saveData: false, downlink: 10, type: 'wifi' };
    Object.defineProperty(navigator, 'connection', { value: connection, configurable: true });
    try {
      const c = collect();
      c.add(metric());
      c.flush(true);
      expect(c.sent[0]!.beacon.connection).toEqual({ effectiveType: '4g', rtt: 50, saveData: false });
    } finally {
      delete (navigator as { connection?: unknown }).connection;
    }
  });
});
