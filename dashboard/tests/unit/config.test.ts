import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config';
import { chooseBucket } from '../../src/lib/buckets';

const BASE = 'https://vitals.example/dashboard/';

describe('parseConfig', () => {
  it('reads absolute and relative URLs, without trailing slashes', () => {
    expect(parseConfig({ queryUrl: 'https://api.example/', realtimeUrl: '/live', adminUrl: '/admin/', ingestUrl: 'https://collect.example/' }, BASE)).toEqual({
      queryUrl: 'https://api.example',
      realtimeUrl: 'https://vitals.example/live',
      adminUrl: 'https://vitals.example/admin',
      ingestUrl: 'https://collect.example',
    });
  });

  it('reads missing or empty URLs as this origin', () => {
    expect(parseConfig({}, BASE)).toEqual({ queryUrl: '', realtimeUrl: '', adminUrl: '', ingestUrl: '' });
  });

  it('refuses anything but http(s) URLs', () => {
    expect(() => parseConfig({ queryUrl: 'javascript:alert(1)' }, BASE)).toThrow('http(s)');
    expect(() => parseConfig({ queryUrl: 42 }, BASE)).toThrow('URL string');
    expect(() => parseConfig({ adminUrl: 'file:///etc/passwd' }, BASE)).toThrow('adminUrl must be an http(s) URL');
    expect(() => parseConfig([], BASE)).not.toThrow();
    expect(() => parseConfig(null, BASE)).toThrow('JSON object');
  });
});

describe('chooseBucket', () => {
  it('picks the finest width that keeps a chart within about a hundred points', () => {
    expect(chooseBucket(3_600_000)).toBe('1m');
    expect(chooseBucket(86_400_000)).toBe('15m');
    expect(chooseBucket(7 * 86_400_000)).toBe('3h');
    expect(chooseBucket(28 * 86_400_000)).toBe('12h');
    expect(chooseBucket(400 * 86_400_000)).toBe('1w');
  });
});
