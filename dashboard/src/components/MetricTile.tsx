/** One metric at a glance: p75 in its rating's colour, the rating split, samples, change. */
import type { MetricSummary } from '../api/types';
import { formatChange, formatCount, formatValue } from '../lib/format';
import { type Metric, SPECS } from '../lib/metrics';
import { LowSample, RatingBar, ratingClass, ratingText } from './RatingBar';

interface MetricTileProps {
  metric: Metric;
  summary: MetricSummary;
  previousLabel: string;
  selected: boolean;
  onSelect: () => void;
}

export function MetricTile({ metric, summary, previousLabel, selected, onSelect }: MetricTileProps) {
  const { current, previous, change } = summary;
  const rating = ratingClass(current.rating);
  const delta = formatChange(change.p75);
  const hasData = current.count > 0;
  return (
    <article
      className={`tile tile-${rating}${selected ? ' selected' : ''}${current.low_sample && hasData ? ' tile-low' : ''}`}
      data-testid={`tile-${metric}`}
      data-metric={metric}
      data-p75={current.p75 ?? ''}
      data-count={current.count}
      data-rating={current.rating ?? ''}
    >
      <button type="button" className="tile-select" aria-pressed={selected} onClick={onSelect}>
        <span className="tile-name">
          <abbr title={SPECS[metric].label}>{metric}</abbr>
        </span>
        <span className="sr-only">, show its trend</span>
      </button>
      <div className="tile-value">
        <span className={`p75 text-${rating}`} data-testid="tile-p75">
          {formatValue(metric, current.p75)}
        </span>
        <span className="tile-caption">
          p75 · <span className={`rating-word text-${rating}`}>{ratingText(current.rating)}</span>
        </span>
      </div>
      {hasData ? <RatingBar shares={current.shares} legend /> : <div className="rating-bar rating-bar-empty" />}
      <div className="tile-footer">
        <span data-testid="tile-count">{formatCount(current.count)} samples</span>
        {current.low_sample && hasData && <LowSample count={current.count} />}
        {!hasData && <span className="muted">No samples in this range</span>}
      </div>
      <div className="tile-change" data-testid="tile-change">
        {delta ? (
          <span
            className={`change change-${delta.direction}`}
            title={`Previous period: ${formatValue(metric, previous.p75)} from ${formatCount(previous.count)} samples`}
          >
            {delta.direction == 'worse' ? '▲' : delta.direction == 'better' ? '▼' : '■'} {delta.text}{' '}
            <span className="muted">vs {previousLabel}</span>
          </span>
        ) : (
          <span className="muted">No previous period to compare</span>
        )}
      </div>
    </article>
  );
}
