import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transport } from '../../src/transport';

const TARGET = 'https://collector.example/v1/beacon?key=k';

function answer(status: number, headers: Record<string, string> = {}) {
  return Promise.resolve(new Response(null, { status, headers }));
}

let fetchMock: ReturnType<typeof vi.fn>;
let beaconMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.useFakeTimers();
  fetchMock = vi.fn(() => answer(202));
  beaconMock = vi.fn(() => true);
  vi.stubGlobal('fetch', fetchMock);
  Object.defineProperty(navigator, 'sendBeacon', { value: beaconMock, configurable: true });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('on the way out (hidden)', () => {
  it('uses sendBeacon with the body as a string, so it goes as text/plain without a preflight', () => {
    transport(TARGET)('{"v":1}', true);
    expect(beaconMock).toHaveBeenCalledWith(TARGET, '{"v":1}');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('falls back to a keepalive fetch when sendBeacon refuses', () => {
    beaconMock.mockReturnValue(false);
    transport(TARGET)('{"v":1}', true);
    expect(fetchMock).toHaveBeenCalledWith(TARGET, {
      method: 'POST', body: '{"v":1}', keepalive: true, credentials: 'omit',
    });
  });
});

describe('while visible', () => {
  it('uses a keepalive fetch without credentials, which can read the answer', () => {
    transport(TARGET)('{"v":1}', false);
    expect(beaconMock).not.toHaveBeenCalled();
    expect(fetchMock).toHaveBeenCalledOnce();
    const [, init] = fetchMock.mock.calls[0]!;
    expect(init).toMatchObject({ keepalive: true, credentials: 'omit' });
    expect(typeof init.body).toBe('string');
  });
});

describe('backoff', () => {
  it('retries a 429 no sooner than Retry-After says', async () => {
    fetchMock.mockImplementationOnce(() => answer(429, { 'Retry-After': '7' }));
    transport(TARGET)('b', false);
    await vi.advanceTimersByTimeAsync(6_900);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[1]![1].body).toBe('b');
  });

  it('retries a 503 with growing delays and gives up after five attempts', async () => {
    fetchMock.mockImplementation(() => answer(503));
    transport(TARGET)('b', false);
    const times: number[] = [];
    for (let t = 0; t < 60_000; t += 100) {
      const before = fetchMock.mock.calls.length;
      await vi.advanceTimersByTimeAsync(100);
      if (fetchMock.mock.calls.length > before) times.push(t + 100);
    }
    expect(fetchMock).toHaveBeenCalledTimes(5);
    const gaps = times.map((t, i) => t - (times[i - 1] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
  });

  it('retries after a network error', async () => {
    fetchMock.mockImplementationOnce(() => Promise.reject(new TypeError('offline')));
    transport(TARGET)('b', false);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it.each([202, 400, 403, 413])('does not retry a %i', async (status) => {
    fetchMock.mockImplementation(() => answer(status));
    transport(TARGET)('b', false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
