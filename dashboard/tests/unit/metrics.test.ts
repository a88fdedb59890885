/**
 * The bin math against what the Python services compute (tests/fixtures/bins.json, made by
 * make_bins.py from contracts.metrics, the realtime RollingHistogram and merge_bins).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binsFromHistogram } from '../../src/lib/live';
import { GAMMA, METRICS, type Metric, RATINGS, ZERO_BIN, binEdge, binOf, binValue, quantileBin, rating } from '../../src/lib/metrics';
import { RollingHistogram } from '../../src/lib/rolling';
import type { HistogramBucket } from '../../src/api/types';

interface Fixture {
  gamma: number;
  zero_bin: number;
  metrics: Record<Metric, { values: { value: number; bin: number; rating: number }[]; bins: { bin: number; value: number }[] }>;
  quantiles: { counts: [number, number][]; expected: Record<string, number> }[];
  rolling: { window_s: number; slice_s: number; steps: { at_s: number; deltas: [number, number][]; p75_bin: number | null; samples: number }[] };
  histograms: { metric: Metric; buckets: HistogramBucket[]; bin_ranges: [number, number][] }[];
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/bins.json', import.meta.url), 'utf8'));

describe('constants', () => {
  it('match the Python ones', () => {
    expect(GAMMA).toBe(fixture.gamma);
    expect(ZERO_BIN).toBe(fixture.zero_bin);
  });
});

describe.each(METRICS)('%s', (metric) => {
  const { values, bins } = fixture.metrics[metric];

  it('puts every value in the same bin as contracts.metrics.bin_of', () => {
    for (const { value, bin } of values) expect([value, binOf(metric, value)]).toEqual([value, bin]);
  });

  it('rates every value as contracts.metrics.rating', () => {
    for (const { value, rating: expected } of values) expect([value, rating(metric, value)]).toEqual([value, RATINGS[expected]]);
  });

  it('gives each bin the representative value of bin_value', () => {
    for (const { bin, value } of bins) {
      if (value == 0) expect(binValue(metric, bin)).toBe(0);
      else expect(Math.abs(binValue(metric, bin) - value) / value).toBeLessThan(1e-12);
    }
  });

  it('keeps a bin value inside its bin', () => {
    for (const { bin } of bins) if (bin != ZERO_BIN) expect(binOf(metric, binValue(metric, bin))).toBe(bin);
  });
});

describe('quantileBin', () => {
  it('walks summed bins to the nearest-rank sample like the realtime server', () => {
    for (const { counts, expected } of fixture.quantiles) {
      const map = new Map(counts);
      for (const [q, bin] of Object.entries(expected)) expect(quantileBin(map, Number(q))).toBe(bin);
    }
  });

  it('is null without samples and takes the first sample for tiny q', () => {
    expect(quantileBin(new Map(), 0.75)).toBeNull();
    expect(quantileBin(new Map([[5, 0]]), 0.75)).toBeNull();
    expect(quantileBin(new Map([[7, 1], [3, 1]]), 0.0001)).toBe(3);
  });

  it('counts the zero bin first', () => {
    expect(quantileBin(new Map([[400, 1], [ZERO_BIN, 3]]), 0.75)).toBe(ZERO_BIN);
    expect(quantileBin(new Map([[400, 2], [ZERO_BIN, 2]]), 0.75)).toBe(400);
  });
});

describe('RollingHistogram', () => {
  it('follows a stream of deltas, replacements and expiry exactly as services/realtime/status.py', () => {
    const { window_s, slice_s, steps } = fixture.rolling;
    const window = new RollingHistogram(window_s * 1000, slice_s * 1000);
    for (const step of steps) {
      const now = step.at_s * 1000;
      window.add(step.deltas, now);
      expect(window.samples(now)).toBe(step.samples);
      expect(quantileBin(window.totals, 0.75)).toBe(step.p75_bin);
    }
  });

  it('forgets everything once the window has passed', () => {
    const window = new RollingHistogram(300_000, 10_000);
    window.add([[500, 4]], 0);
    expect(window.quantile('LCP', 0.75, 299_999)).toBeCloseTo(binValue('LCP', 500));
    expect(window.quantile('LCP', 0.75, 300_000)).toBeNull();
    expect(window.samples(300_000)).toBe(0);
  });
});

describe('binsFromHistogram', () => {
  it('puts each merged bucket on its middle bin, the zero bucket on the zero bin', () => {
    for (const { metric, buckets, bin_ranges } of fixture.histograms) {
      const bins = binsFromHistogram(metric, buckets);
      const expected = buckets
        .map((b, i) => [Math.floor((bin_ranges[i]![0] + bin_ranges[i]![1]) / 2), b.count] as [number, number])
        .filter(([, n]) => n > 0);
      expect(bins).toEqual(expected);
    }
  });

  it('reads the bucket edges as the bin edges of query/histogram.py', () => {
    for (const { metric, buckets, bin_ranges } of fixture.histograms) {
      buckets.forEach((bucket, i) => {
        if (bucket.end == 0) return;
        const [first, last] = bin_ranges[i]!;
        expect(Math.abs(binEdge(metric, last) - bucket.end) / bucket.end).toBeLessThan(1e-12);
        expect(Math.abs(binEdge(metric, first - 1) - bucket.start) / bucket.start).toBeLessThan(1e-12);
      });
    }
  });
});
