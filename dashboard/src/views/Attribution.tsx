/**
 * What made a metric slow: LCP elements and resources, INP targets, interaction types and
 * scripts with their phase split, CLS shift sources.
 */
import type { Attributed, Attribution as AttributionAnswer, Phase } from '../api/types';
import { useApi } from '../api/useApi';
import { Segmented } from '../components/MetricSwitch';
import { Panel } from '../components/Panel';
import { LowSample, ratingClass } from '../components/RatingBar';
import { formatCount, formatMs, formatShare, formatValue } from '../lib/format';
import { METRICS, type Metric, rating } from '../lib/metrics';
import { type ViewState, selectionParams } from '../state/url';
import type { Navigate } from '../state/useUrlState';

export const GROUP_TITLES: Record<string, string> = {
  'LCP.element': 'LCP elements',
  'LCP.resource': 'LCP resources',
  'INP.target': 'INP targets',
  'INP.interaction_type': 'Interaction types',
  'INP.script': 'Longest scripts',
  'CLS.source': 'Largest shift sources',
  'CLS.load_state': 'Load state at the shift',
  'FCP.load_state': 'Load state at FCP',
};

const PHASE_LABELS: Record<string, string> = {
  time_to_first_byte: 'Time to first byte',
  resource_load_delay: 'Resource load delay',
  resource_load_duration: 'Resource load duration',
  element_render_delay: 'Element render delay',
  input_delay: 'Input delay',
  processing_duration: 'Processing',
  presentation_delay: 'Presentation delay',
  largest_shift_value: 'Largest shift',
  largest_shift_time: 'Largest shift at',
  first_byte_to_fcp: 'First byte to FCP',
  dns_duration: 'DNS',
  connection_duration: 'Connection',
  request_duration: 'Request',
  waiting_duration: 'Waiting',
};

const PHASE_COLOURS = ['#3f7fe0', '#8b44c9', '#c2571a', '#2a9d8f'];

/** CLS's phases are a score and a time, not parts of a whole: no split bar for them. */
function additive(metric: Metric): boolean {
  return metric != 'CLS';
}

function phaseValue(metric: Metric, phase: Phase, value: number | null): string {
  if (value == null) return '—';
  return phase.name == 'largest_shift_value' ? formatValue(metric, value) : formatMs(value);
}

function phaseTotal(phases: Phase[]): number {
  return phases.reduce((s, p) => s + (p.mean != null && p.mean > 0 ? p.mean : 0), 0);
}

/** The mean phases as one bar; `scale` (the largest total in the table) makes lengths comparable. */
export function PhaseSplit({ phases, label, scale }: { phases: Phase[]; label: string; scale?: number }) {
  const known = phases.filter((p) => p.mean != null && p.mean > 0);
  const total = phaseTotal(phases);
  if (!total) return <span className="muted">—</span>;
  const text = known.map((p) => `${PHASE_LABELS[p.name] ?? p.name} ${formatMs(p.mean!)}`).join(', ');
  return (
    <div
      className="phase-bar"
      role="img"
      aria-label={`${label}: mean ${text}`}
      title={text}
      style={scale ? { width: `${Math.max(4, (total / scale) * 100)}%` } : undefined}
    >
      {phases.map((p, i) =>
        p.mean != null && p.mean > 0 ? (
          <span key={p.name} style={{ width: `${(p.mean / total) * 100}%`, background: PHASE_COLOURS[i % 4] }} />
        ) : null,
      )}
    </div>
  );
}

function PhaseLegend({ metric, phases }: { metric: Metric; phases: Phase[] }) {
  return (
    <ul className="phase-legend">
      {phases.map((p, i) => (
        <li key={p.name}>
          {additive(metric) && <span className="swatch" style={{ background: PHASE_COLOURS[i % 4] }} aria-hidden="true" />}
          <span>{PHASE_LABELS[p.name] ?? p.name}</span>{' '}
          <span className="muted">
            mean {phaseValue(metric, p, p.mean)} · p75 {phaseValue(metric, p, p.p75)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function AttributionTable({ metric, title, rows }: { metric: Metric; title: string; rows: Attributed[] }) {
  if (!rows.length) {
    return (
      <div className="attribution-group">
        <h3>{title}</h3>
        <p className="notice notice-empty">Nothing attributed in this range.</p>
      </div>
    );
  }
  const phaseNames = rows[0]!.phases.map((p) => p.name);
  const scale = Math.max(...rows.map((r) => phaseTotal(r.phases)));
  return (
    <div className="attribution-group">
      <h3>{title}</h3>
      <div className="table-scroll">
        <table className="attribution-table">
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col" className="num col-samples">Samples</th>
              <th scope="col" className="num col-share">Share</th>
              <th scope="col" className="num col-p75">p75</th>
              {additive(metric) ? (
                <th scope="col" className="col-bar">Phase split (mean)</th>
              ) : (
                phaseNames.map((name) => (
                  <th key={name} scope="col" className="num">
                    {PHASE_LABELS[name] ?? name} (p75)
                  </th>
                ))
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.value} className={row.low_sample ? 'low-sample' : ''}>
                <th scope="row" className="group-value">
                  <span className="mono selector" title={row.value}>
                    {row.value || '(none)'}
                  </span>
                  {row.low_sample && <LowSample count={row.count} />}
                </th>
                <td className="num">{formatCount(row.count)}</td>
                <td className="num">{formatShare(row.share)}</td>
                <td className={`num text-${ratingClass(row.p75 == null ? null : rating(metric, row.p75))}`}>
                  {formatValue(metric, row.p75)}
                </td>
                {additive(metric) ? (
                  <td className="col-bar">
                    <PhaseSplit phases={row.phases} label={row.value} scale={scale} />
                  </td>
                ) : (
                  row.phases.map((p) => (
                    <td key={p.name} className="num">
                      {phaseValue(metric, p, p.p75)}
                    </td>
                  ))
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function Attribution({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const params = selectionParams(state);
  params.set('metric', state.metric);
  params.set('limit', '10');
  const answer = useApi<AttributionAnswer>(`/v1/projects/${state.project}/attribution`, params);
  return (
    <div className="view-attribution">
      <div className="view-toolbar">
        <Segmented<Metric> label="Metric" options={METRICS} value={state.metric} onChange={(metric) => navigate({ metric })} />
      </div>
      <Panel
        title={`${state.metric} attribution`}
        state={answer}
        testId="attribution-panel"
        minHeight={300}
        isEmpty={(d) => d.count == 0}
        empty={`No ${state.metric} samples in this range.`}
      >
        {(d) => (
          <>
            <div className="attribution-overall">
              <p>
                {formatCount(d.count)} samples, p75 <strong>{formatValue(state.metric, d.p75)}</strong>.
              </p>
              {additive(state.metric) && <PhaseSplit phases={d.phases} label={`${state.metric} overall`} />}
              <PhaseLegend metric={state.metric} phases={d.phases} />
            </div>
            {Object.entries(d.groups).map(([name, rows]) => (
              <AttributionTable key={name} metric={state.metric} title={GROUP_TITLES[`${state.metric}.${name}`] ?? name} rows={rows} />
            ))}
            {Object.keys(d.groups).length == 0 && <p className="muted">{state.metric} carries no attribution to group by; its phases are above.</p>}
          </>
        )}
      </Panel>
    </div>
  );
}
