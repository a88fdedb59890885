import type { MetricWithAttribution } from 'web-vitals/attribution';
import { flatten } from './attribution';
import type { Options } from './options';
import {
  type Beacon,
  type Connection,
  MAX_BODY,
  MAX_REPORTS,
  MAX_ROUTE,
  MAX_SHORT,
  MAX_URL,
  type MetricName,
} from './wire';

export type Send = (body: string, hidden: boolean) => void;

// Page views whose sampling decision is remembered. Late reports (CLS, INP) reach back
// one page view at most, so a handful is plenty, and the map cannot grow in a long SPA.
const MAX_VIEWS = 8;

/** Values above these are measurement garbage that ingest rejects (metrics.py SPECS). */
const maxValue = (name: MetricName): number =>
  name == 'CLS' ? 100 : name == 'INP' ? 600_000 : 3_600_000;

/**
 * Groups web-vitals reports into one beacon per page view (a hard load, a bfcache
 * restore or a soft navigation) and hands the JSON bodies to `send` on flush.
 */
export function createCollector(options: Options, send: Send) {
  const { route, beforeSend, debug } = options;
  // Ingest refuses a release over 64 characters (the whole beacon): cut it here instead,
  // by code point, so an emoji at the cut cannot leave half a surrogate pair.
  const release = Array.from(options.release || '').slice(0, MAX_SHORT).join('') || undefined;
  // Ingest rejects a rate above 1; zero or below reports nothing.
  const sampleRate = Math.min(options.sampleRate ?? 1, 1);
  // Each page view's beacon in the making, or false when sampling left it out.
  const views = new Map<string, Beacon | false>();
  let queued = 0;
  // Numbers every beacon the page sends, so the workers keep a metric id's latest
  // measurement even when an older beacon (a retry, a network duplicate) arrives last.
  // One counter for the page rather than one per view: a view evicted from `views` and
  // seen again must not start over below the numbers it already sent.
  let seq = 0;

  const pageView = (metric: MetricWithAttribution): Beacon | false => {
    // bfcache restores keep the hard navigation's id but start later; soft navigations
    // have ids of their own. Start time tells the first two apart.
    const start = metric.navigationStartTime || 0;
    const key = metric.navigationId + ' ' + start;
    let view = views.get(key);
    if (view == null) {
      if (views.size >= MAX_VIEWS) {
        flush(false);
        views.clear();
      }
      const url = (metric.navigationType == 'soft-navigation' && metric.navigationURL) || location.href;
      // The router's template goes in a field of its own; the URL stays the real one.
      const template = (typeof route == 'function' ? route(url) : route)?.slice(0, MAX_ROUTE);
      view = Math.random() < sampleRate && {
        v: 1,
        sdk: { name: 'vitals-sdk', version: __VERSION__ },
        url: url.slice(0, MAX_URL),
        timeOrigin: Math.round(performance.timeOrigin + start),
        navigationId: String(metric.navigationId || '').slice(0, MAX_SHORT),
        // An empty template is none (the wire takes 1 to 256 characters); JSON drops undefined.
        route: template || undefined,
        release,
        reports: [],
      };
      views.set(key, view);
    }
    return view;
  };

  const add = (metric: MetricWithAttribution): void => {
    const view = pageView(metric);
    const { name, value, delta, id, rating, navigationType } = metric;
    const max = maxValue(name);
    if (debug) console.log('[vitals]', name, value, view ? '' : '(not sampled)');
    // Ingest rejects the whole beacon for one absurd value: drop just that report.
    if (!view || !(value >= 0 && value <= max && Math.abs(delta) <= max)) return;
    // CLS and INP re-report under the same id; only the latest value counts.
    const kept = view.reports.filter((report) => report.id != id);
    queued += kept.length - view.reports.length + 1;
    view.reports = kept;
    kept.push({ name, value, delta, id, rating, navigationType, attribution: flatten(metric) });
    // A full beacon's worth is sent at once, so a long-lived SPA's queue stays bounded.
    if (queued >= MAX_REPORTS) flush(false);
  };

  // Halves a batch until each body fits the transport's limit.
  const emit = (beacon: Beacon, hidden: boolean): void => {
    const body = JSON.stringify(beacon);
    const { reports } = beacon;
    if (new Blob([body]).size <= MAX_BODY) send(body, hidden);
    else if (reports.length > 1) {
      const half = reports.length >> 1;
      emit({ ...beacon, reports: reports.slice(0, half) }, hidden);
      emit({ ...beacon, reports: reports.slice(half) }, hidden);
    }
  };

  const flush = (hidden: boolean): void => {
    const network = (navigator as { connection?: Connection }).connection;
    for (const view of views.values()) {
      if (!view || !view.reports.length) continue;
      let beacon: Beacon | null | undefined | false = {
        ...view,
        referrer: document.referrer.slice(0, MAX_URL),
        connection: network && {
          effectiveType: network.effectiveType,
          rtt: network.rtt,
          saveData: network.saveData,
        },
        viewport: { width: innerWidth, height: innerHeight },
        sampleRate,
        seq: seq++,
      };
      view.reports = [];
      if (beforeSend) beacon = beforeSend(beacon);
      if (debug) console.log('[vitals] send', beacon);
      if (beacon && beacon.reports.length) emit(beacon, hidden);
    }
    queued = 0;
  };

  return { add, flush };
}
