import { describe, expect, it } from 'vitest';
import {
  formatAxis, formatChange, formatChangeInterval, formatCount, formatPoints, formatPointsInterval, formatShare, formatValue,
} from '../../src/lib/format';

describe('formatValue', () => {
  it('shows milliseconds below a second, seconds above', () => {
    expect(formatValue('INP', 179.6)).toBe('180 ms');
    expect(formatValue('INP', 0)).toBe('0 ms');
    expect(formatValue('LCP', 999.4)).toBe('999 ms');
    expect(formatValue('LCP', 2456.2)).toBe('2.46 s');
    expect(formatValue('LCP', 12_345)).toBe('12.3 s');
  });

  it('shows CLS as a score with two decimals', () => {
    expect(formatValue('CLS', 0.1049)).toBe('0.10');
    expect(formatValue('CLS', 0.256)).toBe('0.26');
    expect(formatValue('CLS', 0)).toBe('0.00');
  });

  it('shows a dash for no value', () => {
    expect(formatValue('LCP', null)).toBe('—');
    expect(formatValue('LCP', undefined)).toBe('—');
    expect(formatValue('LCP', Number.NaN)).toBe('—');
  });
});

describe('formatAxis', () => {
  it('keeps axis labels short', () => {
    expect(formatAxis('LCP', 2500)).toBe('2.5 s');
    expect(formatAxis('LCP', 800)).toBe('800 ms');
    expect(formatAxis('CLS', 0.25)).toBe('0.25');
  });
});

describe('counts and shares', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(null)).toBe('—');
  });

  it('rounds shares to whole percents without hiding slivers', () => {
    expect(formatShare(0.724)).toBe('72%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(0.001)).toBe('<1%');
    expect(formatShare(0.999)).toBe('>99%');
    expect(formatShare(1)).toBe('100%');
  });
});

describe('changes', () => {
  it('calls a higher p75 worse and a lower one better', () => {
    expect(formatChange(0.123)).toEqual({ text: '+12%', direction: 'worse' });
    expect(formatChange(-0.05)).toEqual({ text: '−5%', direction: 'better' });
    expect(formatChange(0.004)).toEqual({ text: '±0%', direction: 'same' });
    expect(formatChange(null)).toBeNull();
  });

  it('calls a larger good share better', () => {
    expect(formatPoints(0.05)).toEqual({ text: '+5 pts', direction: 'better' });
    expect(formatPoints(-0.021)).toEqual({ text: '−2 pts', direction: 'worse' });
  });
});

describe('intervals', () => {
  it('shows a relative change interval from its low to its high end', () => {
    expect(formatChangeInterval([0.318, 0.482])).toBe('+32% to +48%');
    expect(formatChangeInterval([-0.031, 0.052])).toBe('−3% to +5%');
    expect(formatChangeInterval(null)).toBeNull();
  });

  it('shows a good-share interval in points, the unit once', () => {
    expect(formatPointsInterval([-0.152, -0.08])).toBe('−15 to −8 pts');
    expect(formatPointsInterval(undefined)).toBeNull();
  });
});
