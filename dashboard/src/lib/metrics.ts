/**
 * The metric vocabulary and histogram bins of services/contracts/metrics.py, ported
 * one-to-one (tests/unit/metrics.test.ts checks it against values the Python computes).
 *
 * Bin i holds values in (γ^(i-1), γ^i] of the metric's histogram unit (ms; CLS in
 * thousandths), γ = (1+α)/(1-α) with α = 1 % (DDSketch); zero has its own bin.
 */

export const METRICS = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'] as const;
export type Metric = (typeof METRICS)[number];
export const CORE_WEB_VITALS: readonly Metric[] = ['LCP', 'INP', 'CLS'];

export const RATINGS = ['good', 'needs-improvement', 'poor'] as const;
export type Rating = (typeof RATINGS)[number];

export interface MetricSpec {
  /** good ≤ goodMax */
  goodMax: number;
  /** poor > poorMin */
  poorMin: number;
  /** metric value × unitScale = histogram unit */
  unitScale: number;
  unit: 'ms' | 'score';
  label: string;
}

// web-vitals' own thresholds, as in SPECS.
export const SPECS: Record<Metric, MetricSpec> = {
  LCP: { goodMax: 2500, poorMin: 4000, unitScale: 1, unit: 'ms', label: 'Largest Contentful Paint' },
  INP: { goodMax: 200, poorMin: 500, unitScale: 1, unit: 'ms', label: 'Interaction to Next Paint' },
  CLS: { goodMax: 0.1, poorMin: 0.25, unitScale: 1000, unit: 'score', label: 'Cumulative Layout Shift' },
  FCP: { goodMax: 1800, poorMin: 3000, unitScale: 1, unit: 'ms', label: 'First Contentful Paint' },
  TTFB: { goodMax: 800, poorMin: 1800, unitScale: 1, unit: 'ms', label: 'Time to First Byte' },
};

export const ALPHA = 0.01;
export const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** smallint's minimum: sorts before every real bin, as in the database. */
export const ZERO_BIN = -32768;

export function isMetric(name: unknown): name is Metric {
  return typeof name == 'string' && (METRICS as readonly string[]).includes(name);
}

export function rating(metric: Metric, value: number): Rating {
  const spec = SPECS[metric];
  if (value <= spec.goodMax) return 'good';
  if (value <= spec.poorMin) return 'needs-improvement';
  return 'poor';
}

export function binOf(metric: Metric, value: number): number {
  const scaled = value * SPECS[metric].unitScale;
  if (scaled <= 0) return ZERO_BIN;
  return Math.ceil(Math.log(scaled) / LOG_GAMMA);
}

/** The bin's representative value in the metric's unit: within α of anything in it. */
export function binValue(metric: Metric, bin: number): number {
  if (bin == ZERO_BIN) return 0;
  return (2 * GAMMA ** bin) / (GAMMA + 1) / SPECS[metric].unitScale;
}

/** The upper edge of a bin in the metric's unit (services/query/histogram.py `edge`). */
export function binEdge(metric: Metric, bin: number): number {
  return GAMMA ** bin / SPECS[metric].unitScale;
}

/**
 * The bin holding the nearest-rank q-quantile of summed bin counts: the ceil(q·n)-th
 * sample, walking bins in order (the zero bin first). Null when there are no samples.
 */
export function quantileBin(counts: ReadonlyMap<number, number>, q: number): number | null {
  let samples = 0;
  for (const n of counts.values()) if (n > 0) samples += n;
  if (samples <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * samples));
  const bins = [...counts.keys()].filter((b) => (counts.get(b) ?? 0) > 0).sort((a, b) => a - b);
  let seen = 0;
  for (const bin of bins) {
    seen += counts.get(bin)!;
    if (seen >= rank) return bin;
  }
  return null; // unreachable: the walk ends at `samples` ≥ rank
}

export function quantile(metric: Metric, counts: ReadonlyMap<number, number>, q: number): number | null {
  const bin = quantileBin(counts, q);
  return bin == null ? null : binValue(metric, bin);
}
