import { describe, expect, it } from 'vitest';
import {
  DEFAULTS, type ViewState, deviceChoice, parseState, selectionParams, serializeState, setFilter, withChanges,
} from '../../src/state/url';

describe('parseState', () => {
  it('gives the defaults for an empty query string', () => {
    expect(parseState('')).toEqual(DEFAULTS);
  });

  it('reads every part of a shared link', () => {
    const state = parseState(
      '?project=3&view=breakdowns&range=24h&route=%2Fcart&route=%2Fproducts%2F%3Aid&device=mobile' +
        '&country=de&metric=inp&p=p95,p50&dim=browser&sort=p75&order=asc&page=2',
    );
    expect(state).toEqual({
      ...DEFAULTS,
      project: 3,
      view: 'breakdowns',
      range: '24h',
      filters: { route: ['/cart', '/products/:id'], device: ['mobile'], country: ['DE'] },
      metric: 'INP',
      percentiles: ['p50', 'p95'],
      dimension: 'browser',
      sort: 'p75',
      order: 'asc',
      page: 2,
    });
  });

  it('falls back to defaults for values it does not know', () => {
    const state = parseState('?project=x&view=admin&range=3y&metric=FID&p=p42&dim=ip&sort=rand&order=up&page=-1&device=toaster');
    expect(state).toEqual(DEFAULTS);
  });

  it('keeps route values with commas whole (routes may contain them)', () => {
    expect(parseState('?route=%2Fa%2Cb').filters.route).toEqual(['/a,b']);
  });

  it('reads a custom window and normalises it to UTC', () => {
    const state = parseState('?from=2025-05-01T00:00:00%2B02:00&to=2025-05-02T00:00:00Z');
    expect(state.range).toBe('custom');
    expect(state.from).toBe('2025-04-30T22:00:00.000Z');
    expect(state.to).toBe('2025-05-02T00:00:00.000Z');
  });

  it('ignores a custom window that ends before it starts', () => {
    expect(parseState('?from=2025-05-02T00:00:00Z&to=2025-05-01T00:00:00Z').range).toBe(DEFAULTS.range);
  });
});

describe('serializeState', () => {
  it('omits defaults, so the plain overview is a short link', () => {
    expect(serializeState({ ...DEFAULTS, project: 1 })).toBe('?project=1');
    expect(serializeState(DEFAULTS)).toBe('');
  });

  it('round-trips every state it writes', () => {
    const states: ViewState[] = [
      { ...DEFAULTS, project: 7, view: 'trends', range: '28d', metric: 'CLS', percentiles: ['p75', 'p99'] },
      { ...DEFAULTS, project: 7, range: 'custom', from: '2025-05-01T00:00:00.000Z', to: '2025-05-08T00:00:00.000Z' },
      { ...DEFAULTS, project: 7, view: 'breakdowns', dimension: 'navigation_type', sort: 'value', order: 'asc', page: 4,
        filters: { browser: ['Chrome', 'Firefox'], navigation_type: ['reload'], route: ['/a,b', '/x?y'] } },
    ];
    for (const state of states) expect(parseState(serializeState(state))).toEqual(state);
  });

  it('writes filters as repeated parameters in a fixed order', () => {
    const state = { ...DEFAULTS, project: 1, filters: { os: ['iOS'], route: ['/b', '/a'] } };
    expect(serializeState(state)).toBe('?project=1&route=%2Fb&route=%2Fa&os=iOS');
  });
});

describe('withChanges', () => {
  it('goes back to the first page when the selection changes', () => {
    const state = { ...DEFAULTS, page: 5 };
    expect(withChanges(state, { filters: { device: ['mobile'] } }).page).toBe(1);
    expect(withChanges(state, { sort: 'p75' }).page).toBe(1);
    expect(withChanges(state, { view: 'trends' }).page).toBe(5);
    expect(withChanges(state, { page: 6 }).page).toBe(6);
  });

  it('drops the custom window when a relative range is chosen', () => {
    const custom = { ...DEFAULTS, range: 'custom' as const, from: '2025-05-01T00:00:00.000Z', to: '2025-05-02T00:00:00.000Z' };
    const next = withChanges(custom, { range: '24h' });
    expect(next.from).toBeUndefined();
    expect(next.to).toBeUndefined();
  });
});

