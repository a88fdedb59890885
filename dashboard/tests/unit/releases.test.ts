import { describe, expect, it } from 'vitest';
import type { Comparison, ComparisonVerdict, MetricComparison } from '../../src/api/types';
import { comparisonRows, regressionCount, scopeLabel } from '../../src/lib/releases';

function compared(verdict: ComparisonVerdict, p75Relative: number | null): Comparison {
  const side = { count: 300, p75: 2000, good_share: 0.7 };
  return {
    verdict,
    release: side,
    baseline: side,
    change: { p75_relative: p75Relative, p75_ci95: null, p_value: null, good_share_delta: null, good_share_ci95: null },
  };
}

/** Shaped like the query service's answer for a release slower on /checkout on mobile. */
const LCP: MetricComparison = {
  overall: compared('regressed', 0.09),
  devices: { desktop: compared('unchanged', 0.01), mobile: compared('regressed', 0.18), tablet: compared('insufficient_data', null) },
  routes: [
    { route: '/checkout', device: 'mobile', comparison: compared('regressed', 0.4) },
    { route: '/checkout', device: null, comparison: compared('regressed', 0.2) },
    { route: '/home', device: null, comparison: compared('improved', -0.05) },
    { route: '/search', device: null, comparison: compared('improved', -0.12) },
    { route: '/checkout', device: 'desktop', comparison: compared('unchanged', 0.0) },
    { route: '/home', device: 'desktop', comparison: compared('unchanged', -0.01) },
  ],
};

const labels = (metric: MetricComparison) => comparisonRows(metric).map((r) => scopeLabel(r.scope));

describe('comparisonRows', () => {
  it('lists regressions first, the largest first, even before a smaller regression overall', () => {
    expect(labels(LCP).slice(0, 4)).toEqual([
      '/checkout · mobile', '/checkout · all devices', 'All routes · mobile', 'All page views',
    ]);
  });

  it('then improvements, the largest first, then no change and too few samples in reading order', () => {
    expect(labels(LCP).slice(4)).toEqual([
      '/search · all devices', '/home · all devices',
      'All routes · desktop', '/checkout · desktop', '/home · desktop',
      'All routes · tablet',
    ]);
  });

  it('keeps overall, devices and routes in order when nothing changed', () => {
    const calm: MetricComparison = {
      overall: compared('unchanged', 0.01),
      devices: { mobile: compared('unchanged', 0.02) },
      routes: [{ route: '/a', device: null, comparison: compared('unchanged', -0.01) }],
    };
    expect(labels(calm)).toEqual(['All page views', 'All routes · mobile', '/a · all devices']);
  });
});

describe('regressionCount', () => {
  it('counts every regressed scope of a metric, and none for a metric without an answer', () => {
    expect(regressionCount(LCP)).toBe(4);
    expect(regressionCount(undefined)).toBe(0);
  });
});
