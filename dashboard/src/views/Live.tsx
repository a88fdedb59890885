/**
 * Live: the project's page views as they arrive over Socket.IO, and each metric's p75 over
 * the last five minutes kept from the events' bin deltas. The token travels in the
 * Socket.IO auth payload; on every (re)connect the window is refilled from the query API.
 */
import { useEffect, useReducer, useRef, useState } from 'react';
import type { Socket } from 'socket.io-client';
import { getJson } from '../api/client';
import { useApiContext } from '../api/context';
import { connectRealtime } from '../api/realtime';
import { SESSION_ENDED, tokenRefused } from '../api/session';
import type { Histogram, LiveBatch, LiveStatus } from '../api/types';
import { ratingClass, ratingText } from '../components/RatingBar';
import { formatClock, formatCount, formatValue } from '../lib/format';
import { type FeedItem, LiveModel, binsFromHistogram } from '../lib/live';
import { METRICS, type Metric, isMetric, rating } from '../lib/metrics';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'refused';

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Refused',
};

interface LiveState {
  connection: Connection;
  detail: string;
  statuses: (LiveStatus & { at: number })[];
  seeded: boolean;
}

function useLive(projectId: number) {
  const { config, session, signOut } = useApiContext();
  const model = useRef<LiveModel>(null!);
  model.current ??= new LiveModel(projectId);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [state, setState] = useState<LiveState>({ connection: 'connecting', detail: '', statuses: [], seeded: false });

  useEffect(() => {
    model.current = new LiveModel(projectId);
    let stopped = false;
    let seeding: AbortController | null = null;
    const socket: Socket = connectRealtime(config, session.token);

    // What the stream carried while we were away is gone: start the window again from the store.
    const refill = async () => {
      seeding?.abort();
      const controller = (seeding = new AbortController());
      model.current.reset();
      setState((s) => ({ ...s, seeded: false }));
      const answers = await Promise.allSettled(
        METRICS.map((metric) =>
          getJson<Histogram>(
            config,
            session.token,
            `/v1/projects/${projectId}/histogram`,
            new URLSearchParams({ metric, range: '5m', buckets: '200' }),
            controller.signal,
          ),
        ),
      );
      if (controller.signal.aborted || stopped) return;
      const now = Date.now();
      answers.forEach((answer, i) => {
        if (answer.status == 'fulfilled') model.current.seed(METRICS[i]!, binsFromHistogram(METRICS[i]!, answer.value.buckets), now);
      });
      setState((s) => ({ ...s, seeded: answers.every((a) => a.status == 'fulfilled') }));
      redraw();
    };

    socket.on('connect', () => {
      setState((s) => ({ ...s, connection: 'live', detail: '' }));
      socket.emit('subscribe', { projects: [projectId] });
      void refill();
    });
    socket.on('disconnect', (reason) => {
      if (stopped) return;
      if (reason == 'io server disconnect') {
        // The server ends a connection when its token expires.
        if (session.expiresAt <= Date.now()) return signOut(SESSION_ENDED);
        socket.connect();
      }
      setState((s) => ({ ...s, connection: 'reconnecting', detail: reason }));
    });
    socket.on('connect_error', (error: Error) => {
      if (stopped) return;
      if (tokenRefused(error.message)) {
        // Bad, expired or revoked (password change, `vitals user revoke`): no retry loop.
        setState((s) => ({ ...s, connection: 'refused', detail: 'The realtime server refused the token.' }));
        return signOut(SESSION_ENDED);
      }
      setState((s) => ({ ...s, connection: 'reconnecting', detail: error.message }));
    });
    socket.on('vitals', (batch: LiveBatch) => {
      if (model.current.apply(batch, Date.now())) redraw();
    });
    socket.on('status', (status: LiveStatus) => {
      if (status.project_id != projectId) return;
      setState((s) => ({ ...s, statuses: [{ ...status, at: Date.now() }, ...s.statuses].slice(0, 5) }));
    });
    // The window slides even when nothing arrives.
    const tick = window.setInterval(redraw, 5000);
    return () => {
      stopped = true;
      seeding?.abort();
      window.clearInterval(tick);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [config, session.token, session.expiresAt, projectId, signOut]);

  return { model: model.current, ...state };
}

function LiveTile({ metric, model }: { metric: Metric; model: LiveModel }) {
  const now = Date.now();
  const p75 = model.p75(metric, now);
  const samples = model.samples(metric, now);
  const cls = ratingClass(p75 == null ? null : rating(metric, p75));
  return (
    <article className={`tile tile-${cls} live-tile`} data-testid={`live-${metric}`} data-p75={p75 ?? ''} data-samples={samples}>
      <div className="tile-name">{metric}</div>
      <div className="tile-value">
        <span className={`p75 text-${cls}`}>{formatValue(metric, p75)}</span>
        <span className="tile-caption">
          p75, last 5 min · <span className={`text-${cls}`}>{p75 == null ? 'No data' : ratingText(rating(metric, p75))}</span>
        </span>
      </div>
      <div className="tile-footer">
        <span>{formatCount(samples)} samples</span>
        {samples > 0 && samples < 30 && (
          <span className="badge badge-low" title="Fewer than 30 samples in the window">
            low sample
          </span>
        )}
      </div>
    </article>
  );
}

function FeedRow({ item }: { item: FeedItem }) {
  const { view } = item;
  return (
    <li className="feed-item" data-route={view.route}>
      <time className="feed-time" dateTime={new Date(item.at).toISOString()}>
        {formatClock(new Date(item.at))}
      </time>
      <span className="feed-route mono">{view.route || '/'}</span>
      <span className="feed-meta">
        {view.device}
        {view.country ? ` · ${view.country}` : ''}
      </span>
      <span className="feed-values">
        {view.values.map((v) =>
          isMetric(v.metric) ? (
            <span key={v.metric} className={`value-chip chip-${ratingClass(v.rating)}`}>
              {v.metric} {formatValue(v.metric, v.value)}
            </span>
          ) : null,
        )}
      </span>
    </li>
  );
}

export function Live({ projectId }: { projectId: number }) {
  const live = useLive(projectId);
  return (
    <div className="view-live">
      <section className="panel" data-testid="live-panel" data-connection={live.connection}>
        <header className="panel-header">
          <h2 className="panel-title">Last five minutes</h2>
          <div className={`connection connection-${live.connection}`} role="status" data-testid="connection">
            <span className="connection-dot" aria-hidden="true" />
            {CONNECTION_TEXT[live.connection]}
            {live.detail && live.connection != 'live' && <span className="muted"> ({live.detail})</span>}
          </div>
        </header>
        <div className="panel-body">
          <div className="tiles">
            {METRICS.map((metric) => (
              <LiveTile key={metric} metric={metric} model={live.model} />
            ))}
          </div>
          <p className="muted footnote">
            Kept from each event’s histogram deltas over a sliding five-minute window
            {live.seeded ? ', started from the stored last five minutes' : ''}. Filters and the range do not apply here.
          </p>
        </div>
      </section>
      {live.statuses.length > 0 && (
        <section className="panel">
          <header className="panel-header">
            <h2 className="panel-title">Rating changes</h2>
          </header>
          <ul className="status-list panel-body">
            {live.statuses.map((s) => (
              <li key={`${s.at}-${s.metric}`}>
                {formatClock(new Date(s.at))} · {s.metric} p75 {isMetric(s.metric) ? formatValue(s.metric, s.p75) : s.p75} is now{' '}
                <span className={`text-${ratingClass(s.rating)}`}>{ratingText(s.rating)}</span>
                {s.previous && <span className="muted"> (was {ratingText(s.previous).toLowerCase()})</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="panel" data-testid="feed-panel">
        <header className="panel-header">
          <h2 className="panel-title">Page views as they arrive</h2>
          <span className="muted">{formatCount(live.model.received)} since opened</span>
        </header>
        <div className="panel-body">
          {live.model.feed.length == 0 ? (
            <p className="notice notice-empty">
              {live.connection == 'live' ? 'Waiting for page views…' : 'Not connected: page views appear once the connection is back.'}
            </p>
          ) : (
            <ol className="feed" aria-live="polite" aria-relevant="additions" data-testid="feed">
              {live.model.feed.map((item) => (
                <FeedRow key={item.key} item={item} />
              ))}
            </ol>
          )}
        </div>
      </section>
    </div>
  );
}
