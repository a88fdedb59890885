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
 * Which of the points along an axis get a label, and where. Every k-th point from the
 * first is labelled, k the smallest of 1, 2, 3, 4, 6, 8, 12, 16, 24, … for which no two
 * labels come closer than `gap`. A label is centred on its point unless that would cross
 * `bounds`; then it is pulled in just far enough, and the spacing is checked with it there
 * (labels at the edges used to hang inwards from their point and run into their
 * neighbours).
 */
export function placeLabels(
  positions: readonly number[],
  widths: readonly number[],
  bounds: readonly [number, number],
  gap = 8,
): PlacedLabel[] {
  for (const step of labelSteps(positions.length)) {
    const placed: PlacedLabel[] = [];
    for (let index = 0; index < positions.length; index += step) {
      placed.push({ index, x: inside(positions[index]!, widths[index]!, bounds) });
    }
    const overlaps = placed.some((label, i) => {
      const next = placed[i + 1];
      return next != null && next.x - widths[next.index]! / 2 - (label.x + widths[label.index]! / 2) < gap;
    });
    if (!overlaps) return placed;
  }
  return []; // no points
}

/** 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, …: up to the first step that leaves one label. */
function labelSteps(count: number): number[] {
  const steps: number[] = [];
  for (let base = 1; ; base *= 2) {
    for (const step of base == 1 ? [1, 2, 3] : [2 * base, 3 * base]) {
      if (steps[steps.length - 1] != step) steps.push(step);
      if (step >= count) return steps;
    }
  }
}

function inside(at: number, width: number, [left, right]: readonly [number, number]): number {
  return Math.max(left + width / 2, Math.min(right - width / 2, at));
}
