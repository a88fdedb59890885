import { describe, expect, it } from 'vitest';
import type { LiveBatch } from '../../src/api/types';
import { FEED_MAX, LiveModel } from '../../src/lib/live';
import { binValue } from '../../src/lib/metrics';
import { parseBinDeltas } from '../../src/lib/rolling';

function batch(projectId: number, routes: string[], bins: Record<string, Record<string, number>> = {}): LiveBatch {
  return {
    v: 1,
    project_id: projectId,
    counts: {},
    bins,
    page_views: routes.map((route) => ({ route, device: 'mobile', country: 'FR', values: [] })),
  };
}

describe('parseBinDeltas', () => {
  it('reads JSON object keys as bin numbers and skips anything else', () => {
    const deltas = parseBinDeltas({ '-32768': 2, '712': -1, x: 3, '5': 'a' });
    expect(deltas.sort((a, b) => a[0] - b[0])).toEqual([[-32768, 2], [712, -1]]);
    expect(parseBinDeltas(null)).toEqual([]);
  });
});

describe('LiveModel', () => {
  it('ignores other projects’ events', () => {
    const model = new LiveModel(1);
    expect(model.apply(batch(2, ['/x'], { LCP: { '500': 1 } }), 0)).toBe(false);
    expect(model.feed).toEqual([]);
    expect(model.samples('LCP', 0)).toBe(0);
  });

  it('shows the newest page view first and keeps the latest few', () => {
    const model = new LiveModel(1);
    model.apply(batch(1, ['/a', '/b']), 0);
    model.apply(batch(1, ['/c']), 1);
    expect(model.feed.map((i) => i.view.route)).toEqual(['/c', '/b', '/a']);
    model.apply(batch(1, Array.from({ length: FEED_MAX + 5 }, (_, i) => `/p${i}`)), 2);
    expect(model.feed).toHaveLength(FEED_MAX);
    expect(model.feed[0]!.view.route).toBe(`/p${FEED_MAX + 4}`);
    expect(model.received).toBe(FEED_MAX + 8);
  });

  it('keeps a p75 per metric from the bin deltas, replacements included', () => {
    const model = new LiveModel(1);
    model.apply(batch(1, [], { LCP: { '700': 3, '800': 1 }, CLS: { '-32768': 4 } }), 0);
    expect(model.p75('LCP', 0)).toBe(binValue('LCP', 700));
    expect(model.p75('CLS', 0)).toBe(0);
    // A re-sent value moves a report from bin 700 to 900.
    model.apply(batch(1, [], { LCP: { '700': -1, '900': 1 } }), 1000);
    expect(model.p75('LCP', 1000)).toBe(binValue('LCP', 800));
    expect(model.samples('LCP', 1000)).toBe(4);
    expect(model.p75('INP', 1000)).toBeNull();
  });

  it('starts again from the seed after a reset', () => {
    const model = new LiveModel(1);
    model.apply(batch(1, [], { TTFB: { '600': 5 } }), 0);
    model.reset();
    model.seed('TTFB', [[650, 2]], 10);
    expect(model.samples('TTFB', 10)).toBe(2);
    expect(model.p75('TTFB', 10)).toBe(binValue('TTFB', 650));
  });
});
