import { describe, expect, it } from 'vitest';
import { linear, niceTicks, placeLabels, type PlacedLabel } from '../../src/components/scale';

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
