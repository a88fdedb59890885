/**
 * The first screen: firing alerts (if any), the Core Web Vitals verdict, five metric tiles
 * and the chosen metric's trend.
 */
import { useEffect } from 'react';
import { useDeploys } from '../api/deploys';
import type { Summary, Timeseries, Verdict } from '../api/types';
import { useApi } from '../api/useApi';
import { AlertBanner } from '../components/AlertBanner';
import { MetricTile } from '../components/MetricTile';
import { Panel } from '../components/Panel';
import { TrendChart } from '../components/TrendChart';
import { RANGE_LENGTH_MS, chooseBucket } from '../lib/buckets';
import { CORE_WEB_VITALS, METRICS, type Metric } from '../lib/metrics';
import { type ViewState, deviceChoice, selectionParams } from '../state/url';
import type { Navigate } from '../state/useUrlState';
import { hrefFor } from '../state/useUrlState';
import { followLink } from './links';

export const OVERVIEW_READY = 'vitals:overview-ready';

const PREVIOUS: Record<string, string> = {
  '1h': 'previous hour',
  '24h': 'previous 24 hours',
  '7d': 'previous 7 days',
  '28d': 'previous 28 days',
  custom: 'previous period',
};

function ratingPhrase(metric: Metric, summary: Summary): string {
  const rating = summary.metrics[metric].current.rating;
  return `${metric} ${rating == 'poor' ? 'is poor' : 'needs improvement'}`;
}

export function verdictText(verdict: Verdict, summary: Summary): { title: string; detail: string } {
  if (verdict.status == 'insufficient_data') {
    return {
      title: 'Not enough data',
      detail: `No ${verdict.missing.join(', ')} samples in this range, so there is no verdict.`,
    };
  }
  if (verdict.status == 'passed') {
    return { title: 'Passed', detail: 'LCP, INP and CLS are all good at the 75th percentile.' };
  }
  return { title: 'Failed', detail: `${verdict.failing.map((m) => ratingPhrase(m, summary)).join('; ')} at the 75th percentile.` };
}

export function timeseriesParams(state: ViewState, metric: Metric, percentiles: string[]): URLSearchParams {
  const params = selectionParams(state);
  params.set('metric', metric);
  params.set('percentile', percentiles.join(','));
  const length =
    state.range == 'custom' ? Date.parse(state.to!) - Date.parse(state.from!) : RANGE_LENGTH_MS[state.range]!;
  params.set('bucket', chooseBucket(length));
  params.set('tz', Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  return params;
}

export function Overview({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const base = `/v1/projects/${state.project}`;
  const summary = useApi<Summary>(`${base}/summary`, selectionParams(state));
  const trend = useApi<Timeseries>(`${base}/timeseries`, timeseriesParams(state, state.metric, ['p75']));
  const deploys = useDeploys(state);
  const device = deviceChoice(state.filters);
  const ready = summary.data != null && trend.data != null && !summary.loading && !trend.loading;
  useEffect(() => {
    // For bench/dashboard: the moment every tile and the trend chart are on screen.
    if (ready) performance.mark(OVERVIEW_READY);
  }, [ready]);

  return (
    <div className="overview">
      <AlertBanner state={state} navigate={navigate} />
      <Panel
        title="Core Web Vitals"
        state={summary}
        testId="summary-panel"
        minHeight={220}
        className="summary-panel"
      >
        {(data) => {
          const verdict = verdictText(data.core_web_vitals, data);
          return (
            <>
              <div className={`verdict verdict-${data.core_web_vitals.status}`} data-testid="verdict" data-status={data.core_web_vitals.status}>
                <strong>{verdict.title}</strong> <span>{verdict.detail}</span>
                {device == 'all' && data.core_web_vitals.status != 'insufficient_data' && (
                  <span className="muted verdict-note">
                    {' '}
                    Google assesses mobile and desktop separately: pick one above for the official reading.
                  </span>
                )}
              </div>
              <div className="tiles">
                {METRICS.map((metric) => (
                  <MetricTile
                    key={metric}
                    metric={metric}
                    summary={data.metrics[metric]}
                    previousLabel={PREVIOUS[state.range]!}
                    selected={state.metric == metric}
                    onSelect={() => navigate({ metric }, { replace: true })}
                  />
                ))}
              </div>
              <p className="muted footnote">
                Core Web Vitals: {CORE_WEB_VITALS.join(', ')}. Values are the 75th percentile of page views in
                the range; tiles marked “low sample” rest on fewer than 30 page views.
              </p>
            </>
          );
        }}
      </Panel>
      <Panel
        title={`${state.metric} p75 over time`}
        state={trend}
        testId="overview-trend"
        minHeight={220}
        isEmpty={(data) => data.points.every((p) => p.count == 0)}
        empty={`No ${state.metric} samples in this range.`}
        actions={
          <a href={hrefFor(state, { view: 'trends' })} onClick={followLink(navigate, { view: 'trends' })}>
            Open in Trends →
          </a>
        }
      >
        {(data) => (
          <TrendChart
            metric={state.metric}
            points={data.points}
            percentiles={['p75']}
            from={data.range.from}
            to={data.range.to}
            height={220}
            compact
            deploys={deploys}
          />
        )}
      </Panel>
    </div>
  );
}
