/**
 * Beacon wire format v1, as services/contracts/wire.py defines it (golden files:
 * tests/wire/v1/). Ingest rejects unknown fields and out-of-range values with a 400
 * for the whole beacon, so the SDK trims and drops on its side before sending.
 */

export type MetricName = 'LCP' | 'INP' | 'CLS' | 'FCP' | 'TTFB';
export type Rating = 'good' | 'needs-improvement' | 'poor';
export type NavigationType =
  | 'navigate'
  | 'reload'
  | 'back-forward'
  | 'back-forward-cache'
  | 'prerender'
  | 'restore'
  | 'soft-navigation';
export type LoadState = 'loading' | 'dom-interactive' | 'dom-content-loaded' | 'complete';

/** The union of web-vitals' attribution scalars; each metric fills its own subset. */
export interface Attribution {
  // LCP
  target?: string | null;
  url?: string | null;
  timeToFirstByte?: number | null;
  resourceLoadDelay?: number | null;
  resourceLoadDuration?: number | null;
  elementRenderDelay?: number | null;
  // INP
  interactionTarget?: string | null;
  interactionType?: 'pointer' | 'keyboard' | null;
  inputDelay?: number | null;
  processingDuration?: number | null;
  presentationDelay?: number | null;
  longestScriptUrl?: string | null;
  // CLS
  largestShiftTarget?: string | null;
  largestShiftValue?: number | null;
  largestShiftTime?: number | null;
  // FCP (plus timeToFirstByte)
  firstByteToFCP?: number | null;
  // TTFB
  dnsDuration?: number | null;
  connectionDuration?: number | null;
  requestDuration?: number | null;
  waitingDuration?: number | null;
  cacheDuration?: number | null;
  // INP, CLS, FCP
  loadState?: LoadState | null;
}

export interface Report {
  name: MetricName;
  value: number;
  delta: number;
  id: string;
  rating?: Rating | null; // the client's; the server rates again
  navigationType?: NavigationType;
  attribution?: Attribution | null;
}

export interface Connection {
  effectiveType?: 'slow-2g' | '2g' | '3g' | '4g' | null;
  rtt?: number | null;
  saveData?: boolean | null;
}

export interface Beacon {
  v: 1;
  sdk: { name: string; version: string };
  url: string;
  timeOrigin: number; // epoch ms of the page view's start
  reports: Report[];
  referrer?: string;
  navigationId?: string;
  connection?: Connection | null;
  viewport?: { width: number; height: number } | null;
  sampleRate?: number;
  /** The route template the page's own router knows (`/products/:id`); the workers
   * use it after the project's rules, before deriving one from the URL's path. */
  route?: string | null;
  /** The release (deploy) the page runs, 1 to 64 characters; absent: no release. */
  release?: string | null;
  /** The beacon's place among those this page sent (0, 1, 2, …): the workers keep the
   * report from the highest, so a late re-sent beacon cannot undo a newer value. */
  seq?: number;
}

export const MAX_REPORTS = 50;
export const MAX_URL = 2048;
export const MAX_SELECTOR = 512;
export const MAX_SHORT = 64;
export const MAX_ROUTE = 256;
export const MAX_DURATION = 3_600_000; // attribution durations: below an hour
// 60 KiB: under the 64 KiB that sendBeacon and keepalive fetch allow in flight.
export const MAX_BODY = 60 * 1024;

/** Larger values are measurement garbage that ingest rejects (metrics.py SPECS). */
export const MAX_VALUE: Record<MetricName, number> = {
  LCP: 3_600_000,
  INP: 600_000,
  CLS: 100,
  FCP: 3_600_000,
  TTFB: 3_600_000,
};
