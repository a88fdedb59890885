import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { metric } from '../support/metrics';

// web-vitals' observers need a real browser (tests/browser); here its callbacks are captured.
const callbacks = vi.hoisted(() => [] as { name: string; report: (m: unknown) => void; opts: unknown }[]);
vi.mock('web-vitals/attribution', () => {
  const on = (name: string) => (report: (m: unknown) => void, opts: unknown) => {
    callbacks.push({ name, report, opts });
  };
  return { onLCP: on('LCP'), onINP: on('INP'), onCLS: on('CLS'), onFCP: on('FCP'), onTTFB: on('TTFB') };
});

let beacon: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.resetModules();
  callbacks.length = 0;
  beacon = vi.fn(() => true);
  Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true });
});

afterEach(() => {
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
});

const hide = () => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
};
const report = (m = metric()) => callbacks.forEach((c) => c.name == m.name && c.report(m));

describe('init', () => {
  it('subscribes to the five metrics, passing reportSoftNavs through', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'k', endpoint: 'https://c.example', reportSoftNavs: true });
    expect(callbacks.map((c) => c.name).sort()).toEqual(['CLS', 'FCP', 'INP', 'LCP', 'TTFB']);
    expect(callbacks.every((c) => (c.opts as { reportSoftNavs: boolean }).reportSoftNavs)).toBe(true);
  });

  it('flushes with sendBeacon to the endpoint, key in the query, when the page is hidden', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'pk live/1', endpoint: 'https://c.example/' });
    report();
    expect(beacon).not.toHaveBeenCalled();
    hide();
    expect(beacon).toHaveBeenCalledOnce();
    const [url, body] = beacon.mock.calls[0]!;
    expect(url).toBe('https://c.example/v1/beacon?key=pk%20live%2F1');
    expect(typeof body).toBe('string');
    expect(JSON.parse(body).reports).toHaveLength(1);
  });

  it('sends what web-vitals reports in its own visibilitychange listeners in the same flush', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'k', endpoint: 'https://c.example' });
    // Like web-vitals' final CLS: a capture-phase listener on window, registered after init.
    addEventListener('visibilitychange', () => report(metric({ name: 'CLS' })), { capture: true, once: true });
    report(metric({ name: 'LCP' }));
    hide();
    expect(beacon).toHaveBeenCalledOnce();
    expect(JSON.parse(beacon.mock.calls[0]![1]).reports.map((r: { name: string }) => r.name)).toEqual(['LCP', 'CLS']);
  });

  it('flushes on pagehide too', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'k', endpoint: 'https://c.example' });
    report();
    dispatchEvent(new Event('pagehide'));
    expect(beacon).toHaveBeenCalledOnce();
  });

  it('ignores a second init, which would double every report', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'k', endpoint: 'https://c.example' });
    init({ key: 'k', endpoint: 'https://c.example' });
    expect(callbacks).toHaveLength(5);
  });

  it('stores nothing and sets no cookie', async () => {
    const { init } = await import('../../src/index');
    init({ key: 'k', endpoint: 'https://c.example' });
    report();
    hide();
    expect(document.cookie).toBe('');
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });
});

describe('script tag', () => {
  const load = async (attributes: Record<string, string>) => {
    const script = document.createElement('script');
    script.src = 'https://vitals.example.com/sdk/vitals.js';
    for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    await import('../../src/script-tag');
  };

  it('starts from data attributes, the endpoint defaulting to the script origin', async () => {
    await load({
      'data-key': 'k1', 'data-soft-navs': '', 'data-route': '/products/:id', 'data-release': 'v42',
    });
    expect(callbacks).toHaveLength(5);
    expect((callbacks[0]!.opts as { reportSoftNavs: boolean }).reportSoftNavs).toBe(true);
    report();
    hide();
    const [url, body] = beacon.mock.calls[0]!;
    expect(url).toBe('https://vitals.example.com/v1/beacon?key=k1');
    expect(JSON.parse(body)).toMatchObject({
      url: 'https://shop.example.com/products/42?ref=home',
      route: '/products/:id',
      release: 'v42',
    });
  });

  it('uses data-endpoint and data-sample-rate when given', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.1);
    await load({ 'data-key': 'k2', 'data-endpoint': 'https://rum.example.org', 'data-sample-rate': '0.2' });
    report();
    hide();
    const [url, body] = beacon.mock.calls[0]!;
    expect(url).toBe('https://rum.example.org/v1/beacon?key=k2');
    expect(JSON.parse(body).sampleRate).toBe(0.2);
  });

  it('starts nothing without data-key but exposes Vitals.init', async () => {
    await load({});
    expect(callbacks).toHaveLength(0);
    expect(typeof (window as unknown as { Vitals: { init: unknown } }).Vitals.init).toBe('function');
  });
});
