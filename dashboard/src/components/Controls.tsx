/** The selection controls every query view shares: time range, device switch, filters. */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useApi } from '../api/useApi';
import type { Breakdown } from '../api/types';
import {
  DEVICES, DIMENSIONS, type Dimension, type Filters, NAVIGATION_TYPES, RANGES, type RelativeRange,
  type ViewState, deviceChoice, selectionParams, setFilter,
} from '../state/url';
import type { Navigate } from '../state/useUrlState';

export const RANGE_LABELS: Record<RelativeRange, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '28d': 'Last 28 days',
};
const RANGE_MS: Record<RelativeRange, number> = {
  '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '28d': 28 * 86_400_000,
};

export const DIMENSION_LABELS: Record<Dimension, string> = {
  route: 'Route',
  device: 'Device',
  browser: 'Browser',
  os: 'OS',
  country: 'Country',
  connection: 'Connection',
  navigation_type: 'Navigation type',
  release: 'Release',
};

/** "2025-05-01T14:30" in the browser's zone, as a datetime-local input holds it. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function RangePicker({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const id = useId();
  const [customOpen, setCustomOpen] = useState(state.range == 'custom');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [problem, setProblem] = useState('');

  useEffect(() => {
    if (state.range == 'custom' && state.from && state.to) {
      setFrom(localInput(new Date(state.from)));
      setTo(localInput(new Date(state.to)));
      setCustomOpen(true);
    } else {
      setCustomOpen(false);
    }
  }, [state.range, state.from, state.to]);

  const choose = (value: string) => {
    if (value == 'custom') {
      const now = new Date();
      const length = state.range == 'custom' ? 0 : RANGE_MS[state.range];
      if (!from) setFrom(localInput(new Date(now.getTime() - (length || RANGE_MS['7d']))));
      if (!to) setTo(localInput(now));
      setCustomOpen(true);
      return;
    }
    setCustomOpen(false);
    navigate({ range: value as RelativeRange });
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const start = new Date(from);
    const end = new Date(to);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return setProblem('Give both dates.');
    if (start >= end) return setProblem('The start must be before the end.');
    if (end.getTime() - start.getTime() > 400 * 86_400_000) return setProblem('At most 400 days.');
    setProblem('');
    navigate({ range: 'custom', from: start.toISOString(), to: end.toISOString() });
  };

  return (
    <div className="range-picker">
      <label htmlFor={`${id}-range`} className="control-label">
        Range
      </label>
      <select
        id={`${id}-range`}
        value={customOpen ? 'custom' : state.range}
        onChange={(e) => choose(e.target.value)}
      >
        {RANGES.map((r) => (
          <option key={r} value={r}>
            {RANGE_LABELS[r]}
          </option>
        ))}
        <option value="custom">Custom…</option>
      </select>
      {customOpen && (
        <form className="custom-range" onSubmit={apply}>
          <input
            type="datetime-local"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            required
            aria-label="Custom range start"
          />
          <span aria-hidden="true">–</span>
          <input
            type="datetime-local"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            required
            aria-label="Custom range end"
          />
          <button type="submit" className="button">
            Apply
          </button>
          {problem && (
            <span className="form-problem" role="alert">
              {problem}
            </span>
          )}
        </form>
      )}
    </div>
  );
}

const DEVICE_OPTIONS = [
  ['all', 'All'],
  ['mobile', 'Mobile'],
  ['desktop', 'Desktop'],
] as const;

export function DeviceSwitch({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const name = useId();
  const choice = deviceChoice(state.filters);
  return (
    <fieldset className="segmented" aria-label="Device">
      <legend className="sr-only">Device</legend>
      {DEVICE_OPTIONS.map(([value, label]) => (
        <label key={value} className={choice == value ? 'selected' : ''}>
          <input
            type="radio"
            name={name}
            value={value}
            checked={choice == value}
            onChange={() =>
              navigate({ filters: setFilter(state.filters, 'device', value == 'all' ? [] : [value]) })
            }
          />
          <span>{label}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** Values to offer for a dimension: the fixed vocabularies, or the busiest seen in the range. */
