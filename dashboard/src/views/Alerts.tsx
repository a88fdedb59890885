/**
 * Alerts: the project's rules and what is firing now (firing first), where notifications
 * go, the history of transitions and the delivery log. Reads come from the query service,
 * writes go to the admin service; the forms are offered when the token claims the admin
 * role in the project, and the admin service decides.
 */
import { useState } from 'react';
import { useAdminWrite, useIsAdmin, usePolling } from '../api/admin';
import type { AlertRule, AlertsNow, RuleStatus } from '../api/types';
import { useApi } from '../api/useApi';
import { ErrorNotice, Panel } from '../components/Panel';
import { KIND_NAMES, STATUS_NAMES, describeRule, describeValue } from '../lib/alerts';
import { formatCount, formatDateTime } from '../lib/format';
import type { ViewState } from '../state/url';
import type { Navigate } from '../state/useUrlState';
import { AlertRuleForm } from './AlertRuleForm';
import { DestinationsPanel } from './AlertDestinations';
import { DeliveriesPanel, HistoryPanel, REFRESH_MS } from './AlertLogs';

export function StatusBadge({ status }: { status: RuleStatus['status'] }) {
  return <span className={`state-badge state-${status}`}>{STATUS_NAMES[status]}</span>;
}

function RuleActions({ rule, onEdit, onDeleted }: { rule: AlertRule; onEdit: () => void; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const write = useAdminWrite();
  const remove = async () => {
    const { ok } = await write.run('DELETE', `/v1/projects/${rule.project_id}/alerts/rules/${rule.id}`);
    if (ok) onDeleted();
  };
  return (
    <td className="row-actions">
      <button type="button" className="button button-small" onClick={onEdit} aria-label={`Edit ${rule.name}`}>Edit</button>
      {confirming ? (
        <>
          <button type="button" className="button button-small button-danger" onClick={remove} disabled={write.pending}>
            Confirm delete
          </button>
          <button type="button" className="button button-small" onClick={() => setConfirming(false)}>Keep</button>
        </>
      ) : (
        <button type="button" className="button button-small" onClick={() => setConfirming(true)} aria-label={`Delete ${rule.name}`}>
          Delete
        </button>
      )}
      {write.error && <ErrorNotice error={write.error} />}
    </td>
  );
}

function RuleTable({ rules, admin, onEdit, onChanged }: {
  rules: RuleStatus[]; admin: boolean; onEdit: (rule: AlertRule) => void; onChanged: () => void;
}) {
  return (
    <div className="table-scroll">
      <table className="rule-table">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Rule</th>
            <th scope="col">Condition</th>
            <th scope="col" className="num">Last value</th>
            <th scope="col">Since</th>
            {admin && <th scope="col"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.rule.id} data-testid="rule-row" data-status={r.status} data-name={r.rule.name}
              className={r.status == 'firing' ? 'firing' : ''}>
              <td><StatusBadge status={r.status} /></td>
              <th scope="row">
                <span className="rule-name">{r.rule.name}</span>
                <span className="muted rule-kind">{KIND_NAMES[r.rule.kind]}</span>
              </th>
              <td className="rule-condition">{describeRule(r.rule)}</td>
              <td className="num">
                {describeValue(r)}
                {r.samples != null && r.samples > 0 && <span className="muted"> · {formatCount(r.samples)} samples</span>}
                {r.release && <span className="muted"> · {r.release}</span>}
              </td>
              <td>{r.since ? formatDateTime(new Date(r.since)) : '—'}</td>
              {admin && <RuleActions rule={r.rule} onEdit={() => onEdit(r.rule)} onDeleted={onChanged} />}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Alerts({ state }: { state: ViewState; navigate: Navigate }) {
  const project = state.project!;
  const admin = useIsAdmin(project);
  const alerts = useApi<AlertsNow>(`/v1/projects/${project}/alerts`, undefined, { maxAgeMs: 0 });
  usePolling(alerts.reload, REFRESH_MS);
  // undefined: no form; null: a new rule; a rule: editing it.
  const [editing, setEditing] = useState<AlertRule | null | undefined>(undefined);
  const [tested, setTested] = useState(0);
  const done = (saved: boolean) => {
    setEditing(undefined);
    if (saved) alerts.reload();
  };
  return (
    <div className="view-alerts">
      <Panel
        title={alerts.data?.firing ? `Alert rules · ${alerts.data.firing} firing` : 'Alert rules'}
        state={alerts}
        testId="rules-panel"
        minHeight={120}
        isEmpty={(d) => d.rules.length == 0 && editing === undefined}
        empty={admin
          ? <><p>No alert rules yet.</p><button type="button" className="button button-primary" onClick={() => setEditing(null)}>New rule</button></>
          : 'No alert rules yet. An admin of the project can create them.'}
        actions={admin
          ? <button type="button" className="button button-primary button-small" onClick={() => setEditing(null)}
              disabled={editing !== undefined}>New rule</button>
          : <span className="muted">Read only: rules are changed by the project’s admins</span>}
      >
        {(d) => (
          <>
            {editing !== undefined && (
              <AlertRuleForm key={editing?.id ?? 'new'} project={project} rule={editing ?? undefined} onDone={done} />
            )}
            {d.rules.length > 0 && <RuleTable rules={d.rules} admin={admin} onEdit={setEditing} onChanged={alerts.reload} />}
          </>
        )}
      </Panel>
      <DestinationsPanel project={project} admin={admin} onTested={() => setTested((n) => n + 1)} />
      <HistoryPanel project={project} />
      <DeliveriesPanel project={project} refreshKey={tested} />
    </div>
  );
}
