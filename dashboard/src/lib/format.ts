/** How numbers read on screen. Fixed to English formatting so every screen and test agrees. */
import { type Metric, SPECS } from './metrics';

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** A metric value in its unit: "180 ms", "2.45 s", "12.3 s"; CLS as a score "0.12". */
export function formatValue(metric: Metric, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '—';
  if (SPECS[metric].unit == 'score') return value.toFixed(2);
  return formatMs(value);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${INTEGER.format(Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A short axis label: "800 ms", "2.5 s", "0.1". */
export function formatAxis(metric: Metric, value: number): string {
  if (SPECS[metric].unit == 'score') return String(Number(value.toPrecision(2)));
  if (value < 1000) return `${Number(value.toPrecision(3))} ms`;
  return `${Number((value / 1000).toPrecision(3))} s`;
}

export function formatCount(n: number | null | undefined): string {
  return n == null ? '—' : INTEGER.format(n);
}

export function formatCompact(n: number): string {
  return n < 10_000 ? INTEGER.format(n) : COMPACT.format(n);
}

/** A share of 0..1 as a percentage: "72%", "<1%" for a sliver, "0%" for none. */
export function formatShare(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '—';
  if (share > 0 && share < 0.005) return '<1%';
  if (share < 1 && share > 0.995) return '>99%';
  return `${Math.round(share * 100)}%`;
}

export type Direction = 'better' | 'worse' | 'same';

export interface ChangeText {
  text: string;
  direction: Direction;
}

/**
 * A relative p75 change (0.1 = 10 % higher). Every Web Vital is better lower, so a rise is
 * worse. Changes that round to 0 % read as unchanged.
 */
export function formatChange(relative: number | null | undefined): ChangeText | null {
  if (relative == null || !Number.isFinite(relative)) return null;
  const percent = Math.round(relative * 100);
  if (percent == 0) return { text: '±0%', direction: 'same' };
  const sign = percent > 0 ? '+' : '−';
  return { text: `${sign}${INTEGER.format(Math.abs(percent))}%`, direction: percent > 0 ? 'worse' : 'better' };
}

/** A change in the good share (0.05 = 5 points more good): higher is better. */
export function formatPoints(delta: number | null | undefined): ChangeText | null {
  if (delta == null || !Number.isFinite(delta)) return null;
  const points = Math.round(delta * 100);
  if (points == 0) return { text: '±0 pts', direction: 'same' };
  const sign = points > 0 ? '+' : '−';
  return { text: `${sign}${Math.abs(points)} pts`, direction: points > 0 ? 'better' : 'worse' };
}

/** A 95 % interval of a relative change: "+32% to +48%", "−3% to +5%". */
export function formatChangeInterval(interval: readonly [number, number] | null | undefined): string | null {
  const [lo, hi] = interval ?? [];
  const low = formatChange(lo);
  const high = formatChange(hi);
  return low && high ? `${low.text} to ${high.text}` : null;
}

/** A 95 % interval of a good-share change, in points: "−15 to −8 pts". */
export function formatPointsInterval(interval: readonly [number, number] | null | undefined): string | null {
  const [lo, hi] = interval ?? [];
  const low = formatPoints(lo);
  const high = formatPoints(hi);
  return low && high ? `${low.text.replace(' pts', '')} to ${high.text}` : null;
}

const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
const DAY_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
});

/** A bucket's label, as precise as its width needs: "14:00", "3 May", "3 May, 14:00". */
export function formatBucket(start: Date, widthMs: number, spanMs: number): string {
  if (widthMs >= 86_400_000) return DAY.format(start);
  if (spanMs <= 86_400_000) return TIME.format(start);
  return DAY_TIME.format(start);
}

export function formatDateTime(date: Date): string {
  return DAY_TIME.format(date);
}

export function formatClock(date: Date): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
}
