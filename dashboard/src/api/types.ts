/** The query service's answers (services/query/*.py Structs), as the dashboard reads them. */
import type { Metric, Rating } from '../lib/metrics';

export type Unit = 'ms' | 'score';

export interface Window {
  from: string;
  to: string;
  tz: string;
}

export interface RatingCounts {
  good: number;
  needs_improvement: number;
  poor: number;
}

export type RatingShares = RatingCounts;

export interface Stats {
  count: number;
  low_sample: boolean;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  rating: Rating | null;
  ratings: RatingCounts;
  shares: RatingShares;
}

export interface Change {
  p75: number | null;
  p75_delta: number | null;
  count: number | null;
  good_share: number | null;
}

export interface MetricSummary {
  metric: Metric;
  unit: Unit;
  current: Stats;
  previous: Stats;
  change: Change;
}

export interface Verdict {
  status: 'passed' | 'failed' | 'insufficient_data';
  failing: Metric[];
  missing: Metric[];
}

export interface Summary {
  project_id: number;
  range: Window;
  previous_range: Window;
  filters: Record<string, string[]>;
  core_web_vitals: Verdict;
  metrics: Record<Metric, MetricSummary>;
}

export interface Point {
  start: string;
  end: string;
  count: number;
  low_sample: boolean;
  values: Record<string, number | null>;
  shares: RatingShares;
}

export interface Timeseries {
  project_id: number;
  metric: Metric;
  unit: Unit;
  bucket: string;
  percentiles: string[];
  range: Window;
  filters: Record<string, string[]>;
  points: Point[];
}

export interface Group {
  value: string;
  count: number;
  low_sample: boolean;
  p75: number | null;
  percentile: number | null;
  rating: Rating | null;
  ratings: RatingCounts;
  shares: RatingShares;
}

export interface Breakdown {
  project_id: number;
  metric: Metric;
  unit: Unit;
  dimension: string;
  percentile: string;
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
  total: number;
  range: Window;
  filters: Record<string, string[]>;
  groups: Group[];
}

export interface HistogramBucket {
  start: number;
  end: number;
  count: number;
  good: number;
  needs_improvement: number;
  poor: number;
}

export interface Histogram {
  project_id: number;
  metric: Metric;
  unit: Unit;
  count: number;
  thresholds: { good: number; poor: number };
  range: Window;
  filters: Record<string, string[]>;
  buckets: HistogramBucket[];
}

export interface Phase {
  name: string;
  mean: number | null;
  p75: number | null;
}

export interface Attributed {
  value: string;
  count: number;
  share: number;
  low_sample: boolean;
  p75: number | null;
  phases: Phase[];
}

export interface Attribution {
  project_id: number;
  metric: Metric;
  unit: Unit;
  count: number;
  p75: number | null;
  phases: Phase[];
  groups: Record<string, Attributed[]>;
  range: Window;
  filters: Record<string, string[]>;
}

/** A deploy marker (services/query/reads/releases.py Deploy). */
export interface Deploy {
  release: string;
  at: string;
  url: string | null;
  description: string | null;
}

export interface DeployList {
  project_id: number;
  range: Window;
  deploys: Deploy[];
}

/** services/query/releases.py ListedRelease: samples per metric over the days it was seen. */
export interface ListedRelease {
  name: string;
  first_seen: string;
  last_seen: string;
  deployed_at: string | null;
  samples: Record<Metric, number>;
}

export interface ReleaseList {
  project_id: number;
  releases: ListedRelease[];
}

/** services/query/significance.py: one side, the change between them, and the verdict. */
export interface SideSummary {
  count: number;
  p75: number | null;
  good_share: number | null;
}

export type ComparisonVerdict = 'regressed' | 'improved' | 'unchanged' | 'insufficient_data';

export interface Comparison {
  verdict: ComparisonVerdict;
  release: SideSummary;
  baseline: SideSummary;
  change: {
    /** 0.18: the release's p75 is 18 % higher than the baseline's */
    p75_relative: number | null;
    p75_ci95: [number, number] | null;
    p_value: number | null;
    /** -0.05: five points fewer good samples */
    good_share_delta: number | null;
    good_share_ci95: [number, number] | null;
  };
}

export interface RouteComparison {
  route: string;
  /** null: every device of the route together */
  device: string | null;
  comparison: Comparison;
}

export interface MetricComparison {
  overall: Comparison;
  devices: Record<string, Comparison>;
  routes: RouteComparison[];
}

export interface ReleaseComparison {
  project_id: number;
  release: string;
  from: string;
  to: string;
  /** null: no release came before this one */
  baseline: { kind: 'release' | 'window'; release: string | null; from: string; to: string } | null;
  metrics: Partial<Record<Metric, MetricComparison>>;
}

export interface IssuedToken {
  token: string;
  expires_at: string;
  projects: number[];
}

/** The `vitals` Socket.IO event (services/contracts/live.py LiveBatch). */
export interface LiveBatch {
  v: number;
  project_id: number;
  counts: Record<string, number>;
  bins: Record<string, Record<string, number>>;
  page_views: LivePageView[];
}

export interface LivePageView {
  route: string;
  device: string;
  country: string;
  values: { metric: string; value: number; rating: string }[];
}

/** The `status` Socket.IO event (services/realtime/pending_contract.py LiveStatus). */
export interface LiveStatus {
  v: number;
  project_id: number;
  metric: string;
  p75: number;
  rating: string;
  previous: string | null;
  samples: number;
  window_s: number;
}
