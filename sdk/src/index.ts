import { onCLS, onFCP, onINP, onLCP, onTTFB, type MetricWithAttribution } from 'web-vitals/attribution';
import { createCollector } from './collector';
import type { Options } from './options';
import { transport } from './transport';

export type { Options } from './options';
export type * from './wire';

let started = false;

/** Starts measuring this page. Call once, as early as possible; later calls are ignored. */
export function init(options: Options): void {
  // web-vitals' observers cannot be removed, so a second init would report everything twice.
  if (started || typeof window == 'undefined') return;
  started = true;
  const target = `${options.endpoint.replace(/\/+$/, '')}/v1/beacon?key=${encodeURIComponent(options.key)}`;
  const { add, flush } = createCollector(options, transport(target));
  const report = add as (metric: MetricWithAttribution) => void;
  const opts = { reportSoftNavs: options.reportSoftNavs };
  for (const on of [onTTFB, onFCP, onLCP, onCLS, onINP]) on(report, opts);
  // Bubble phase on window: web-vitals hands over its final CLS, INP and LCP in its own
  // capture-phase listeners of the same event, so they are queued before this runs.
  addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && flush(true));
  // Browsers that unload without a visibilitychange still fire pagehide.
  addEventListener('pagehide', () => flush(true));
}
