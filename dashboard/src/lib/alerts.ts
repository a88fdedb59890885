/**
 * Alert rules in words and in forms: how a rule, its state, a transition and a delivery
 * read, and the rule form ⇄ the admin service's request body (services/contracts/alerts.py
 * RuleSpec, whose bounds are checked here first so a mistake is named before it is sent).
 */
import type {
  AlertDetails, AlertEvent, AlertRule, AlertsNow, Delivery, DeviceName, RuleKind, RuleStatus,
  RuleStatusName, Statistic, Crossing,
} from '../api/types';
import { formatCount, formatShare, formatValue } from './format';
import { METRICS, type Metric, SPECS } from './metrics';

export const RULE_KINDS: readonly RuleKind[] = ['threshold', 'regression', 'silence'];
export const KIND_NAMES: Record<RuleKind, string> = {
  threshold: 'Threshold',
  regression: 'Release regression',
  silence: 'Silence (beacons stopped)',
};
export const DEVICE_NAMES: readonly DeviceName[] = ['mobile', 'desktop', 'tablet', 'other'];
export const STATUS_NAMES: Record<RuleStatusName, string> = {
  firing: 'Firing',
  ok: 'OK',
  pending: 'Not evaluated yet',
  disabled: 'Disabled',
};

/** The rule form's fields, as typed: numbers stay text until the form is sent. */
export interface RuleForm {
  kind: RuleKind;
  name: string;
  enabled: boolean;
  metric: Metric;
  statistic: Statistic;
  comparison: Crossing;
  /** The metric's unit: ms, a CLS score, or a good share in percent. */
  threshold: string;
  windowMinutes: string;
  minSamples: string;
  route: string;
  device: DeviceName | '';
  country: string;
  browser: string;
  metrics: Metric[];
  devices: DeviceName[];
  silenceMinutes: string;
  /** The hysteresis margin, in percent of the threshold. */
  hysteresisPercent: string;
  resolveAfterMinutes: string;
  cooldownMinutes: string;
}

/** A new rule of `kind`, with the contract's defaults (the quiet ones). */
export function emptyForm(kind: RuleKind = 'threshold'): RuleForm {
  return {
    kind, name: '', enabled: true, metric: 'LCP', statistic: 'p75', comparison: 'above',
    threshold: String(SPECS.LCP.goodMax), windowMinutes: '60', minSamples: '100', route: '', device: '',
    country: '', browser: '', metrics: [], devices: [], silenceMinutes: '30', hysteresisPercent: '10',
    resolveAfterMinutes: '10', cooldownMinutes: '30',
  };
}

function text(value: number | undefined | null, fallback: string): string {
  return value == null ? fallback : String(value);
}

/** The form that edits `rule`. */
export function formOf(rule: AlertRule): RuleForm {
  const empty = emptyForm(rule.kind);
  const share = rule.statistic == 'good_share';
  return {
    ...empty,
    name: rule.name,
    enabled: rule.enabled,
    metric: rule.metric ?? empty.metric,
    statistic: rule.statistic ?? empty.statistic,
    comparison: rule.comparison ?? empty.comparison,
    threshold: rule.threshold == null ? empty.threshold : String(share ? round(rule.threshold * 100, 4) : rule.threshold),
    windowMinutes: text(rule.window_minutes, empty.windowMinutes),
    minSamples: text(rule.min_samples, empty.minSamples),
    route: rule.route ?? '',
    device: rule.device ?? '',
    country: rule.country ?? '',
    browser: rule.browser ?? '',
    metrics: rule.metrics ? [...rule.metrics] : [],
    devices: rule.devices ? [...rule.devices] : [],
    silenceMinutes: text(rule.silence_minutes, empty.silenceMinutes),
    hysteresisPercent: String(round(rule.hysteresis_ratio * 100, 4)),
    resolveAfterMinutes: String(rule.resolve_after_minutes),
    cooldownMinutes: String(rule.cooldown_minutes),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; problem: string };

class Problem extends Error {}

function number(value: string, label: string, min: number, max: number, integer = true): number {
  const trimmed = value.trim();
  const parsed = trimmed == '' ? NaN : Number(trimmed);
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
    throw new Problem(`${label} must be ${integer ? 'a whole number' : 'a number'}.`);
  }
  if (parsed < min || parsed > max) throw new Problem(`${label} must be between ${min} and ${max}.`);
  return parsed;
}

/**
 * The admin service's body for the form: a create's (with `kind`), or an update's, which
 * names the same fields and clears an emptied optional filter with null. Only the kind's
 * own fields: the API refuses another kind's.
 */
