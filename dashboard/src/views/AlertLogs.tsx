/**
 * The alerts' two logs, newest first, a page at a time: the history of the rules'
 * transitions, and the delivery log of their notifications (tests included). Both are
 * read afresh (never from the kept answers) and refreshed while the view is open.
 */
import { useEffect, useState } from 'react';
import { usePolling } from '../api/admin';
import type { AlertHistory, DeliveryLog } from '../api/types';
import { useApi } from '../api/useApi';
import { Panel } from '../components/Panel';
import { describeDelivery, describeEvent, safeLink } from '../lib/alerts';
import { formatDateTime } from '../lib/format';

const PAGE = 25;
export const REFRESH_MS = 15_000;

function when(instant: string | null): string {
  return instant ? formatDateTime(new Date(instant)) : '—';
}

/** The `before` cursors of the pages seen, so "Newer" goes back one. */
function usePages() {
  const [cursors, setCursors] = useState<string[]>([]);
  const params = new URLSearchParams({ limit: String(PAGE) });
  const before = cursors[cursors.length - 1];
  if (before) params.set('before', before);
  return {
    params,
    first: cursors.length == 0,
    older: (next: string) => setCursors((c) => [...c, next]),
    newer: () => setCursors((c) => c.slice(0, -1)),
  };
}

function Pager({ first, next, onOlder, onNewer }: {
  first: boolean; next: string | null; onOlder: (next: string) => void; onNewer: () => void;
}) {
  if (first && next == null) return null;
  return (
    <div className="pager">
      <button type="button" className="button button-small" disabled={first} onClick={onNewer}>← Newer</button>
      <button type="button" className="button button-small" disabled={next == null} onClick={() => next && onOlder(next)}>
        Older →
      </button>
    </div>
  );
}

const TRANSITIONS = { firing: 'Fired', resolved: 'Resolved', test: 'Test' } as const;

export function HistoryPanel({ project }: { project: number }) {
  const pages = usePages();
  const history = useApi<AlertHistory>(`/v1/projects/${project}/alerts/history`, pages.params, { maxAgeMs: 0 });
  usePolling(history.reload, REFRESH_MS);
  return (
    <Panel title="History" state={history} testId="history-panel" minHeight={80}
      isEmpty={(d) => d.events.length == 0 && pages.first}
      empty="No rule has fired yet."
      actions={<span className="muted">Every transition, newest first</span>}>
      {(d) => (
        <>
          <ol className="event-list">
            {d.events.map((e) => (
              <li key={e.id} className="event" data-testid="history-event" data-transition={e.transition}>
                <span className={`state-badge state-${e.transition == 'firing' ? 'firing' : 'ok'}`}>
                  {TRANSITIONS[e.transition]}
                </span>
                <time dateTime={e.at} className="muted">{when(e.at)}</time>
                <span className="event-text">{describeEvent(e)}</span>
                {safeLink(e.details.link) && (
                  <a href={safeLink(e.details.link)!} className="event-link">Open the view</a>
                )}
              </li>
            ))}
          </ol>
          <Pager first={pages.first} next={d.next_before} onOlder={pages.older} onNewer={pages.newer} />
        </>
      )}
    </Panel>
  );
}

export function DeliveriesPanel({ project, refreshKey }: { project: number; refreshKey: number }) {
  const pages = usePages();
  const log = useApi<DeliveryLog>(`/v1/projects/${project}/alerts/deliveries`, pages.params, { maxAgeMs: 0 });
  usePolling(log.reload, REFRESH_MS);
  const { reload } = log;
  useEffect(() => {
    if (refreshKey > 0) reload(); // a test was just queued: show it now, not at the next refresh
  }, [refreshKey, reload]);
  return (
    <Panel title="Delivery log" state={log} testId="deliveries-panel" minHeight={80}
      isEmpty={(d) => d.deliveries.length == 0 && pages.first}
      empty="No notification has been sent yet."
      actions={<span className="muted">Each notification to each destination, with its attempts</span>}>
      {(d) => (
        <>
          <div className="table-scroll">
            <table className="delivery-table">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Destination</th>
                  <th scope="col">Notification</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">Attempts</th>
                  <th scope="col">Next attempt / delivered</th>
                </tr>
              </thead>
              <tbody>
                {d.deliveries.map((x) => (
                  <tr key={x.id} data-testid="delivery-row" data-status={x.status} data-transition={x.transition}>
                    <td>{when(x.created_at)}</td>
                    <th scope="row">{x.destination}</th>
                    <td>{x.transition == 'test' ? 'Test notification' : `${TRANSITIONS[x.transition]}: ${x.rule_name ?? `rule ${x.rule_id}`}`}</td>
                    <td>
                      <span className={`delivery-status delivery-${x.status}`}>{describeDelivery(x)}</span>
                    </td>
                    <td className="num">{x.attempts}</td>
                    <td>{x.status == 'delivered' ? when(x.delivered_at) : x.status == 'pending' ? when(x.next_attempt_at) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager first={pages.first} next={d.next_before} onOlder={pages.older} onNewer={pages.newer} />
        </>
      )}
    </Panel>
  );
}
