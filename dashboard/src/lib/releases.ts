/**
 * A release comparison (services/query/comparison.py) as the rows a reader scans:
 * overall, each device class, each route (all devices, then each), regressions first.
 */
import type { Comparison, ComparisonVerdict, MetricComparison } from '../api/types';

export type Scope =
  | { kind: 'overall' }
  | { kind: 'device'; device: string }
  | { kind: 'route'; route: string; device: string | null };

export interface ComparisonRow {
  scope: Scope;
  comparison: Comparison;
}

const ORDER: Record<ComparisonVerdict, number> = { regressed: 0, improved: 1, unchanged: 2, insufficient_data: 3 };

/** How far a row moved in its verdict's direction: the biggest regression, the biggest gain first. */
function weight(row: ComparisonRow): number {
  const change = row.comparison.change.p75_relative ?? 0;
  if (row.comparison.verdict == 'regressed') return -change;
  if (row.comparison.verdict == 'improved') return change;
  return 0; // unchanged and too few samples keep overall → devices → routes
}

/**
 * Every scope of one metric, regressed rows first, then improved, unchanged, too few
 * samples. A regression on one route and device outranks a diluted one overall when it is
 * larger: that is the one to look at first.
 */
export function comparisonRows(metric: MetricComparison): ComparisonRow[] {
  const rows: ComparisonRow[] = [
    { scope: { kind: 'overall' }, comparison: metric.overall },
    ...Object.entries(metric.devices).map(([device, comparison]) => ({
      scope: { kind: 'device', device } as const,
      comparison,
    })),
    ...metric.routes.map((r) => ({
      scope: { kind: 'route', route: r.route, device: r.device } as const,
      comparison: r.comparison,
    })),
  ];
  // Array.sort is stable: rows of equal rank keep the order above.
  return rows.sort((a, b) => ORDER[a.comparison.verdict] - ORDER[b.comparison.verdict] || weight(a) - weight(b));
}

export function regressionCount(metric: MetricComparison | undefined): number {
  return metric ? comparisonRows(metric).filter((r) => r.comparison.verdict == 'regressed').length : 0;
}

export function scopeLabel(scope: Scope): string {
  if (scope.kind == 'overall') return 'All page views';
  if (scope.kind == 'device') return `All routes · ${scope.device}`;
  return `${scope.route} · ${scope.device ?? 'all devices'}`;
}

export const VERDICT_LABELS: Record<ComparisonVerdict, string> = {
  regressed: 'Regressed',
  improved: 'Improved',
  unchanged: 'No significant change',
  insufficient_data: 'Too few samples',
};
