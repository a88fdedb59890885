/**
 * Releases: every release the project's page views named, newest first, and the chosen one
 * (the newest unless the URL says) compared with the release before it or a chosen baseline.
 * Neither the list nor the comparison depends on the range or the filters: a release is
 * compared over the hours its page views came in (services/query/releases.py).
 */
import type { ListedRelease, ReleaseList } from '../api/types';
import { useApi } from '../api/useApi';
import { Panel } from '../components/Panel';
import { formatCount, formatDateTime } from '../lib/format';
import type { Metric } from '../lib/metrics';
import type { ViewState } from '../state/url';
import { type Navigate, hrefFor } from '../state/useUrlState';
import { ComparisonPanel } from './ReleaseComparison';
import { followLink } from './links';

// The query service lists at most 100 (MAX_LISTED): enough to offer as baselines too.
const LIST_PARAMS = new URLSearchParams({ limit: '100' });

function when(instant: string | null): string {
  return instant ? formatDateTime(new Date(instant)) : '—';
}

function ReleaseTable({ releases, chosen, metric, state, navigate }: {
  releases: ListedRelease[];
  chosen: string;
  metric: Metric;
  state: ViewState;
  navigate: Navigate;
}) {
  return (
    <div className="table-scroll">
      <table className="release-table">
        <thead>
          <tr>
            <th scope="col">Release</th>
            <th scope="col">Deployed</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col" className="num">
              {metric} samples
            </th>
          </tr>
        </thead>
        <tbody>
          {releases.map((r) => (
            <tr key={r.name} data-testid="release-row" data-release={r.name} className={r.name == chosen ? 'chosen' : ''}>
              <th scope="row" className="group-value">
                <a
                  className="mono"
                  href={hrefFor(state, { compare: r.name })}
                  aria-current={r.name == chosen ? 'true' : undefined}
                  onClick={followLink(navigate, { compare: r.name })}
                >
                  {r.name}
                </a>
              </th>
              <td>{when(r.deployed_at)}</td>
              <td>{when(r.first_seen)}</td>
              <td>{when(r.last_seen)}</td>
              <td className="num">{formatCount(r.samples[metric])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Releases({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const list = useApi<ReleaseList>(`/v1/projects/${state.project}/releases`, LIST_PARAMS);
  const releases = list.data?.releases ?? [];
  const chosen = state.compare || releases[0]?.name || '';
  return (
    <div className="view-releases">
      <Panel
        title="Releases"
        state={list}
        testId="releases-panel"
        minHeight={160}
        isEmpty={(d) => d.releases.length == 0}
        empty={
          <p>
            No page view names a release yet. Give the SDK’s <code>release</code> option your version or commit, and
            each release is listed and compared here.
          </p>
        }
        actions={<span className="muted">Newest first · choose one to compare it</span>}
      >
        {(d) => <ReleaseTable releases={d.releases} chosen={chosen} metric={state.metric} state={state} navigate={navigate} />}
      </Panel>
      {chosen && <ComparisonPanel state={state} navigate={navigate} release={chosen} releases={releases} />}
    </div>
  );
}
