import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertRule, Delivery, RuleStatus } from '../../src/api/types';
import {
  bannerText, describeDelivery, describeEvent, describeRule, describeValue, emptyForm, firingRules, formOf, ruleBody,
  safeLink,
} from '../../src/lib/alerts';
import { parseState, serializeState, DEFAULTS } from '../../src/state/url';

const BASE: AlertRule = {
  id: 7, project_id: 1, kind: 'threshold', name: 'Checkout LCP', enabled: true, hysteresis_ratio: 0.1,
  resolve_after_minutes: 10, cooldown_minutes: 30, created_at: '2026-12-06T12:00:00Z', updated_at: '2026-12-06T12:00:00Z',
};
const THRESHOLD: AlertRule = {
  ...BASE, metric: 'LCP', statistic: 'p75', comparison: 'above', threshold: 2500, window_minutes: 60, min_samples: 100,
  route: '/checkout', device: 'mobile',
};

function status(rule: AlertRule, changes: Partial<RuleStatus> = {}): RuleStatus {
  return {
    rule, status: 'ok', since: null, evaluated_at: null, value: null, samples: null, release: null,
    recovering_since: null, ...changes,
  };
}

describe('ruleBody', () => {
  it("sends a threshold rule's own fields, in the contract's units", () => {
    const form = { ...emptyForm('threshold'), name: ' Checkout LCP ', route: '/checkout', device: 'mobile' as const,
      country: 'us', threshold: '3000', hysteresisPercent: '15' };
    expect(ruleBody(form)).toEqual({
      ok: true,
      body: {
        kind: 'threshold', name: 'Checkout LCP', enabled: true, hysteresis_ratio: 0.15, resolve_after_minutes: 10,
        cooldown_minutes: 30, metric: 'LCP', statistic: 'p75', comparison: 'above', threshold: 3000,
        window_minutes: 60, min_samples: 100, route: '/checkout', device: 'mobile', country: 'US',
      },
    });
  });

  it('reads a good share in percent and sends a fraction', () => {
    const form = { ...emptyForm(), name: 'Good INP', metric: 'INP' as const, statistic: 'good_share' as const,
      comparison: 'below' as const, threshold: '75' };
    const result = ruleBody(form);
    expect(result.ok && result.body.threshold).toBe(0.75);
    expect(ruleBody({ ...form, threshold: '120' })).toEqual({ ok: false, problem: 'The threshold must be between 0 and 100.' });
  });

  it('sends only the kind\'s fields: a regression its lists in a fixed order, a silence its minutes', () => {
    const regression = ruleBody({ ...emptyForm('regression'), name: 'R', metrics: ['INP', 'LCP'], devices: ['mobile'] });
    expect(regression.ok && regression.body).toEqual({
      kind: 'regression', name: 'R', enabled: true, hysteresis_ratio: 0.1, resolve_after_minutes: 10,
      cooldown_minutes: 30, metrics: ['LCP', 'INP'], devices: ['mobile'],
    });
    const silence = ruleBody({ ...emptyForm('silence'), name: 'S', silenceMinutes: '45' });
    expect(silence.ok && silence.body).toEqual({
      kind: 'silence', name: 'S', enabled: true, hysteresis_ratio: 0.1, resolve_after_minutes: 10,
      cooldown_minutes: 30, silence_minutes: 45,
    });
  });

  it('clears emptied optional fields with null on an update, and omits them on a create', () => {
    const form = { ...formOf(THRESHOLD), route: '', device: '' as const };
    const update = ruleBody(form, true);
    expect(update.ok && [update.body.route, update.body.device, update.body.browser]).toEqual([null, null, null]);
    const create = ruleBody(form);
    expect(create.ok && ['route' in create.body, 'device' in create.body]).toEqual([false, false]);
    const regression = ruleBody({ ...emptyForm('regression'), name: 'R' }, true);
    expect(regression.ok && [regression.body.metrics, regression.body.devices]).toEqual([null, null]);
  });

  it('names the first mistake before anything is sent', () => {
    const form = { ...emptyForm(), name: 'x' };
    expect(ruleBody({ ...form, name: '  ' })).toEqual({ ok: false, problem: 'Give the rule a name.' });
    expect(ruleBody({ ...form, windowMinutes: '4' })).toEqual({ ok: false, problem: 'The window must be between 5 and 10080.' });
    expect(ruleBody({ ...form, minSamples: '1.5' })).toEqual({ ok: false, problem: 'The minimum sample count must be a whole number.' });
    expect(ruleBody({ ...form, threshold: '' })).toEqual({ ok: false, problem: 'The threshold must be a number.' });
    expect(ruleBody({ ...form, country: 'USA' })).toEqual({ ok: false, problem: 'A country is a two-letter code, such as US.' });
    expect(ruleBody({ ...form, hysteresisPercent: '95' }).ok).toBe(false);
  });

  it('round-trips a stored rule through its form', () => {
    const share = { ...THRESHOLD, statistic: 'good_share' as const, comparison: 'below' as const, threshold: 0.8,
      hysteresis_ratio: 0.05, country: 'DE', browser: 'Firefox' };
    for (const rule of [THRESHOLD, share]) {
      const result = ruleBody(formOf(rule));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      for (const key of ['metric', 'statistic', 'comparison', 'threshold', 'window_minutes', 'min_samples', 'route',
        'device', 'hysteresis_ratio', 'country', 'browser'] as const) {
        expect(result.body[key], key).toEqual(rule[key]);
      }
    }
  });
});

