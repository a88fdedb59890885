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