export function ruleBody(form: RuleForm, update = false): BodyResult {
  try {
    const name = form.name.trim();
    if (!name) throw new Problem('Give the rule a name.');
    if (name.length > 100) throw new Problem('A name is at most 100 characters.');
    const body: Record<string, unknown> = {
      kind: form.kind,
      name,
      enabled: form.enabled,
      hysteresis_ratio: round(number(form.hysteresisPercent, 'The hysteresis margin', 0, 90, false) / 100, 6),
      resolve_after_minutes: number(form.resolveAfterMinutes, 'Resolve after', 0, 1440),
      cooldown_minutes: number(form.cooldownMinutes, 'The cooldown', 0, 10_080),
    };
    const optional = (key: string, value: string) => {
      const trimmed = value.trim();
      if (trimmed) body[key] = trimmed;
      else if (update) body[key] = null;
    };
    if (form.kind == 'threshold') {
      const share = form.statistic == 'good_share';
      const threshold = share
        ? number(form.threshold, 'The threshold', 0, 100, false) / 100
        : number(form.threshold, 'The threshold', 0, 3_600_000, false);
      Object.assign(body, {
        metric: form.metric,
        statistic: form.statistic,
        comparison: form.comparison,
        threshold: round(threshold, 6),
        window_minutes: number(form.windowMinutes, 'The window', 5, 10_080),
        min_samples: number(form.minSamples, 'The minimum sample count', 1, 1_000_000),
      });
      optional('route', form.route);
      optional('device', form.device);
      const country = form.country.trim().toUpperCase();
      if (country && !/^[A-Z]{2}$/.test(country)) throw new Problem('A country is a two-letter code, such as US.');
      optional('country', country);
      optional('browser', form.browser);
    } else if (form.kind == 'regression') {
      if (form.metrics.length) body.metrics = METRICS.filter((m) => form.metrics.includes(m));
      else if (update) body.metrics = null;
      if (form.devices.length) body.devices = DEVICE_NAMES.filter((d) => form.devices.includes(d));
      else if (update) body.devices = null;
    } else {
      body.silence_minutes = number(form.silenceMinutes, 'The silence', 5, 10_080);
    }
    return { ok: true, body };
  } catch (error) {
    if (error instanceof Problem) return { ok: false, problem: error.message };
    throw error;
  }
}

function minutes(n: number): string {
  if (n % 1440 == 0) return `${n / 1440} d`;
  if (n % 60 == 0) return `${n / 60} h`;
  return `${n} min`;
}

/** A threshold or value of the rule's statistic: "2.50 s", "0.12", "75%". */
export function formatStatistic(metric: Metric | null | undefined, statistic: Statistic | null | undefined,
  value: number | null | undefined): string {
  if (value == null) return '—';
  if (statistic == 'good_share') return formatShare(value);
  return metric ? formatValue(metric, value) : String(value);
}

/** The rule in one line: "LCP p75 above 2.50 s over 1 h (≥ 100 samples) · /checkout · mobile". */
export function describeRule(rule: AlertRule): string {
  if (rule.kind == 'threshold') {
    const statistic = rule.statistic == 'good_share' ? 'good share' : 'p75';
    const filters = [rule.route, rule.device, rule.country, rule.browser].filter(Boolean);
    const head = `${rule.metric} ${statistic} ${rule.comparison} ${formatStatistic(rule.metric, rule.statistic, rule.threshold)}`;
    const window = `over ${minutes(rule.window_minutes ?? 60)} (≥ ${formatCount(rule.min_samples ?? 0)} samples)`;
    return [`${head} ${window}`, ...filters].join(' · ');
  }
  if (rule.kind == 'regression') {
    const metrics = rule.metrics?.join(', ') ?? 'any Core Web Vital';
    const devices = rule.devices ? ` on ${rule.devices.join(', ')}` : '';
    return `A new release regresses ${metrics}${devices}`;
  }
  return `No beacons for ${minutes(rule.silence_minutes ?? 30)} while earlier weeks had traffic`;
}

/** The last value the evaluator read, in the rule's terms. */
export function describeValue(status: RuleStatus): string {
  const { rule, value } = status;
  if (value == null) return '—';
  if (rule.kind == 'threshold') return formatStatistic(rule.metric, rule.statistic, value);
  if (rule.kind == 'regression') return `${value >= 0 ? '+' : ''}${Math.round(value * 100)}% p75`;
  return value > 0 ? `silent ${minutes(value)}` : 'beacons arriving';
}

/** Firing first (as the query service orders them), for the Overview's banner. */
export function firingRules(alerts: AlertsNow | null): RuleStatus[] {
  return alerts?.rules.filter((r) => r.status == 'firing') ?? [];
}

export function bannerText(firing: RuleStatus[]): string {
  if (!firing.length) return '';
  const names = firing.slice(0, 3).map((r) => r.rule.name);
  const more = firing.length > 3 ? ` and ${firing.length - 3} more` : '';
  return `${firing.length == 1 ? '1 alert is' : `${firing.length} alerts are`} firing: ${names.join(', ')}${more}`;
}

/** What a history row says: the rule, and the numbers the notification named. */
export function describeEvent(event: AlertEvent): string {
  const d: AlertDetails = event.details;
  const name = d.rule_name ?? (event.rule_id == null ? 'Test notification' : `Rule ${event.rule_id}`);
  const parts = [name];
  if (d.metric && d.value != null) {
    parts.push(`${d.metric} ${formatStatistic(d.metric, d.statistic, d.value)} (threshold ${formatStatistic(d.metric, d.statistic, d.threshold)})`);
  }
  if (d.samples != null && d.samples > 0) parts.push(`${formatCount(d.samples)} samples`);
  if (d.release) parts.push(`release ${d.release}`);
  return parts.join(' · ');
}

/** A delivery's outcome in words: "Delivered (HTTP 200)", "Retrying: HTTP 503 …". */
export function describeDelivery(delivery: Delivery): string {
  const code = delivery.last_status_code != null ? ` (HTTP ${delivery.last_status_code})` : '';
  if (delivery.status == 'delivered') return `Delivered${code}`;
  const error = delivery.last_error ? `: ${delivery.last_error}` : '';
  if (delivery.status == 'failed') return `Failed${code}${error}`;
  return delivery.attempts == 0 ? 'Queued' : `Retrying${code}${error}`;
}

/** A notification's dashboard link, if it is an http(s) URL (never a `javascript:` one). */
export function safeLink(link: string | null | undefined): string | null {
  if (!link) return null;
  try {
    const url = new URL(link);
    return url.protocol == 'http:' || url.protocol == 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
