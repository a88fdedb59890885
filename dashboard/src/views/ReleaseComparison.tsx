/**
 * One release against its baseline, metric by metric: every scope (overall, device class,
 * route and device) with p75 before → after, the relative change and its 95 % interval,
 * the good-share change and the verdict, regressions first (lib/releases.ts).
 */
import { useId } from 'react';
import type { Comparison, ListedRelease, ReleaseComparison } from '../api/types';
import { useApi } from '../api/useApi';
import { Segmented } from '../components/MetricSwitch';
import { Panel } from '../components/Panel';
import {
  formatChange, formatChangeInterval, formatCount, formatDateTime, formatPoints, formatPointsInterval, formatShare,
  formatValue,
} from '../lib/format';
import { METRICS, type Metric } from '../lib/metrics';
import { type ComparisonRow, VERDICT_LABELS, comparisonRows, regressionCount, scopeLabel } from '../lib/releases';
import { type ViewState, setFilter } from '../state/url';
import { type Navigate, hrefFor } from '../state/useUrlState';
import { followLink } from './links';

interface ComparisonPanelProps {
  state: ViewState;
  navigate: Navigate;
  release: string;
  releases: ListedRelease[];
}

function BaselinePicker({ release, releases, value, onChange }: {
  release: string;
  releases: ListedRelease[];
  value: string;
  onChange: (baseline: string) => void;
}) {
  const id = useId();
  return (
    <div className="baseline-picker">
      <label htmlFor={id} className="control-label">
        Compared with
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">the release before</option>
        {releases
          .filter((r) => r.name != release)
          .map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
      </select>
    </div>
  );
}

function ChangeCell({ comparison }: { comparison: Comparison }) {
  const change = formatChange(comparison.change.p75_relative);
  const interval = formatChangeInterval(comparison.change.p75_ci95);
  if (!change) return <>—</>;
  return (
    <>
      <span className={`change-${change.direction}`}>{change.text}</span>
      {interval && <span className="ci">95% CI {interval}</span>}
    </>
  );
}

function GoodShareCell({ comparison }: { comparison: Comparison }) {
  const delta = formatPoints(comparison.change.good_share_delta);
  const interval = formatPointsInterval(comparison.change.good_share_ci95);
  return (
    <>
      {formatShare(comparison.baseline.good_share)} → {formatShare(comparison.release.good_share)}
      {delta && <span className={`ci change-${delta.direction}`}>{delta.text}</span>}
      {interval && <span className="ci">95% CI {interval}</span>}
    </>
  );
}

function ComparisonTable({ metric, rows }: { metric: Metric; rows: ComparisonRow[] }) {
  return (
    <div className="table-scroll">
      <table className="comparison-table">
        <thead>
          <tr>
            <th scope="col">Where</th>
            <th scope="col" className="num">p75 before → after</th>
            <th scope="col" className="num">p75 change</th>
            <th scope="col" className="num">Good before → after</th>
            <th scope="col" className="num">Samples</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ scope, comparison: c }) => (
            <tr
              key={scopeLabel(scope)}
              data-testid="comparison-row"
              data-scope={scope.kind}
              data-route={scope.kind == 'route' ? scope.route : undefined}
              data-device={scope.kind == 'overall' ? undefined : (scope.device ?? 'all')}
              data-verdict={c.verdict}
            >
              <th scope="row" className={`group-value${scope.kind == 'route' ? ' mono' : ''}`}>
                {scopeLabel(scope)}
              </th>
              <td className="num">
                {formatValue(metric, c.baseline.p75)} → {formatValue(metric, c.release.p75)}
              </td>
              <td className="num">
                <ChangeCell comparison={c} />
              </td>
              <td className="num">
                <GoodShareCell comparison={c} />
              </td>
              <td className="num">
                {formatCount(c.baseline.count)} → {formatCount(c.release.count)}
              </td>
              <td>
                <span className={`verdict-badge verdict-badge-${c.verdict}`}>{VERDICT_LABELS[c.verdict]}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ComparisonPanel({ state, navigate, release, releases }: ComparisonPanelProps) {
  // ?release=, not a path segment: a release named like a branch (feature/x) has a "/".
  const params = new URLSearchParams({
    release,
    ...(state.baseline ? { baseline: state.baseline } : {}),
  });
  const answer = useApi<ReleaseComparison>(
    `/v1/projects/${state.project}/releases/comparison`,
    params,
  );
  const data = answer.data;
  // The switch says where the regressions are, so none hides behind another metric.
  const names = Object.fromEntries(
    METRICS.map((m) => {
      const n = regressionCount(data?.metrics[m]);
      return [m, n ? `${m} · ${n} regressed` : m];
    }),
  );
  const against = data?.baseline?.release ?? (state.baseline || 'the release before');
  return (
    <>
      <div className="view-toolbar">
        <BaselinePicker release={release} releases={releases} value={state.baseline} onChange={(baseline) => navigate({ baseline })} />
        <Segmented<Metric> label="Metric" options={METRICS} value={state.metric} names={names} onChange={(metric) => navigate({ metric })} />
      </div>
      <Panel
        title={
          <>
            <span className="mono">{release}</span> against <span className="mono">{against}</span>
          </>
        }
        state={answer}
        testId="comparison-panel"
        minHeight={240}
        isEmpty={(d) => d.baseline == null}
        empty={`No release came before ${release}: choose a release to compare it with.`}
        actions={
          data?.baseline && (
            <ReleaseLinks state={state} navigate={navigate} release={data.release} from={data.from} to={data.to} />
          )
        }
      >
        {(d) => {
          const metric = d.metrics[state.metric];
          return (
            <>
              <p className="muted comparison-windows">
                {d.release}: page views from {formatDateTime(new Date(d.from))} to {formatDateTime(new Date(d.to))}.{' '}
                {d.baseline!.release}: {formatDateTime(new Date(d.baseline!.from))} to {formatDateTime(new Date(d.baseline!.to))}.
              </p>
              {metric ? <ComparisonTable metric={state.metric} rows={comparisonRows(metric)} /> : <p>No {state.metric} samples.</p>}
              <p className="muted footnote">
                Regressions first, the largest first. A verdict needs at least 100 samples on each side and a p75 change
                that is significant at 95% and larger than about 2% (what the histograms resolve); routes are many, so
                their p-values are adjusted (Benjamini-Hochberg) to keep chance regressions rare. Routes where either
                release has too few samples are left out.
              </p>
            </>
          );
        }}
      </Panel>
    </>
  );
}

/** The release's own page views, in the other views: a release filter over its hours. */
function ReleaseLinks({ state, navigate, release, from, to }: {
  state: ViewState; navigate: Navigate; release: string; from: string; to: string;
}) {
  const changes: Partial<ViewState> = {
    view: 'overview', range: 'custom', from, to, filters: setFilter({}, 'release', [release]),
  };
  return (
    <a href={hrefFor(state, changes)} onClick={followLink(navigate, changes)}>
      Its page views →
    </a>
  );
}
