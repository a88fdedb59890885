import { describe, expect, it } from 'vitest';
import { flatten } from '../../src/attribution';
import { metric } from '../support/metrics';
import { validate } from '../support/wire-rules';

const WIRE_KEYS = [
  'target', 'url', 'timeToFirstByte', 'resourceLoadDelay', 'resourceLoadDuration',
  'elementRenderDelay', 'interactionTarget', 'interactionType', 'inputDelay', 'processingDuration',
  'presentationDelay', 'longestScriptUrl', 'largestShiftTarget', 'largestShiftValue',
  'largestShiftTime', 'firstByteToFCP', 'dnsDuration', 'connectionDuration', 'requestDuration',
  'waitingDuration', 'cacheDuration', 'loadState',
];

describe('flatten', () => {
  it.each(['LCP', 'INP', 'CLS', 'FCP', 'TTFB'])('keeps only wire scalars of %s attribution', (name) => {
    const out = flatten(metric({ name }));
    expect(Object.keys(out).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(out)) {
      expect(WIRE_KEYS).toContain(key);
      expect(['string', 'number']).toContain(typeof value);
    }
    const m = metric({ name });
    expect(validate({
      v: 1, sdk: { name: 'vitals-sdk', version: '0' }, url: 'https://a.example/', timeOrigin: 1,
      reports: [{ name, value: m.value, delta: m.delta, id: m.id, attribution: flatten(m) }],
    })).toBeNull();
  });

  it('maps the INP longest script to its URL and drops the entries it came from', () => {
    expect(flatten(metric({ name: 'INP' }))).toEqual({
      interactionTarget: 'button#buy', interactionType: 'pointer', inputDelay: 10,
      processingDuration: 250, presentationDelay: 40, loadState: 'complete',
      longestScriptUrl: 'https://example.com/app.js',
    });
  });

  it('cuts selectors to 512 and URLs to 2048 characters', () => {
    const out = flatten(metric({
      name: 'LCP', attribution: { target: 'a'.repeat(600), url: `https://x.example/${'b'.repeat(3000)}` },
    }));
    expect(out.target).toHaveLength(512);
    expect(out.url).toHaveLength(2048);
  });

  it('drops durations that are negative, infinite or over an hour', () => {
    const out = flatten(metric({
      name: 'TTFB',
      attribution: { waitingDuration: -3, cacheDuration: Infinity, dnsDuration: 4e6, requestDuration: 12 },
    }));
    expect(out).toEqual({ requestDuration: 12 });
  });
});
