/** Good / needs-improvement / poor shares as one stacked bar, with the numbers in words. */
import type { RatingShares } from '../api/types';
import { formatShare } from '../lib/format';

export const RATING_LABELS = { good: 'Good', needs_improvement: 'Needs improvement', poor: 'Poor' } as const;

export function describeShares(shares: RatingShares): string {
  return `Good ${formatShare(shares.good)}, needs improvement ${formatShare(shares.needs_improvement)}, poor ${formatShare(shares.poor)}`;
}

export function RatingBar({ shares, legend = false }: { shares: RatingShares; legend?: boolean }) {
  const parts = [
    ['good', shares.good],
    ['ni', shares.needs_improvement],
    ['poor', shares.poor],
  ] as const;
  const label = describeShares(shares);
  return (
    <div className="rating-bar-wrap">
      <div className="rating-bar" role="img" aria-label={label} title={label}>
        {parts.map(([name, share]) =>
          share > 0 ? <span key={name} className={`rating-bar-part fill-${name}`} style={{ width: `${share * 100}%` }} /> : null,
        )}
      </div>
      {legend && (
        <div className="rating-legend" aria-hidden="true">
          <span className="text-good">{formatShare(shares.good)}</span>
          <span className="text-ni">{formatShare(shares.needs_improvement)}</span>
          <span className="text-poor">{formatShare(shares.poor)}</span>
        </div>
      )}
    </div>
  );
}

/** A rating as a class suffix: good, ni, poor. */
export function ratingClass(rating: string | null | undefined): string {
  if (rating == 'good') return 'good';
  if (rating == 'needs-improvement') return 'ni';
  if (rating == 'poor') return 'poor';
  return 'none';
}

export function ratingText(rating: string | null | undefined): string {
  if (rating == 'good') return 'Good';
  if (rating == 'needs-improvement') return 'Needs improvement';
  if (rating == 'poor') return 'Poor';
  return 'No data';
}

export function LowSample({ count }: { count: number }) {
  return (
    <span className="badge badge-low" title={`Only ${count} samples: a hint, not a fact (fewer than 30)`}>
      low sample
    </span>
  );
}
