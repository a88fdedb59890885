/** One metric over time, any of p50…p99, against the threshold bands. */
import { useDeploys } from '../api/deploys';
import type { Timeseries } from '../api/types';
import { useApi } from '../api/useApi';
import { Segmented } from '../components/MetricSwitch';
import { Panel } from '../components/Panel';
import { PERCENTILE_COLOURS, TrendChart } from '../components/TrendChart';
import { TrendTable } from '../components/TrendTable';
import { formatCount } from '../lib/format';
import { METRICS, type Metric } from '../lib/metrics';
import { PERCENTILES, type Percentile, type ViewState } from '../state/url';
import type { Navigate } from '../state/useUrlState';
import { timeseriesParams } from './Overview';

export function PercentilePicker({ value, onChange }: { value: Percentile[]; onChange: (value: Percentile[]) => void }) {
  const toggle = (p: Percentile) => {
    const next = value.includes(p) ? value.filter((v) => v != p) : [...value, p];
    if (next.length) onChange(PERCENTILES.filter((q) => next.includes(q)));
  };
  return (
    <fieldset className="checks" aria-label="Percentiles">
      <legend className="sr-only">Percentiles</legend>
      {PERCENTILES.map((p) => (
        <label key={p} className={value.includes(p) ? 'selected' : ''}>
          <input type="checkbox" checked={value.includes(p)} onChange={() => toggle(p)} />
          <span className="swatch" style={{ background: PERCENTILE_COLOURS[p] }} aria-hidden="true" />
          {p}
        </label>
      ))}
    </fieldset>
  );
}

export function Trends({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const series = useApi<Timeseries>(
    `/v1/projects/${state.project}/timeseries`,
    timeseriesParams(state, state.metric, state.percentiles),
  );
  const deploys = useDeploys(state);
  return (
    <div className="view-trends">
      <div className="view-toolbar">
        <Segmented<Metric> label="Metric" options={METRICS} value={state.metric} onChange={(metric) => navigate({ metric })} />
        <PercentilePicker value={state.percentiles} onChange={(percentiles) => navigate({ percentiles })} />
      </div>
      <Panel
        title={`${state.metric} over time`}
        state={series}
        testId="trends-panel"
        minHeight={300}
        isEmpty={(data) => data.points.every((p) => p.count == 0)}
        empty={`No ${state.metric} samples in this range.`}
        actions={
          series.data && (
            <span className="muted">
              {formatCount(series.data.points.reduce((s, p) => s + p.count, 0))} samples · {series.data.bucket} buckets
            </span>
          )
        }
      >
        {(data) => (
          <>
            <TrendChart
              metric={state.metric}
              points={data.points}
              percentiles={data.percentiles}
              from={data.range.from}
              to={data.range.to}
              height={320}
              deploys={deploys}
            />
            <p className="muted legend-line">
              Background bands: <span className="text-good">good</span>, <span className="text-ni">needs improvement</span>,{' '}
              <span className="text-poor">poor</span>. Hollow points rest on fewer than 30 samples. Bars: samples per bucket.
              Dashed vertical lines: deploys (hover one for its release).
            </p>
            <TrendTable metric={state.metric} points={data.points} percentiles={data.percentiles} deploys={deploys} />
          </>
        )}
      </Panel>
    </div>
  );
}
