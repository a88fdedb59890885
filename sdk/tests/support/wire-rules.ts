/**
 * A runtime check of wire format v1 that mirrors services/contracts/wire.py (msgspec types
 * plus check_values), so the SDK's tests can hold its beacons, and the golden files, to
 * the rules ingest applies. Returns null for a valid beacon, else the first broken rule.
 */
import type { Beacon } from '../../src/wire';

type Rule = (value: unknown, path: string) => string | null;

const METRICS = { LCP: 3_600_000, INP: 600_000, CLS: 100, FCP: 3_600_000, TTFB: 3_600_000 };
const NAVIGATION_TYPES = [
  'navigate', 'reload', 'back-forward', 'back-forward-cache', 'prerender', 'restore', 'soft-navigation',
];
const LOAD_STATES = ['loading', 'dom-interactive', 'dom-content-loaded', 'complete'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v == 'object' && v !== null && !Array.isArray(v);
// Python's len() counts code points; JS length counts UTF-16 units.
const length = (s: string): number => [...s].length;

const str = (min: number, max: number): Rule => (v, path) =>
  typeof v != 'string' ? `${path}: expected string` :
  length(v) < min || length(v) > max ? `${path}: length must be in [${min}, ${max}]` :
  // PostgreSQL text cannot hold NUL; ingest refuses it (services/contracts/wire.py).
  v.includes('\u0000') ? `${path} contains a NUL character` : null;
const num = (min: number, max: number, exclusiveMin = false): Rule => (v, path) =>
  typeof v != 'number' || !Number.isFinite(v) ? `${path}: expected a finite number` :
  v < min || (exclusiveMin && v == min) || v > max ? `${path}: out of range` : null;
const int = (min: number, max: number): Rule => (v, path) =>
  Number.isInteger(v) ? num(min, max)(v, path) : `${path}: expected int`;
const bool: Rule = (v, path) => (typeof v == 'boolean' ? null : `${path}: expected bool`);
const oneOf = (values: unknown[]): Rule => (v, path) =>
  values.includes(v) ? null : `${path}: invalid enum value ${JSON.stringify(v)}`;
const nullable = (rule: Rule): Rule => (v, path) => (v === null ? null : rule(v, path));
const list = (item: Rule, min: number, max: number): Rule => (v, path) => {
  if (!Array.isArray(v)) return `${path}: expected array`;
  if (v.length < min || v.length > max) return `${path}: length must be in [${min}, ${max}]`;
  for (const [i, x] of v.entries()) {
    const error = item(x, `${path}[${i}]`);
    if (error) return error;
  }
  return null;
};
/** A struct with forbid_unknown_fields: `required` fields must be present. */
const struct = (fields: Record<string, Rule>, required: string[] = []): Rule => (v, path) => {
  if (!isObject(v)) return `${path}: expected object`;
  for (const key of Object.keys(v)) if (!(key in fields)) return `${path}: unknown field ${key}`;
  for (const key of required) if (!(key in v)) return `${path}: missing required field ${key}`;
  for (const [key, rule] of Object.entries(fields)) {
    if (!(key in v)) continue;
    const error = rule(v[key], `${path}.${key}`);
    if (error) return error;
  }
  return null;
};

const url = str(0, 2048);
const selector = str(0, 512);
const duration = num(0, 3_600_000);

const attribution = struct(
  Object.fromEntries(
    Object.entries({
      target: selector, url, timeToFirstByte: duration, resourceLoadDelay: duration,
      resourceLoadDuration: duration, elementRenderDelay: duration,
      interactionTarget: selector, interactionType: oneOf(['pointer', 'keyboard']),
      inputDelay: duration, processingDuration: duration, presentationDelay: duration,
      longestScriptUrl: url,
      largestShiftTarget: selector, largestShiftValue: num(0, 100), largestShiftTime: duration,
      firstByteToFCP: duration,
      dnsDuration: duration, connectionDuration: duration, requestDuration: duration,
      waitingDuration: duration, cacheDuration: duration,
      loadState: oneOf(LOAD_STATES),
    }).map(([key, rule]) => [key, nullable(rule)]),
  ),
);

const report = struct(
  {
    name: oneOf(Object.keys(METRICS)),
    value: num(0, Infinity),
    delta: num(-Infinity, Infinity),
    id: str(1, 64),
    rating: nullable(oneOf(['good', 'needs-improvement', 'poor'])),
    navigationType: oneOf(NAVIGATION_TYPES),
    attribution: nullable(attribution),
  },
  ['name', 'value', 'delta', 'id'],
);

const beacon = struct(
  {
    v: oneOf([1]),
    sdk: struct({ name: str(0, 64), version: str(0, 64) }, ['name', 'version']),
    url: str(1, 2048),
    timeOrigin: num(0, Infinity, true),
    reports: list(report, 1, 50),
    referrer: url,
    navigationId: str(0, 64),
    connection: nullable(
      struct({
        effectiveType: nullable(oneOf(['slow-2g', '2g', '3g', '4g'])),
        rtt: nullable(int(0, 60_000)),
        saveData: nullable(bool),
      }),
    ),
    viewport: nullable(struct({ width: int(0, 100_000), height: int(0, 100_000) }, ['width', 'height'])),
    sampleRate: num(0, 1, true),
    route: nullable(str(1, 256)),
    release: nullable(str(1, 64)),
    seq: int(0, 2 ** 31 - 1),
  },
  ['v', 'sdk', 'url', 'timeOrigin', 'reports'],
);

/** check_values: per-metric bounds on value and delta, and an absolute http(s) URL. */
function checkValues(b: Beacon): string | null {
  for (const [i, r] of b.reports.entries()) {
    const max = METRICS[r.name];
    if (r.value > max) return `$.reports[${i}].value out of range for ${r.name}`;
    if (Math.abs(r.delta) > max) return `$.reports[${i}].delta out of range for ${r.name}`;
  }
  return /^https?:\/\//.test(b.url) ? null : '$.url must be an absolute http(s) URL';
}

export function validate(data: unknown): string | null {
  return beacon(data, '$') ?? checkValues(data as Beacon);
}

/** Parses a body as ingest would: malformed JSON (NaN, Infinity, truncated) is an error too. */
export function decode(body: string): Beacon {
  const data: unknown = JSON.parse(body);
  const error = validate(data);
  if (error) throw new Error(error);
  return data as Beacon;
}
