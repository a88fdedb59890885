/** Fake web-vitals reports shaped like the attribution build's, for feeding the collector. */
import type { MetricWithAttribution } from 'web-vitals/attribution';

let counter = 0;

export function metric(overrides: Partial<Record<string, unknown>> = {}): MetricWithAttribution {
  const name = (overrides.name as string) ?? 'LCP';
  const value = name == 'CLS' ? 0.05 : 1200;
  return {
    name,
    value,
    delta: value,
    rating: 'good',
    id: `v6-1767225600000-${++counter}`,
    entries: [],
    navigationType: 'navigate',
    navigationId: 1,
    navigationStartTime: 0,
    attribution: ATTRIBUTION[name],
    ...overrides,
  } as unknown as MetricWithAttribution;
}

// What web-vitals 6 attaches, objects included, so tests can see what is left behind.
const node = { nodeType: 1, tagName: 'IMG' };
export const ATTRIBUTION: Record<string, Record<string, unknown>> = {
  LCP: {
    target: 'main > img.hero', url: 'https://cdn.example.com/hero.avif', timeToFirstByte: 80,
    resourceLoadDelay: 20, resourceLoadDuration: 300, elementRenderDelay: 40,
    lcpEntry: { element: node }, lcpResourceEntry: {}, navigationEntry: {},
  },
  INP: {
    interactionTarget: 'button#buy', interactionTime: 5000, interactionType: 'pointer',
    nextPaintTime: 5300, inputDelay: 10, processingDuration: 250, presentationDelay: 40,
    loadState: 'complete', processedEventEntries: [{ target: node }], longAnimationFrameEntries: [{}],
    longestScript: { entry: { sourceURL: 'https://example.com/app.js' }, subpart: 'processing-duration' },
    totalScriptDuration: 240, totalStyleAndLayoutDuration: 20, totalPaintDuration: 5,
    totalUnattributedDuration: 1,
  },
  CLS: {
    largestShiftTarget: 'div.banner', largestShiftTime: 900, largestShiftValue: 0.12,
    largestShiftEntry: {}, largestShiftSource: { node }, loadState: 'dom-content-loaded',
  },
  FCP: { timeToFirstByte: 80, firstByteToFCP: 400, loadState: 'dom-interactive', fcpEntry: {} },
  TTFB: {
    waitingDuration: 1, cacheDuration: 0, dnsDuration: 5, connectionDuration: 10,
    requestDuration: 60, navigationEntry: {},
  },
};