describe('describing rules and their state', () => {
  it('says each kind in one line, with its filters', () => {
    expect(describeRule(THRESHOLD)).toBe('LCP p75 above 2.50 s over 1 h (≥ 100 samples) · /checkout · mobile');
    expect(describeRule({ ...THRESHOLD, statistic: 'good_share', comparison: 'below', threshold: 0.75, route: undefined,
      device: undefined, window_minutes: 1440, min_samples: 2000 })).toBe('LCP good share below 75% over 1 d (≥ 2,000 samples)');
    expect(describeRule({ ...BASE, kind: 'regression', metrics: ['LCP', 'INP'], devices: ['mobile'] }))
      .toBe('A new release regresses LCP, INP on mobile');
    expect(describeRule({ ...BASE, kind: 'regression' })).toBe('A new release regresses any Core Web Vital');
    expect(describeRule({ ...BASE, kind: 'silence', silence_minutes: 45 }))
      .toBe('No beacons for 45 min while earlier weeks had traffic');
  });

  it("reads the evaluator's last value in the rule's terms", () => {
    expect(describeValue(status(THRESHOLD, { value: 3100 }))).toBe('3.10 s');
    expect(describeValue(status({ ...THRESHOLD, metric: 'CLS', threshold: 0.1 }, { value: 0.31 }))).toBe('0.31');
    expect(describeValue(status({ ...BASE, kind: 'regression' }, { value: 0.183 }))).toBe('+18% p75');
    expect(describeValue(status({ ...BASE, kind: 'silence', silence_minutes: 60 }, { value: 60 }))).toBe('silent 1 h');
    expect(describeValue(status({ ...BASE, kind: 'silence', silence_minutes: 60 }, { value: 0 }))).toBe('beacons arriving');
    expect(describeValue(status(THRESHOLD))).toBe('—');
  });

  it('banners the firing rules only, naming at most three', () => {
    const rules = ['a', 'b', 'c', 'd'].map((name, i) => status({ ...THRESHOLD, id: i, name }, { status: 'firing' }));
    const alerts = { project_id: 1, firing: 4, rules: [...rules, status(THRESHOLD, { status: 'disabled' })] };
    expect(firingRules(alerts).map((r) => r.rule.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(bannerText(firingRules(alerts))).toBe('4 alerts are firing: a, b, c and 1 more');
    expect(bannerText(rules.slice(0, 1))).toBe('1 alert is firing: a');
    expect(bannerText([])).toBe('');
    expect(firingRules(null)).toEqual([]);
  });
});

describe('the logs', () => {
  it('says what a transition notified', () => {
    const event: AlertEvent = {
      id: 1, rule_id: 7, transition: 'firing', at: '2026-12-06T12:00:00Z',
      details: { rule_name: 'Checkout LCP', metric: 'LCP', statistic: 'p75', value: 3100, threshold: 2500, samples: 812,
        release: 'v42' },
    };
    expect(describeEvent(event)).toBe('Checkout LCP · LCP 3.10 s (threshold 2.50 s) · 812 samples · release v42');
    expect(describeEvent({ ...event, rule_id: null, transition: 'test', details: {} })).toBe('Test notification');
  });

  it("says a delivery's outcome with its status code and last error", () => {
    const delivery: Delivery = {
      id: 1, event_id: 1, transition: 'firing', rule_id: 7, rule_name: 'x', destination_id: 1, destination: '#ops',
      status: 'pending', attempts: 0, last_error: null, last_status_code: null, next_attempt_at: null,
      created_at: '2026-12-06T12:00:00Z', delivered_at: null, idempotency_key: 'k',
    };
    expect(describeDelivery(delivery)).toBe('Queued');
    expect(describeDelivery({ ...delivery, attempts: 2, last_status_code: 503, last_error: 'HTTP 503' }))
      .toBe('Retrying (HTTP 503): HTTP 503');
    expect(describeDelivery({ ...delivery, status: 'delivered', attempts: 1, last_status_code: 200 })).toBe('Delivered (HTTP 200)');
    expect(describeDelivery({ ...delivery, status: 'failed', attempts: 10, last_error: 'connection refused' }))
      .toBe('Failed: connection refused');
  });
});

describe('safeLink', () => {
  it('links only to http(s) URLs', () => {
    expect(safeLink('https://vitals.example/?project=1&view=trends')).toBe('https://vitals.example/?project=1&view=trends');
    expect(safeLink('javascript:alert(1)')).toBeNull();
    expect(safeLink('/relative')).toBeNull();
    expect(safeLink(null)).toBeNull();
  });
});

describe('the alerts view in the URL', () => {
  it('is a view of its own, linkable like the others', () => {
    expect(parseState('?project=3&view=alerts').view).toBe('alerts');
    expect(serializeState({ ...DEFAULTS, project: 3, view: 'alerts' })).toBe('?project=3&view=alerts');
  });
});
