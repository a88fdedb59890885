/** Time-series bucket widths the query API offers (services/query/buckets.py WIDTHS). */
const WIDTHS: [string, number][] = [
  ['1m', 60_000], ['5m', 300_000], ['15m', 900_000], ['30m', 1_800_000], ['1h', 3_600_000],
  ['3h', 10_800_000], ['6h', 21_600_000], ['12h', 43_200_000], ['1d', 86_400_000], ['1w', 604_800_000],
];

// A chart reads best with tens of points, not the API's default of up to 400.
export const TARGET_POINTS = 100;

/** The finest width that keeps a window of `lengthMs` within `target` buckets. */
export function chooseBucket(lengthMs: number, target = TARGET_POINTS): string {
  return WIDTHS.find(([, width]) => lengthMs / width <= target)?.[0] ?? '1w';
}

export const RANGE_LENGTH_MS: Record<string, number> = {
  '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '28d': 28 * 86_400_000,
};
