/** One metric grouped by a dimension (routes first): sortable, paginated, low samples marked. */
import type { Breakdown } from '../api/types';
import { useApi } from '../api/useApi';
import { DIMENSION_LABELS } from '../components/Controls';
import { Segmented } from '../components/MetricSwitch';
import { Panel } from '../components/Panel';
import { LowSample, RatingBar, ratingClass } from '../components/RatingBar';
import { formatCount, formatShare, formatValue } from '../lib/format';
import { METRICS, type Metric } from '../lib/metrics';
import { DIMENSIONS, type Dimension, type Sort, type ViewState, selectionParams, setFilter } from '../state/url';
import type { Navigate } from '../state/useUrlState';

export const PAGE_SIZE = 20;

const COLUMNS: { sort: Sort; label: string; numeric: boolean }[] = [
  { sort: 'count', label: 'Samples', numeric: true },
  { sort: 'p75', label: 'p75', numeric: true },
  { sort: 'good_share', label: 'Good', numeric: true },
  { sort: 'poor_share', label: 'Poor', numeric: true },
];

export function breakdownParams(state: ViewState): URLSearchParams {
  const params = selectionParams(state);
  params.set('metric', state.metric);
  params.set('dimension', state.dimension);
  params.set('sort', state.sort);
  params.set('order', state.order);
  params.set('limit', String(PAGE_SIZE));
  params.set('offset', String((state.page - 1) * PAGE_SIZE));
  return params;
}

function SortHeader({ state, navigate, sort, label, numeric }: { state: ViewState; navigate: Navigate; sort: Sort; label: string; numeric: boolean }) {
  const active = state.sort == sort;
  const next = active ? (state.order == 'desc' ? 'asc' : 'desc') : sort == 'value' ? 'asc' : 'desc';
  return (
    <th scope="col" className={numeric ? 'num' : ''} aria-sort={active ? (state.order == 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => navigate({ sort, order: next })}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (state.order == 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
      </button>
    </th>
  );
}

function display(dimension: Dimension, value: string): string {
  if (value == '') return dimension == 'country' ? '(unknown country)' : dimension == 'release' ? '(no release)' : '(unknown)';
  return value;
}

export function Breakdowns({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const breakdown = useApi<Breakdown>(`/v1/projects/${state.project}/breakdown`, breakdownParams(state));
  const data = breakdown.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;
  return (
    <div className="view-breakdowns">
      <div className="view-toolbar">
        <Segmented<Dimension>
          label="Group by"
          options={DIMENSIONS}
          value={state.dimension}
          names={DIMENSION_LABELS}
          onChange={(dimension) => navigate({ dimension })}
        />
        <Segmented<Metric> label="Metric" options={METRICS} value={state.metric} onChange={(metric) => navigate({ metric })} />
      </div>
      <Panel
        title={`${state.metric} by ${DIMENSION_LABELS[state.dimension].toLowerCase()}`}
        state={breakdown}
        testId="breakdown-panel"
        minHeight={300}
        isEmpty={(d) => d.total == 0}
        empty={`No ${state.metric} samples in this range.`}
      >
        {(d) => (
          <>
            <div className="table-scroll">
              <table className="breakdown-table">
                <thead>
                  <tr>
                    <SortHeader state={state} navigate={navigate} sort="value" label={DIMENSION_LABELS[state.dimension]} numeric={false} />
                    {COLUMNS.map((c) => (
                      <SortHeader key={c.sort} state={state} navigate={navigate} {...c} />
                    ))}
                    <th scope="col" className="col-bar">
                      Ratings
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.groups.map((g) => (
                    <tr key={g.value} className={g.low_sample ? 'low-sample' : ''} data-value={g.value}>
                      <th scope="row" className="group-value">
                        <span className={state.dimension == 'route' ? 'mono' : ''}>{display(state.dimension, g.value)}</span>
                        {g.low_sample && <LowSample count={g.count} />}
                      </th>
                      <td className="num">{formatCount(g.count)}</td>
                      <td className={`num text-${ratingClass(g.rating)}`}>
                        {g.low_sample && g.p75 != null ? '~' : ''}
                        {formatValue(state.metric, g.p75)}
                      </td>
                      <td className="num">{formatShare(g.shares.good)}</td>
                      <td className="num">{formatShare(g.shares.poor)}</td>
                      <td className="col-bar">
                        <RatingBar shares={g.shares} />
                      </td>
                      <td>
                        {g.value != '' && !(state.filters[state.dimension] ?? []).includes(g.value) && (
                          <button
                            type="button"
                            className="button button-small"
                            aria-label={`Filter to ${DIMENSION_LABELS[state.dimension]} ${g.value}`}
                            onClick={() =>
                              navigate({
                                filters: setFilter(state.filters, state.dimension, [...(state.filters[state.dimension] ?? []), g.value]),
                              })
                            }
                          >
                            Filter
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager" aria-label="Pages">
              <button type="button" className="button" disabled={state.page <= 1} onClick={() => navigate({ page: state.page - 1 })}>
                ← Previous
              </button>
              <span data-testid="pager-status">
                {d.groups.length ? `${formatCount(d.offset + 1)}–${formatCount(d.offset + d.groups.length)}` : '0'} of{' '}
                {formatCount(d.total)} · page {state.page} of {pages}
              </span>
              <button type="button" className="button" disabled={state.page >= pages} onClick={() => navigate({ page: state.page + 1 })}>
                Next →
              </button>
            </nav>
            {state.dimension == 'country' && (
              // DB-IP's Lite licence (CC BY 4.0) asks for this wherever its results show:
              // ingest derives country from the client address with it when no CDN names one.
              <p className="muted">
                Countries not named by a CDN: <a href="https://db-ip.com">IP Geolocation by DB-IP</a>
              </p>
            )}
          </>
        )}
      </Panel>
      {data && data.groups.length == 0 && data.total > 0 && (
        <p className="notice">
          This page is past the last one.{' '}
          <button type="button" className="button" onClick={() => navigate({ page: 1 })}>
            Back to page 1
          </button>
        </p>
      )}
    </div>
  );
}
