/**
 * The live view's model: per-metric rolling windows fed by `vitals` events' bin deltas,
 * seeded at every (re)connect from the stored last five minutes, and the page-view feed.
 */
import type { HistogramBucket, LiveBatch, LivePageView } from '../api/types';
import { GAMMA, METRICS, type Metric, SPECS, ZERO_BIN, isMetric } from './metrics';
import { RollingHistogram, parseBinDeltas } from './rolling';

export const FEED_MAX = 50;

/**
 * A histogram answer's buckets as (bin, count) pairs. Each bucket spans whole bins
 * (its start and end are bin edges); its count goes to its middle bin, so the seeded p75
 * is within half a bucket's width of the stored one.
 */
export function binsFromHistogram(metric: Metric, buckets: HistogramBucket[]): [number, number][] {
  const scale = SPECS[metric].unitScale;
  const logGamma = Math.log(GAMMA);
  const bins: [number, number][] = [];
  for (const bucket of buckets) {
    if (bucket.count <= 0) continue;
    if (bucket.end == 0) {
      bins.push([ZERO_BIN, bucket.count]);
      continue;
    }
    const last = Math.round(Math.log(bucket.end * scale) / logGamma);
    const first = Math.round(Math.log(bucket.start * scale) / logGamma) + 1;
    bins.push([Math.floor((first + last) / 2), bucket.count]);
  }
  return bins;
}

export interface FeedItem {
  key: number;
  at: number;
  view: LivePageView;
}

export class LiveModel {
  readonly windows = new Map<Metric, RollingHistogram>(METRICS.map((m) => [m, new RollingHistogram()]));
  feed: FeedItem[] = [];
  received = 0;
  private nextKey = 0;

  constructor(readonly projectId: number) {}

  /** Folds in one `vitals` event; false when it is another project's. */
  apply(batch: LiveBatch, now: number): boolean {
    if (batch.project_id != this.projectId) return false;
    for (const [name, deltas] of Object.entries(batch.bins ?? {})) {
      if (isMetric(name)) this.windows.get(name)!.add(parseBinDeltas(deltas), now);
    }
    // Page views come oldest first; the feed shows the newest on top.
    const views = [...(batch.page_views ?? [])].reverse();
    this.received += views.length;
    this.feed = [...views.map((view) => ({ key: this.nextKey++, at: now, view })), ...this.feed].slice(0, FEED_MAX);
    return true;
  }

  /** After a (re)connect: whatever the window held may have missed events; start again from the store. */
  reset(): void {
    for (const window of this.windows.values()) window.clear();
  }

  seed(metric: Metric, bins: [number, number][], now: number): void {
    this.windows.get(metric)!.add(bins, now);
  }

  p75(metric: Metric, now: number): number | null {
    return this.windows.get(metric)!.quantile(metric, 0.75, now);
  }

  samples(metric: Metric, now: number): number {
    return this.windows.get(metric)!.samples(now);
  }
}