describe('filters', () => {
  it('setFilter sorts, dedupes and removes an emptied dimension', () => {
    expect(setFilter({}, 'browser', ['Safari', 'Chrome', 'Safari', ' '])).toEqual({ browser: ['Chrome', 'Safari'] });
    expect(setFilter({ browser: ['Chrome'], os: ['iOS'] }, 'browser', [])).toEqual({ os: ['iOS'] });
  });

  it('the device switch reads all, mobile, desktop or something else', () => {
    expect(deviceChoice({})).toBe('all');
    expect(deviceChoice({ device: ['mobile'] })).toBe('mobile');
    expect(deviceChoice({ device: ['desktop'] })).toBe('desktop');
    expect(deviceChoice({ device: ['tablet'] })).toBe('custom');
    expect(deviceChoice({ device: ['desktop', 'mobile'] })).toBe('custom');
  });
});

describe('selectionParams', () => {
  it('asks the API for the relative range and every filter value', () => {
    const params = selectionParams({ range: '24h', filters: { route: ['/a,b'], device: ['mobile'] } });
    expect(params.toString()).toBe('range=24h&route=%2Fa%2Cb&device=mobile');
  });

  it('asks for an absolute window when the range is custom', () => {
    const params = selectionParams({ range: 'custom', from: '2025-05-01T00:00:00.000Z', to: '2025-05-02T00:00:00.000Z', filters: {} });
    expect(params.get('from')).toBe('2025-05-01T00:00:00.000Z');
    expect(params.get('range')).toBeNull();
  });
});

describe('releases', () => {
  it('reads the release filter, the compared release and its baseline from a shared link', () => {
    const state = parseState('?view=releases&release=2025.06.2&release=v1%2Cbeta&compare=2025.06.2&baseline=2025.05.9');
    expect(state.view).toBe('releases');
    expect(state.filters.release).toEqual(['2025.06.2', 'v1,beta']);
    expect(state.compare).toBe('2025.06.2');
    expect(state.baseline).toBe('2025.05.9');
  });

  it('round-trips a comparison and omits it when none is chosen', () => {
    const state = { ...DEFAULTS, project: 2, view: 'releases' as const, compare: 'räksmörgås-🚀', baseline: 'a b' };
    expect(parseState(serializeState(state))).toEqual(state);
    expect(serializeState({ ...DEFAULTS, project: 2, view: 'releases' })).toBe('?project=2&view=releases');
  });

  it('ignores a release name longer than any release can be', () => {
    expect(parseState(`?compare=${'x'.repeat(65)}`).compare).toBe('');
    expect(parseState(`?compare=${'x'.repeat(64)}`).compare).toBe('x'.repeat(64));
  });

  it('compares a newly chosen release with the one before it, and forgets both with the project', () => {
    const state = { ...DEFAULTS, project: 1, compare: 'b', baseline: 'a' };
    expect(withChanges(state, { compare: 'c' })).toMatchObject({ compare: 'c', baseline: '' });
    expect(withChanges(state, { compare: 'c', baseline: 'b' })).toMatchObject({ compare: 'c', baseline: 'b' });
    expect(withChanges(state, { metric: 'INP' })).toMatchObject({ compare: 'b', baseline: 'a' });
    expect(withChanges(state, { project: 2 })).toMatchObject({ compare: '', baseline: '' });
  });

  it('sends the release filter to the API like any other', () => {
    expect(selectionParams({ range: '7d', filters: { release: ['v2', 'v1'] } }).toString()).toBe('range=7d&release=v2&release=v1');
  });
});
