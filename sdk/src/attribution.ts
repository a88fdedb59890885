import type { MetricWithAttribution } from 'web-vitals/attribution';
import { type Attribution, MAX_DURATION, MAX_SELECTOR, MAX_URL } from './wire';

// The wire's attribution scalars, copied by name from whichever metric carries them.
// Everything else web-vitals attaches (entries, DOM nodes, LoAF lists) is left behind,
// so a queued report never keeps a node or an entry alive.
const KEYS = (
  'target url timeToFirstByte resourceLoadDelay resourceLoadDuration elementRenderDelay ' +
  'interactionTarget interactionType inputDelay processingDuration presentationDelay ' +
  'largestShiftTarget largestShiftValue largestShiftTime firstByteToFCP dnsDuration ' +
  'connectionDuration requestDuration waitingDuration cacheDuration loadState'
).split(' ');

/** A string cut to the wire's limit: a long selector must not cost the whole beacon a 400. */
const text = (value: string, max: number): string => value.slice(0, max);

export function flatten(metric: MetricWithAttribution): Attribution {
  const source = metric.attribution as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = source[key];
    if (typeof value == 'string') out[key] = text(value, key == 'url' ? MAX_URL : MAX_SELECTOR);
    // Durations outside [0, 1 h] (clock glitches) are dropped, not clamped. A shift
    // value is at most 1 per entry, so the same bound covers largestShiftValue.
    else if (typeof value == 'number' && value >= 0 && value <= MAX_DURATION) out[key] = value;
  }
  const script = (source.longestScript as { entry?: { sourceURL?: string } } | undefined)?.entry;
  if (script?.sourceURL) out.longestScriptUrl = text(script.sourceURL, MAX_URL);
  return out as Attribution;
}
