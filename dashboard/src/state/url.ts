/**
 * Everything a view shows is in the URL's query string, so a link reproduces the view:
 * which project and view, the time range, the filters, and each view's own choices.
 * Parsing is forgiving (an unknown value falls back to the default); serialising omits
 * defaults and keeps a fixed order, so equal states make equal URLs.
 */
import { type Metric, isMetric } from '../lib/metrics';

/** What every member of a project reads. */
export const DATA_VIEWS = [
  'overview', 'trends', 'distribution', 'breakdowns', 'attribution', 'releases', 'alerts', 'live',
] as const;
/** A project's admin screens, shown to its admins and to owners (api/me.ts). */
export const ADMIN_VIEWS = ['setup', 'settings', 'keys', 'members'] as const;
/** The instance's users, and a new project: owners only. */
export const OWNER_VIEWS = ['users', 'new-project'] as const;
export const VIEWS = [...DATA_VIEWS, ...ADMIN_VIEWS, ...OWNER_VIEWS] as const;
export type View = (typeof VIEWS)[number];

export const RANGES = ['1h', '24h', '7d', '28d'] as const;
export type RelativeRange = (typeof RANGES)[number];
export const DEFAULT_RANGE: RelativeRange = '7d';

/** What the query API filters and breaks down by (services/query/filters.py), routes first. */
export const DIMENSIONS = [
  'route', 'device', 'browser', 'os', 'country', 'connection', 'navigation_type', 'release',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const PERCENTILES = ['p50', 'p75', 'p90', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

export const SORTS = ['value', 'count', 'p75', 'good_share', 'poor_share'] as const;
export type Sort = (typeof SORTS)[number];
export type Order = 'asc' | 'desc';

export const DEVICES = ['mobile', 'desktop', 'tablet', 'other'] as const;
export const NAVIGATION_TYPES = [
  'navigate', 'reload', 'back-forward', 'back-forward-cache', 'prerender', 'restore', 'soft-navigation',
] as const;

export type Filters = Partial<Record<Dimension, string[]>>;

export interface TimeSelection {
  range: RelativeRange | 'custom';
  /** ISO 8601 instants, set when range is custom */
  from?: string;
  to?: string;
}

export interface ViewState extends TimeSelection {
  view: View;
  project: number | null;
  filters: Filters;
  metric: Metric;
  percentiles: Percentile[];
  dimension: Dimension;
  sort: Sort;
  order: Order;
  page: number;
  /** The releases view's chosen release ('' for the newest) and its baseline ('' for the one before). */
  compare: string;
  baseline: string;
}

// The SDK's and the query service's limit on a release name (contracts/wire.py MAX_RELEASE).
export const MAX_RELEASE = 64;

export const DEFAULTS: ViewState = {
  view: 'overview',
  project: null,
  range: DEFAULT_RANGE,
  filters: {},
  metric: 'LCP',
  percentiles: ['p75'],
  dimension: 'route',
  sort: 'count',
  order: 'desc',
  page: 1,
  compare: '',
  baseline: '',
};

function oneOf<T extends string>(options: readonly T[], value: string | null, fallback: T): T {
  return value != null && (options as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** A release name as the query service accepts it: at most 64 characters; else none. */
function releaseName(text: string | null): string {
  const name = text?.trim() ?? '';
  return name.length <= MAX_RELEASE ? name : '';
}

function isInstant(text: string | null): text is string {
  return text != null && text.length <= 40 && !Number.isNaN(Date.parse(text));
}

/** Values of one filter: repeated parameters; empty and duplicate values dropped. */
function filterValues(params: URLSearchParams, dimension: Dimension): string[] {
  const values = params.getAll(dimension).map((v) => v.trim()).filter(Boolean);
  const known: readonly string[] | null =
    dimension == 'device' ? DEVICES : dimension == 'navigation_type' ? NAVIGATION_TYPES : null;
  const kept = known ? values.map((v) => v.toLowerCase()).filter((v) => known.includes(v)) : values;
  const normalised = dimension == 'country' ? kept.map((v) => v.toUpperCase()) : kept;
  return [...new Set(normalised)].sort();
}

export function parseState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const projectText = params.get('project');
  const project = projectText != null && /^\d{1,12}$/.test(projectText) ? Number(projectText) : null;
  const from = params.get('from');
  const to = params.get('to');
  const custom = isInstant(from) && isInstant(to) && Date.parse(from) < Date.parse(to);
  const filters: Filters = {};
  for (const dimension of DIMENSIONS) {
    const values = filterValues(params, dimension);
    if (values.length) filters[dimension] = values;
  }
  const metric = params.get('metric')?.toUpperCase();
  const percentiles = (params.get('p') ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p): p is Percentile => (PERCENTILES as readonly string[]).includes(p));
  const page = Number(params.get('page'));
  return {
    view: oneOf(VIEWS, params.get('view'), DEFAULTS.view),
    project,
    range: custom ? 'custom' : oneOf(RANGES, params.get('range'), DEFAULT_RANGE),
    ...(custom ? { from: new Date(from).toISOString(), to: new Date(to).toISOString() } : {}),
    filters,
    metric: isMetric(metric) ? metric : DEFAULTS.metric,
    percentiles: percentiles.length ? PERCENTILES.filter((p) => percentiles.includes(p)) : DEFAULTS.percentiles,
    dimension: oneOf(DIMENSIONS, params.get('dim'), DEFAULTS.dimension),
    sort: oneOf(SORTS, params.get('sort'), DEFAULTS.sort),
    order: oneOf(['asc', 'desc'] as const, params.get('order'), DEFAULTS.order),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
    compare: releaseName(params.get('compare')),
    baseline: releaseName(params.get('baseline')),
  };
}

export function serializeState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.project != null) params.set('project', String(state.project));
  if (state.view != DEFAULTS.view) params.set('view', state.view);
  if (state.range == 'custom' && state.from && state.to) {
    params.set('from', state.from);
    params.set('to', state.to);
  } else if (state.range != DEFAULT_RANGE && state.range != 'custom') {
    params.set('range', state.range);
  }
  for (const dimension of DIMENSIONS) {
    for (const value of state.filters[dimension] ?? []) params.append(dimension, value);
  }
  if (state.metric != DEFAULTS.metric) params.set('metric', state.metric);
  if (state.percentiles.join() != DEFAULTS.percentiles.join()) params.set('p', state.percentiles.join(','));
  if (state.dimension != DEFAULTS.dimension) params.set('dim', state.dimension);
  if (state.sort != DEFAULTS.sort) params.set('sort', state.sort);
  if (state.order != DEFAULTS.order) params.set('order', state.order);
  if (state.page != 1) params.set('page', String(state.page));
  if (state.compare) params.set('compare', state.compare);
  if (state.baseline) params.set('baseline', state.baseline);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A state with some fields changed; a changed selection (range, filters) goes back to page 1. */
export function withChanges(state: ViewState, changes: Partial<ViewState>): ViewState {
  const next = { ...state, ...changes };
  const reselected =
    'filters' in changes || 'range' in changes || 'from' in changes || 'dimension' in changes ||
    'metric' in changes || 'sort' in changes || 'order' in changes || 'project' in changes;
  if (reselected && !('page' in changes)) next.page = 1;
  // Another project has other releases; another release is compared with the one before it.
  if ('project' in changes && !('compare' in changes)) next.compare = '';
  if (('project' in changes || 'compare' in changes) && !('baseline' in changes)) next.baseline = '';
  if (next.range != 'custom') {
    delete next.from;
    delete next.to;
  }
  return next;
}

export function setFilter(filters: Filters, dimension: Dimension, values: string[]): Filters {
  const next: Filters = { ...filters };
  const kept = [...new Set(values.map((v) => v.trim()).filter(Boolean))].sort();
  if (kept.length) next[dimension] = kept;
  else delete next[dimension];
  return next;
}

/** The selection every query view shares (services/query/selection.py): window and filters. */
export function selectionParams(state: TimeSelection & { filters: Filters }): URLSearchParams {
  const params = new URLSearchParams();
  if (state.range == 'custom' && state.from && state.to) {
    params.set('from', state.from);
    params.set('to', state.to);
  } else {
    params.set('range', state.range == 'custom' ? DEFAULT_RANGE : state.range);
  }
  for (const dimension of DIMENSIONS) {
    for (const value of state.filters[dimension] ?? []) params.append(dimension, value);
  }
  return params;
}

/** The mobile / desktop / all switch reads and writes the device filter. */
export type DeviceChoice = 'all' | 'mobile' | 'desktop' | 'custom';

export function deviceChoice(filters: Filters): DeviceChoice {
  const devices = filters.device ?? [];
  if (devices.length == 0) return 'all';
  if (devices.length == 1 && (devices[0] == 'mobile' || devices[0] == 'desktop')) return devices[0];
  return 'custom';
}

export function activeFilterCount(filters: Filters): number {
  return DIMENSIONS.reduce((n, d) => n + (filters[d]?.length ? 1 : 0), 0);
}
