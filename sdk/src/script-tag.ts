/**
 * The IIFE entry. `<script src=".../vitals.js" data-key="…" defer>` starts measuring with
 * no code; the endpoint defaults to the script's own origin, since ingest serves the
 * bundle at /sdk/vitals.js. Without data-key nothing starts, and `Vitals.init()` is
 * there for pages that configure it in code (a route function, beforeSend).
 */
import { init } from './index';

const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset;
const flag = (value?: string): boolean => value != null && value != 'false';

// A plain global rather than esbuild's globalName, whose export shim costs ~100 bytes gz.
(window as unknown as { Vitals: object }).Vitals = { init };

if (script && data?.key) {
  init({
    key: data.key,
    endpoint: data.endpoint || new URL(script.src).origin,
    sampleRate: data.sampleRate ? Number(data.sampleRate) : 1,
    route: data.route,
    release: data.release,
    reportSoftNavs: flag(data.softNavs),
    debug: flag(data.debug),
  });
}
