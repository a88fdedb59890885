import { describe, expect, it } from 'vitest';
import { deployParams } from '../../src/api/deploys';
import type { Deploy } from '../../src/api/types';
import { deployLabel, deploysInWindow } from '../../src/lib/deploys';
import { DEFAULTS } from '../../src/state/url';

const deploy = (release: string, at: string, description: string | null = null): Deploy => ({
  release, at, url: null, description,
});

describe('deploysInWindow', () => {
  const newestFirst = [
    deploy('v4', '2025-06-09T00:00:00Z'),
    deploy('v3', '2025-06-08T12:00:00Z'),
    deploy('v2', '2025-06-02T00:00:00Z'),
    deploy('v1', '2025-06-01T23:59:59Z'),
  ];
  const from = Date.parse('2025-06-02T00:00:00Z');
  const to = Date.parse('2025-06-09T00:00:00Z');

  it('keeps the deploys of a half-open window, oldest first as the chart draws them', () => {
    expect(deploysInWindow(newestFirst, from, to).map((d) => d.release)).toEqual(['v2', 'v3']);
  });

  it('finds none in a window without deploys', () => {
    expect(deploysInWindow(newestFirst, Date.parse('2025-05-01T00:00:00Z'), Date.parse('2025-05-02T00:00:00Z'))).toEqual([]);
  });

  it('does not reorder the list it was given (an API answer kept in the cache)', () => {
    deploysInWindow(newestFirst, from, to);
    expect(newestFirst[0]!.release).toBe('v4');
  });
});

describe('deployLabel', () => {
  it('names the release first, then when, then what it was', () => {
    const label = deployLabel(deploy('2025.06.2', '2025-06-02T10:30:00Z', 'faster checkout'));
    expect(label).toMatch(/^Deploy 2025\.06\.2 · \d{1,2} Jun, \d\d:\d\d · faster checkout$/);
    expect(deployLabel(deploy('v1', '2025-06-02T10:30:00Z'))).toMatch(/^Deploy v1 · [^·]+$/);
  });
});

describe('deployParams', () => {
  it('asks for the chart window only: filters do not apply to deploys', () => {
    const params = deployParams({ ...DEFAULTS, range: '24h', filters: { device: ['mobile'], release: ['v2'] } });
    expect(params.toString()).toBe('range=24h');
  });
});
