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

/* Alerts (services/query/alerts.py; rules and destinations as services/contracts/alerts.py
   shapes them, written through the admin service). */
export type RuleKind = 'threshold' | 'regression' | 'silence';
export type Statistic = 'p75' | 'good_share';
export type Crossing = 'above' | 'below';
export type DeviceName = 'desktop' | 'mobile' | 'tablet' | 'other';

export interface AlertRule {
  id: number;
  project_id: number;
  kind: RuleKind;
  name: string;
  enabled: boolean;
  hysteresis_ratio: number;
  resolve_after_minutes: number;
  cooldown_minutes: number;
  created_at: string;
  updated_at: string;
  // Each kind's own fields; the other kinds' are absent.
  metric?: Metric;
  statistic?: Statistic;
  comparison?: Crossing;
  threshold?: number;
  window_minutes?: number;
  min_samples?: number;
  route?: string;
  device?: DeviceName;
  country?: string;
  browser?: string;
  metrics?: Metric[];
  devices?: DeviceName[];
  silence_minutes?: number;
}

export type RuleStatusName = 'firing' | 'ok' | 'pending' | 'disabled';

export interface RuleStatus {
  rule: AlertRule;
  status: RuleStatusName;
  since: string | null;
  evaluated_at: string | null;
  value: number | null;
  samples: number | null;
  release: string | null;
  recovering_since: string | null;
}

export interface AlertsNow {
  project_id: number;
  firing: number;
  rules: RuleStatus[];
}

export interface AlertDetails {
  rule_name?: string | null;
  metric?: Metric | null;
  statistic?: Statistic | null;
  comparison?: Crossing | null;
  value?: number | null;
  threshold?: number | null;
  window_minutes?: number | null;
  samples?: number | null;
  filters?: { route?: string | null; device?: string | null; country?: string | null; browser?: string | null };
  release?: string | null;
  link?: string | null;
  message?: string | null;
}

export type Transition = 'firing' | 'resolved' | 'test';

export interface AlertEvent {
  id: number;
  rule_id: number | null;
  transition: Transition;
  at: string;
  details: AlertDetails;
}

export interface AlertHistory {
  project_id: number;
  events: AlertEvent[];
  next_before: string | null;
}

export interface Delivery {
  id: number;
  event_id: number;
  transition: Transition;
  rule_id: number | null;
  rule_name: string | null;
  destination_id: number;
  destination: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  idempotency_key: string;
}

export interface DeliveryLog {
  project_id: number;
  deliveries: Delivery[];
  next_before: string | null;
}

/** The admin service's destination, as anyone may see it: the URL's origin, no secret. */
export interface AlertDestination {
  id: number;
  project_id: number;
  name: string;
  url_origin: string;
  format: 'generic' | 'slack';
  created_at: string;
}

export interface CreatedDestination {
  secret: string;
  destination: AlertDestination;
}

export interface TestNotification {
  delivery_id: number;
  idempotency_key: string;
  status: string;
}
