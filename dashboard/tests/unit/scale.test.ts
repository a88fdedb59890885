import { describe, expect, it } from 'vitest';
import { everyKth, linear, niceTicks, placeLabels, roundTimeChoices, type PlacedLabel } from '../../src/components/scale';

describe('niceTicks', () => {
  it('counts from 0 in round steps to at least the maximum', () => {
    expect(niceTicks(3000, 4)).toEqual([0, 1000, 2000, 3000]);
    expect(niceTicks(2600, 4)).toEqual([0, 1000, 2000, 3000]);
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0)).toEqual([0]);
  });
});

/** The gaps between neighbouring labels' boxes, and the boxes' outer edges. */
function layout(labels: PlacedLabel[], widths: number[]) {
  const boxes = labels.map(({ index, x }) => [x - widths[index]! / 2, x + widths[index]! / 2] as const);
  return {
    gaps: boxes.slice(1).map(([left], i) => left - boxes[i]![1]),
    left: boxes[0]![0],
    right: boxes[boxes.length - 1]![1],
  };
}

describe('placeLabels', () => {
  // The trend chart's plot at a laptop's and a phone's width (TrendChart's margins), with
  // its buckets' label lengths: "14:00", "3 May", "3 May, 14:00".
  const plots = { laptop: [56, 1254], phone: [56, 330] } as const;
  const cases = [
    { buckets: 24, chars: 5 },
    { buckets: 48, chars: 5 },
    { buckets: 168, chars: 12 },
    { buckets: 7, chars: 12 },
    { buckets: 30, chars: 6 },
    { buckets: 90, chars: 6 },
  ];
  for (const [device, [left, right]] of Object.entries(plots)) {
    for (const { buckets, chars } of cases) {
      it(`never lets labels touch: ${buckets} buckets of ${chars}-character labels on a ${device}`, () => {
        const x = linear([0, buckets], [left, right]);
        const positions = Array.from({ length: buckets }, (_, i) => x(i + 0.5));
        const widths = positions.map(() => chars * 6.6);
        const bounds = [2, right + 10] as const;
        const labels = placeLabels(positions, widths, bounds);
        expect(labels[0]!.index).toBe(0);
        const { gaps, left: outerLeft, right: outerRight } = layout(labels, widths);
        expect(Math.min(...gaps, Infinity)).toBeGreaterThanOrEqual(8);
        expect(outerLeft).toBeGreaterThanOrEqual(bounds[0]);
        expect(outerRight).toBeLessThanOrEqual(bounds[1]);
        // Every k-th point from the first.
        const step = labels.length > 1 ? labels[1]!.index : buckets;
        expect(labels.map((l) => l.index)).toEqual(labels.map((_, i) => i * step));
      });
    }
  }

  it('counts a label pulled in from the edge where it is drawn, not at its point', () => {
    // Points 40px apart, labels 30px wide: 10px between them, except that the last point
    // is 5px from the edge, so its label moves 10px left and would touch its neighbour.
    const positions = [20, 60, 100, 140, 180, 220];
    const widths = positions.map(() => 30);
    const labels = placeLabels(positions, widths, [0, 225]);
    expect(labels.map((l) => l.index)).toEqual([0, 2, 4]);
    const { gaps } = layout(labels, widths);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(8);

    const roomy = placeLabels(positions, widths, [0, 240]);
    expect(roomy.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps a label at the left edge inside and moves it no further than needed', () => {
    const labels = placeLabels([10, 200], [60, 60], [2, 400]);
    expect(labels).toEqual([
      { index: 0, x: 32 },
      { index: 1, x: 200 },
    ]);
  });

  it('labels the first point alone when no two fit, and nothing without points', () => {
    expect(placeLabels([100, 110, 120], [80, 80, 80], [0, 300])).toEqual([{ index: 0, x: 100 }]);
    expect(placeLabels([], [], [0, 300])).toEqual([]);
  });
});

describe('everyKth', () => {
  it('thins out in steps of 1, 2, 3, 4, 6, 8, 12, … down to one index', () => {
    expect(everyKth(7)).toEqual([[0, 1, 2, 3, 4, 5, 6], [0, 2, 4, 6], [0, 3, 6], [0, 4], [0, 6], [0]]);
  });
});

describe('roundTimeChoices', () => {
  const HOUR = 3_600_000;
  // Local times: the labels are printed in the browser's time zone.
  const from = (year: number, month: number, day: number, hour: number, every: number, count: number) =>
    Array.from({ length: count }, (_, i) => new Date(year, month, day, hour).getTime() + i * every);

  it('labels a week of 3-hour buckets at midnights on a laptop, not every 18 hours', () => {
    const starts = from(2026, 10, 30, 0, 3 * HOUR, 56);
    const choices = roundTimeChoices(starts, 3 * HOUR);
    expect(choices[0]).toHaveLength(56); // every 3 h
    expect(choices[1]).toEqual(starts.map((_, i) => i).filter((i) => i % 2 == 0)); // 6 h
    const x = linear([0, 56], [56, 1254]);
    const positions = starts.map((_, i) => x(i + 0.5));
    const widths = starts.map(() => '30 Nov, 00:00'.length * 6.6);
    const labels = placeLabels(positions, widths, [2, 1264], choices);
    expect(labels.map((l) => new Date(starts[l.index]!).getHours())).toEqual(Array(7).fill(0));
  });

  it('labels a day of hourly buckets on round hours of the day', () => {
    const starts = from(2026, 11, 6, 2, HOUR, 24); // 02:00 to 01:00
    const x = linear([0, 24], [56, 330]);
    const labels = placeLabels(
      starts.map((_, i) => x(i + 0.5)),
      starts.map(() => 5 * 6.6),
      [2, 340],
      roundTimeChoices(starts, HOUR),
    );
    const hours = labels.map((l) => new Date(starts[l.index]!).getHours());
    expect(hours.length).toBeGreaterThan(2);
    const span = hours[1]! - hours[0]!;
    expect([2, 3, 6]).toContain(span);
    expect(hours.every((h) => h % span == 0)).toBe(true);
  });

  it('takes day buckets as days wherever they start, 1, 2, 3, 7 and 14 apart', () => {
    const starts = Array.from({ length: 28 }, (_, i) => Date.UTC(2026, 10, 9 + i));
    const choices = roundTimeChoices(starts, 24 * HOUR);
    expect(choices.slice(0, 5).map((c) => c.length)).toEqual([28, 14, 10, 4, 2]);
    expect(choices[3]).toEqual([0, 7, 14, 21]);
  });
});
