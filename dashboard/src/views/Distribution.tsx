/** How one metric's values spread, split by rating. */
import type { Histogram, Summary } from '../api/types';
import { useApi } from '../api/useApi';
import { HistogramChart } from '../components/HistogramChart';
import { Segmented } from '../components/MetricSwitch';
import { Panel } from '../components/Panel';
import { LowSample, RatingBar } from '../components/RatingBar';
import { formatCount, formatValue } from '../lib/format';
import { METRICS, type Metric } from '../lib/metrics';
import { type ViewState, selectionParams } from '../state/url';
import type { Navigate } from '../state/useUrlState';

export function Distribution({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const base = `/v1/projects/${state.project}`;
  const params = selectionParams(state);
  params.set('metric', state.metric);
  params.set('buckets', '40');
  const histogram = useApi<Histogram>(`${base}/histogram`, params);
  // The same request as the overview's, so usually already at hand.
  const summary = useApi<Summary>(`${base}/summary`, selectionParams(state));
  const stats = summary.data?.metrics[state.metric].current;
  return (
    <div className="view-distribution">
      <div className="view-toolbar">
        <Segmented<Metric> label="Metric" options={METRICS} value={state.metric} onChange={(metric) => navigate({ metric })} />
      </div>
      <Panel
        title={`${state.metric} distribution`}
        state={histogram}
        testId="distribution-panel"
        minHeight={300}
        isEmpty={(data) => data.count == 0}
        empty={`No ${state.metric} samples in this range.`}
      >
        {(data) => (
          <>
            {stats && (
              <dl className="stat-row">
                {(['p50', 'p75', 'p90', 'p95', 'p99'] as const).map((p) => (
                  <div key={p}>
                    <dt>{p}</dt>
                    <dd>{formatValue(state.metric, stats[p])}</dd>
                  </div>
                ))}
                <div>
                  <dt>samples</dt>
                  <dd>
                    {formatCount(data.count)} {stats.low_sample && <LowSample count={stats.count} />}
                  </dd>
                </div>
                <div className="stat-wide">
                  <dt>ratings</dt>
                  <dd>
                    <RatingBar shares={stats.shares} legend />
                  </dd>
                </div>
              </dl>
            )}
            <HistogramChart metric={state.metric} buckets={data.buckets} height={300} />
            <p className="muted legend-line">
              Buckets of equal width on a log scale; the marks are the thresholds ({formatValue(state.metric, data.thresholds.good)} and{' '}
              {formatValue(state.metric, data.thresholds.poor)}). Use ←/→ on the chart to read each bucket.
            </p>
          </>
        )}
      </Panel>
    </div>
  );
}
