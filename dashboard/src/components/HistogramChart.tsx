/**
 * A metric's distribution: the API's log-scale buckets as equal-width bars (so the x axis
 * is logarithmic), each split by rating, with the thresholds marked. Zero, where present,
 * is its own first bar.
 */
import { type KeyboardEvent, useRef, useState } from 'react';
import type { HistogramBucket } from '../api/types';
import { formatAxis, formatCount, formatShare, formatValue } from '../lib/format';
import { type Metric, SPECS } from '../lib/metrics';
import { linear, niceTicks } from './scale';
import { useWidth } from './useWidth';

const MARGIN = { top: 12, right: 12, bottom: 28, left: 56 };

/** Where a value falls along the bars: bar index plus the log-scale fraction inside it. */
export function logPosition(buckets: HistogramBucket[], value: number): number | null {
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.end == 0) continue;
    if (value <= b.end && value > b.start) {
      const fraction = b.start > 0 ? Math.log(value / b.start) / Math.log(b.end / b.start) : 1;
      return i + fraction;
    }
  }
  return null;
}

export function HistogramChart({ metric, buckets, height = 260 }: { metric: Metric; buckets: HistogramBucket[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const [active, setActive] = useState<number | null>(null);
  const spec = SPECS[metric];
  const n = buckets.length;
  const maxCount = Math.max(1, ...buckets.map((b) => b.count));
  const yTicks = niceTicks(maxCount, 4);
  const y = linear([0, yTicks[yTicks.length - 1]!], [height - MARGIN.bottom, MARGIN.top]);
  const x = linear([0, Math.max(1, n)], [MARGIN.left, width - MARGIN.right]);
  const barWidth = Math.max(1, x(1) - x(0) - 1);
  const total = buckets.reduce((s, b) => s + b.count, 0);
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((width - 80) / 70))));
  const thresholds = [
    ['good', spec.goodMax],
    ['poor', spec.poorMin],
  ] as const;
  const chosen = active == null ? null : buckets[active];

  const onKey = (event: KeyboardEvent) => {
    if (!n) return;
    if (event.key == 'ArrowRight') setActive((a) => Math.min(n - 1, (a ?? -1) + 1));
    else if (event.key == 'ArrowLeft') setActive((a) => Math.max(0, (a ?? n) - 1));
    else if (event.key == 'Escape') setActive(null);
    else return;
    event.preventDefault();
  };
  const label = (b: HistogramBucket) =>
    b.end == 0 ? '0' : `${formatValue(metric, b.start)} – ${formatValue(metric, b.end)}`;

  return (
    <div className="chart" ref={box}>
      <svg
        width={width}
        height={height}
        role="img"
        tabIndex={0}
        aria-label={`Distribution of ${metric}: ${formatCount(total)} samples in ${n} buckets`}
        onKeyDown={onKey}
        onPointerMove={(e) => {
          const rect = box.current!.getBoundingClientRect();
          const index = Math.floor(((e.clientX - rect.left - MARGIN.left) / (width - MARGIN.left - MARGIN.right)) * n);
          setActive(index >= 0 && index < n ? index : null);
        }}
        onPointerLeave={() => setActive(null)}
        onBlur={() => setActive(null)}
        data-testid="histogram-chart"
      >
        {yTicks.map((t) => (
          <g key={t} className="tick">
            <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} />
            <text x={MARGIN.left - 6} y={y(t)} dy="0.32em" textAnchor="end">
              {formatCount(t)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          let top = y(0);
          return (
            <g key={i} className={active == i ? 'bar active' : 'bar'}>
              {(
                [
                  ['good', b.good],
                  ['ni', b.needs_improvement],
                  ['poor', b.poor],
                ] as const
              ).map(([name, count]) => {
                if (!count) return null;
                const h = y(0) - y(count);
                top -= h;
                return <rect key={name} className={`fill-${name}`} x={x(i) + 0.5} width={barWidth} y={top} height={h} />;
              })}
            </g>
          );
        })}
        {thresholds.map(([name, value]) => {
          const at = logPosition(buckets, value);
          if (at == null) return null;
          return (
            <g key={name} className={`threshold-mark threshold-${name}`}>
              <line x1={x(at)} x2={x(at)} y1={MARGIN.top} y2={height - MARGIN.bottom} />
              <text x={x(at) + 4} y={MARGIN.top + 10}>
                {formatAxis(metric, value)}
              </text>
            </g>
          );
        })}
        {buckets.map((b, i) =>
          i % labelEvery == 0 ? (
            <text key={i} className="x-label" x={x(i)} y={height - 8} textAnchor="start">
              {b.end == 0 ? '0' : formatAxis(metric, b.start)}
            </text>
          ) : null,
        )}
      </svg>
      {chosen && (
        <div className="tooltip" role="status" style={{ left: Math.min(x(active!) + barWidth + 6, Math.max(0, width - 200)), top: MARGIN.top }}>
          <strong>{label(chosen)}</strong>
          <div>{formatCount(chosen.count)} samples ({formatShare(total ? chosen.count / total : 0)})</div>
          <div className="text-good">good {formatCount(chosen.good)}</div>
          <div className="text-ni">needs improvement {formatCount(chosen.needs_improvement)}</div>
          <div className="text-poor">poor {formatCount(chosen.poor)}</div>
        </div>
      )}
    </div>
  );
}
