/**
 * Create or edit an alert rule (the project's admins; the admin service checks the role
 * and the rule again). Each kind shows only its own fields; numbers are checked here
 * first (lib/alerts.ts ruleBody) so a mistake is named before anything is sent.
 */
import { type FormEvent, useState } from 'react';
import { useAdminWrite } from '../api/admin';
import type { AlertRule, DeviceName, RuleKind, Statistic, Crossing } from '../api/types';
import { ErrorNotice } from '../components/Panel';
import { DEVICE_NAMES, KIND_NAMES, RULE_KINDS, type RuleForm, emptyForm, formOf, ruleBody } from '../lib/alerts';
import { METRICS, type Metric, SPECS } from '../lib/metrics';

function toggle<T>(values: T[], value: T, on: boolean): T[] {
  return on ? [...values.filter((v) => v != value), value] : values.filter((v) => v != value);
}

export function AlertRuleForm({ project, rule, onDone }: {
  project: number;
  /** The rule to edit; undefined: a new one. */
  rule?: AlertRule;
  onDone: (saved: boolean) => void;
}) {
  const [form, setForm] = useState<RuleForm>(() => (rule ? formOf(rule) : emptyForm()));
  const [problem, setProblem] = useState('');
  const write = useAdminWrite();
  const set = (changes: Partial<RuleForm>) => setForm((f) => ({ ...f, ...changes }));
  const unit = form.statistic == 'good_share' ? '%' : SPECS[form.metric].unit == 'ms' ? 'ms' : 'score';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = ruleBody(form, rule != null);
    if (!result.ok) {
      setProblem(result.problem);
      return;
    }
    setProblem('');
    const base = `/v1/projects/${project}/alerts/rules`;
    const { ok } = rule
      ? await write.run('PATCH', `${base}/${rule.id}`, result.body)
      : await write.run('POST', base, result.body);
    if (ok) onDone(true);
  };

  return (
    <form className="rule-form" onSubmit={submit} aria-label={rule ? `Edit rule ${rule.name}` : 'New alert rule'}
      data-testid="rule-form">
      <div className="form-grid">
        <label>
          <span>Kind</span>
          <select value={form.kind} disabled={rule != null}
            onChange={(e) => setForm({ ...emptyForm(e.target.value as RuleKind), name: form.name })}>
            {RULE_KINDS.map((k) => <option key={k} value={k}>{KIND_NAMES[k]}</option>)}
          </select>
        </label>
        <label>
          <span>Name</span>
          <input value={form.name} maxLength={100} required onChange={(e) => set({ name: e.target.value })} />
        </label>
        {form.kind == 'threshold' && (
          <>
            <label>
              <span>Metric</span>
              <select value={form.metric} onChange={(e) => {
                const metric = e.target.value as Metric;
                set({ metric, threshold: form.statistic == 'good_share' ? form.threshold : String(SPECS[metric].goodMax) });
              }}>
                {METRICS.map((m) => <option key={m} value={m}>{m}</option>)}
              </select>
            </label>
            <label>
              <span>Statistic</span>
              <select value={form.statistic} onChange={(e) => {
                const statistic = e.target.value as Statistic;
                set(statistic == 'good_share'
                  ? { statistic, comparison: 'below', threshold: '75' }
                  : { statistic, comparison: 'above', threshold: String(SPECS[form.metric].goodMax) });
              }}>
                <option value="p75">p75</option>
                <option value="good_share">Good share</option>
              </select>
            </label>
            <label>
              <span>Fires when</span>
              <select value={form.comparison} onChange={(e) => set({ comparison: e.target.value as Crossing })}>
                <option value="above">above</option>
                <option value="below">below</option>
              </select>
            </label>
            <label>
              <span>Threshold ({unit})</span>
              <input inputMode="decimal" value={form.threshold} onChange={(e) => set({ threshold: e.target.value })} />
            </label>
            <label>
              <span>Window (minutes)</span>
              <input inputMode="numeric" value={form.windowMinutes} onChange={(e) => set({ windowMinutes: e.target.value })} />
            </label>
            <label>
              <span>Minimum samples</span>
              <input inputMode="numeric" value={form.minSamples} onChange={(e) => set({ minSamples: e.target.value })} />
            </label>
            <label>
              <span>Route (optional)</span>
              <input value={form.route} placeholder="/checkout" onChange={(e) => set({ route: e.target.value })} />
            </label>
            <label>
              <span>Device (optional)</span>
              <select value={form.device} onChange={(e) => set({ device: e.target.value as DeviceName | '' })}>
                <option value="">Any</option>
                {DEVICE_NAMES.map((d) => <option key={d} value={d}>{d}</option>)}
              </select>
            </label>
            <label>
              <span>Country (optional)</span>
              <input value={form.country} maxLength={2} placeholder="US" onChange={(e) => set({ country: e.target.value })} />
            </label>
            <label>
              <span>Browser (optional)</span>
              <input value={form.browser} placeholder="Chrome" onChange={(e) => set({ browser: e.target.value })} />
            </label>
          </>
        )}
        {form.kind == 'regression' && (
          <>
            <fieldset className="checks-field">
              <legend>Metrics (none: the Core Web Vitals)</legend>
              {METRICS.map((m) => (
                <label key={m} className="check">
                  <input type="checkbox" checked={form.metrics.includes(m)}
                    onChange={(e) => set({ metrics: toggle(form.metrics, m, e.target.checked) })} />
                  {m}
                </label>
              ))}
            </fieldset>
            <fieldset className="checks-field">
              <legend>Devices (none: any)</legend>
              {DEVICE_NAMES.map((d) => (
                <label key={d} className="check">
                  <input type="checkbox" checked={form.devices.includes(d)}
                    onChange={(e) => set({ devices: toggle(form.devices, d, e.target.checked) })} />
                  {d}
                </label>
              ))}
            </fieldset>
          </>
        )}
        {form.kind == 'silence' && (
          <label>
            <span>Silent for (minutes)</span>
            <input inputMode="numeric" value={form.silenceMinutes} onChange={(e) => set({ silenceMinutes: e.target.value })} />
          </label>
        )}
      </div>
      <details className="form-more">
        <summary>Flapping and repeats</summary>
        <div className="form-grid">
          <label>
            <span>Hysteresis margin (%)</span>
            <input inputMode="decimal" value={form.hysteresisPercent} onChange={(e) => set({ hysteresisPercent: e.target.value })} />
          </label>
          <label>
            <span>Resolve after (minutes)</span>
            <input inputMode="numeric" value={form.resolveAfterMinutes} onChange={(e) => set({ resolveAfterMinutes: e.target.value })} />
          </label>
          <label>
            <span>Cooldown (minutes)</span>
            <input inputMode="numeric" value={form.cooldownMinutes} onChange={(e) => set({ cooldownMinutes: e.target.value })} />
          </label>
        </div>
      </details>
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
        Enabled
      </label>
      {problem && <p className="form-problem" role="alert">{problem}</p>}
      {write.error && <ErrorNotice error={write.error} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={write.pending}>
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className="button" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  );
}
