/** Axis arithmetic for the hand-drawn SVG charts. */

/** About `count` round tick values from 0 to at least `max`: 0, 500, 1000, … */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export function linear(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** A label on a horizontal axis: the index of the point it names, and its centre. */
export interface PlacedLabel {
  index: number;
  x: number;
}

/**
 * Which of the points along an axis get a label, and where: the first of `choices` (sets
 * of point indices, densest first) whose labels come no closer than `gap` to each other.
 * A label is centred on its point unless that would cross `bounds`; then it is pulled in
 * just far enough, and the spacing is checked with it there (labels at the edges used to
 * hang inwards from their point and run into their neighbours).
 */
export function placeLabels(
  positions: readonly number[],
  widths: readonly number[],
  bounds: readonly [number, number],
  choices: readonly (readonly number[])[] = everyKth(positions.length),
  gap = 8,
): PlacedLabel[] {
  for (const indices of choices) {
    const placed = indices.map((index) => ({ index, x: inside(positions[index]!, widths[index]!, bounds) }));
    const overlaps = placed.some((label, i) => {
      const next = placed[i + 1];
      return next != null && next.x - widths[next.index]! / 2 - (label.x + widths[label.index]! / 2) < gap;
    });
    if (!overlaps) return placed;
  }
  return positions.length ? [{ index: 0, x: inside(positions[0]!, widths[0]!, bounds) }] : [];
}

/** Every k-th index from the first, for k = 1, 2, 3, 4, 6, 8, 12, 16, 24, …, until one is left. */
export function everyKth(count: number): number[][] {
  const choices: number[][] = [];
  for (let base = 1; ; base *= 2) {
    for (const step of base == 1 ? [1, 2, 3] : [2 * base, 3 * base]) {
      choices.push(Array.from({ length: Math.ceil(count / step) }, (_, i) => i * step));
      if (step >= count) return choices;
    }
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Round spans between time labels: within a day, times of day; beyond, midnights. */
const ROUND_SPANS = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720].map((m) => m * MINUTE)
  .concat([1, 2, 3, 7, 14].map((d) => d * DAY));

/**
 * Label choices for time buckets (their starts, in ms), densest first: the buckets that
 * start at a round local time (a multiple of 5 min, 1 h, 6 h… of the day; midnights 1, 2, 3,
 * 7, 14 days apart), then every k-th bucket as a last resort.
 */
export function roundTimeChoices(starts: readonly number[], bucketMs: number): number[][] {
  const local = starts.map((t) => t - new Date(t).getTimezoneOffset() * MINUTE);
  // Day buckets are labelled by date alone, wherever their day begins.
  const midnights = starts.flatMap((_, i) => (bucketMs >= DAY || local[i]! % DAY == 0 ? [i] : []));
  const choices: number[][] = [];
  for (const span of ROUND_SPANS) {
    if (span < bucketMs || span % bucketMs != 0) continue;
    const indices =
      span < DAY
        ? starts.flatMap((_, i) => (local[i]! % span == 0 ? [i] : []))
        : midnights.filter((_, j) => j % (span / Math.max(DAY, bucketMs)) == 0);
    if (indices.length) choices.push(indices);
  }
  return [...choices, ...everyKth(starts.length)];
}

function inside(at: number, width: number, [left, right]: readonly [number, number]): number {
  return Math.max(left + width / 2, Math.min(right - width / 2, at));
}