function useSuggestions(state: ViewState, dimension: Dimension, open: boolean): { values: string[]; loading: boolean } {
  const fixed = dimension == 'device' ? DEVICES : dimension == 'navigation_type' ? NAVIGATION_TYPES : null;
  const params = selectionParams({ ...state, filters: setFilter(state.filters, dimension, []) });
  params.set('metric', 'LCP');
  params.set('dimension', dimension);
  params.set('sort', 'count');
  params.set('limit', '100');
  const answer = useApi<Breakdown>(
    open && !fixed && state.project != null ? `/v1/projects/${state.project}/breakdown` : null,
    params,
  );
  if (fixed) return { values: [...fixed], loading: false };
  return { values: (answer.data?.groups ?? []).map((g) => g.value).filter((v) => v != ''), loading: answer.loading };
}

function AddFilter({ state, navigate, onClose }: { state: ViewState; navigate: Navigate; onClose: () => void }) {
  const id = useId();
  const [dimension, setDimension] = useState<Dimension>('route');
  const [value, setValue] = useState('');
  const { values, loading } = useSuggestions(state, dimension, true);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    const current = state.filters[dimension] ?? [];
    navigate({ filters: setFilter(state.filters, dimension, [...current, value.trim()]) });
    onClose();
  };

  return (
    <form
      className="add-filter"
      onSubmit={apply}
      onKeyDown={(e) => {
        if (e.key == 'Escape') onClose();
      }}
      aria-label="Add a filter"
    >
      <label htmlFor={`${id}-dim`} className="control-label">
        Filter by
      </label>
      <select
        id={`${id}-dim`}
        ref={first}
        value={dimension}
        onChange={(e) => {
          setDimension(e.target.value as Dimension);
          setValue('');
        }}
      >
        {DIMENSIONS.map((d) => (
          <option key={d} value={d}>
            {DIMENSION_LABELS[d]}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-value`} className="sr-only">
        Value
      </label>
      {dimension == 'route' ? (
        <>
          <input
            id={`${id}-value`}
            list={`${id}-routes`}
            value={value}
            placeholder="/products/:id"
            onChange={(e) => setValue(e.target.value)}
            autoComplete="off"
          />
          <datalist id={`${id}-routes`}>
            {values.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </>
      ) : (
        <select id={`${id}-value`} value={value} onChange={(e) => setValue(e.target.value)}>
          <option value="">{loading ? 'Loading values…' : values.length ? 'Choose…' : 'No values in this range'}</option>
          {values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      )}
      <button type="submit" className="button button-primary" disabled={!value.trim()}>
        Add
      </button>
      <button type="button" className="button" onClick={onClose}>
        Cancel
      </button>
    </form>
  );
}

export function FilterBar({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const [adding, setAdding] = useState(false);
  const addButton = useRef<HTMLButtonElement>(null);
  const switchShowsDevice = deviceChoice(state.filters) != 'custom';
  const chips: [Dimension, string][] = [];
  for (const dimension of DIMENSIONS) {
    if (dimension == 'device' && switchShowsDevice) continue;
    for (const value of state.filters[dimension] ?? []) chips.push([dimension, value]);
  }
  const remove = (dimension: Dimension, value: string) => {
    const rest = (state.filters[dimension] ?? []).filter((v) => v != value);
    navigate({ filters: setFilter(state.filters, dimension, rest) });
  };
  const clearAll = () => navigate({ filters: {} as Filters });
  return (
    <div className="filter-bar">
      <ul className="chips" aria-label="Active filters">
        {chips.map(([dimension, value]) => (
          <li key={`${dimension}=${value}`} className="chip" data-dimension={dimension}>
            <span className="chip-name">{DIMENSION_LABELS[dimension]}:</span>{' '}
            <span className="chip-value">{value}</span>
            <button
              type="button"
              className="chip-remove"
              aria-label={`Remove filter ${DIMENSION_LABELS[dimension]} ${value}`}
              onClick={() => remove(dimension, value)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {!adding && (
        <button type="button" className="button" ref={addButton} onClick={() => setAdding(true)} aria-expanded={false}>
          + Add filter
        </button>
      )}
      {chips.length > 1 && !adding && (
        <button type="button" className="button button-quiet" onClick={clearAll}>
          Clear filters
        </button>
      )}
      {adding && (
        <AddFilter
          state={state}
          navigate={navigate}
          onClose={() => {
            setAdding(false);
            requestAnimationFrame(() => addButton.current?.focus());
          }}
        />
      )}
    </div>
  );
}
