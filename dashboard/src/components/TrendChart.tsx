/**
 * One metric over time: a line per percentile over the good / needs-improvement / poor
 * threshold bands, sample counts as bars beneath, low-sample buckets drawn hollow, and a
 * marker at each deploy. Hover or focus and use ←/→ to read a bucket; the same numbers are
 * in a table below (TrendTable).
 */
import { type KeyboardEvent, useRef, useState } from 'react';
import type { Deploy, Point } from '../api/types';
import { deploysInWindow } from '../lib/deploys';
import { formatAxis, formatBucket, formatCount, formatDateTime, formatValue } from '../lib/format';
import { type Metric, SPECS } from '../lib/metrics';
import { DeployMarkers } from './DeployMarkers';
import { linear, niceTicks, placeLabels, roundTimeChoices } from './scale';
import { useWidth } from './useWidth';

export const PERCENTILE_COLOURS: Record<string, string> = {
  p50: '#3f7fe0',
  p75: '#1d2433',
  p90: '#8b44c9',
  p95: '#c2571a',
  p99: '#6b7785',
};

interface TrendChartProps {
  metric: Metric;
  points: Point[];
  percentiles: string[];
  from: string;
  to: string;
  height?: number;
  /** A compact chart (the overview's) has no count strip and fewer labels. */
  compact?: boolean;
  /** The project's deploys; those inside the window are marked. */
  deploys?: readonly Deploy[];
}

const MARGIN = { top: 12, right: 12, bottom: 24, left: 56 };
const COUNT_STRIP = 36;
// A bucket label's width per character at the axis' 11px: headless Chromium drew "14:00"
// at 6.3px a character and "30 Nov, 00:00" at 6.0; a little over, so labels never touch.
const LABEL_CHAR_PX = 6.6;

export function TrendChart({
  metric, points, percentiles, from, to, height = 260, compact = false, deploys = [],
}: TrendChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const [active, setActive] = useState<number | null>(null);
  const spec = SPECS[metric];
  const start = Date.parse(from);
  const end = Date.parse(to);
  const strip = compact ? 0 : COUNT_STRIP;
  const plotBottom = height - MARGIN.bottom - strip;
  const values = points.flatMap((p) => percentiles.map((name) => p.values[name])).filter((v): v is number => v != null);
  const maxValue = Math.max(spec.goodMax * 1.2, ...values.map((v) => v * 1.08));
  const yTicks = niceTicks(maxValue, compact ? 3 : 4);
  const yMax = yTicks[yTicks.length - 1]!;
  const x = linear([start, end], [MARGIN.left, width - MARGIN.right]);
  const y = linear([0, yMax], [plotBottom, MARGIN.top]);
  const maxCount = Math.max(1, ...points.map((p) => p.count));
  const countY = linear([0, maxCount], [height - MARGIN.bottom, plotBottom + 8]);
  const bucketMs = points.length ? Date.parse(points[0]!.end) - Date.parse(points[0]!.start) : end - start;
  const center = (p: Point) => x((Date.parse(p.start) + Date.parse(p.end)) / 2);
  const barWidth = Math.max(1, (x(start + bucketMs) - x(start)) * 0.7);

  const bands = [
    ['good', 0, Math.min(spec.goodMax, yMax)],
    ['ni', spec.goodMax, Math.min(spec.poorMin, yMax)],
    ['poor', spec.poorMin, yMax],
  ] as const;

  const lines = percentiles.map((name) => {
    let d = '';
    let open = false;
    for (const p of points) {
      const v = p.values[name];
      if (v == null) {
        open = false;
        continue;
      }
      d += `${open ? 'L' : 'M'}${center(p).toFixed(1)},${y(v).toFixed(1)}`;
      open = true;
    }
    return { name, d };
  });

  const labelTexts = points.map((p) => formatBucket(new Date(p.start), bucketMs, end - start));
  const xLabels = placeLabels(
    points.map(center),
    labelTexts.map((text) => text.length * LABEL_CHAR_PX),
    [2, width - 2],
    roundTimeChoices(points.map((p) => Date.parse(p.start)), bucketMs),
  );
  const chosen = active == null ? null : points[active];
  const markers = deploysInWindow(deploys, start, end);
  const chosenDeploys = chosen ? deploysInWindow(markers, Date.parse(chosen.start), Date.parse(chosen.end)) : [];

  const nearest = (clientX: number) => {
    const rect = box.current!.getBoundingClientRect();
    const px = clientX - rect.left;
    let best = 0;
    let distance = Infinity;
    points.forEach((p, i) => {
      const d = Math.abs(center(p) - px);
      if (d < distance) [best, distance] = [i, d];
    });
    return best;
  };

  const onKey = (event: KeyboardEvent) => {
    if (!points.length) return;
    if (event.key == 'ArrowRight') setActive((a) => Math.min(points.length - 1, (a ?? -1) + 1));
    else if (event.key == 'ArrowLeft') setActive((a) => Math.max(0, (a ?? points.length) - 1));
    else if (event.key == 'Home') setActive(0);
    else if (event.key == 'End') setActive(points.length - 1);
    else if (event.key == 'Escape') setActive(null);
    else return;
    event.preventDefault();
  };

  const deployed = markers.length ? `; deploys: ${markers.map((d) => `${d.release} at ${formatDateTime(new Date(d.at))}`).join(', ')}` : '';
  const summary = `${metric} ${percentiles.join(', ')} from ${formatDateTime(new Date(start))} to ${formatDateTime(new Date(end))}, ${points.length} buckets${deployed}`;

  return (
    <div className="chart" ref={box}>
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={summary}
        tabIndex={0}
        onKeyDown={onKey}
        onPointerMove={(e) => setActive(nearest(e.clientX))}
        onPointerLeave={() => setActive(null)}
        onBlur={() => setActive(null)}
        data-testid="trend-chart"
      >
        {bands.map(([name, lo, hi]) =>
          hi > lo ? (
            <rect
              key={name}
              className={`band band-${name}`}
              x={MARGIN.left}
              width={Math.max(0, width - MARGIN.left - MARGIN.right)}
              y={y(hi)}
              height={Math.max(0, y(lo) - y(hi))}
            />
          ) : null,
        )}
        {yTicks.map((t) => (
          <g key={t} className="tick">
            <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} />
            <text x={MARGIN.left - 6} y={y(t)} dy="0.32em" textAnchor="end">
              {formatAxis(metric, t)}
            </text>
          </g>
        ))}
        {[spec.goodMax, spec.poorMin].map((t) =>
          t < yMax ? (
            <line key={t} className="threshold" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} />
          ) : null,
        )}
        {!compact &&
          points.map((p) =>
            p.count ? (
              <rect
                key={p.start}
                className={`count-bar${p.low_sample ? ' low' : ''}`}
                x={center(p) - barWidth / 2}
                width={barWidth}
                y={countY(p.count)}
                height={height - MARGIN.bottom - countY(p.count)}
              />
            ) : null,
          )}
        {lines.map(({ name, d }) => (
          <path key={name} d={d} className="series" stroke={PERCENTILE_COLOURS[name]} />
        ))}
        {percentiles.map((name) =>
          points.map((p) => {
            const v = p.values[name];
            if (v == null) return null;
            // Low-sample buckets are hollow: a hint, not a fact. Isolated points need a dot to show at all.
            if (!p.low_sample && points.length > 48) return null;
            return (
              <circle
                key={`${name}-${p.start}`}
                cx={center(p)}
                cy={y(v)}
                r={p.low_sample ? 3.5 : 2.5}
                className={p.low_sample ? 'dot dot-low' : 'dot'}
                stroke={PERCENTILE_COLOURS[name]}
                fill={p.low_sample ? '#fff' : PERCENTILE_COLOURS[name]}
              />
            );
          }),
        )}
        <DeployMarkers deploys={markers} x={x} top={MARGIN.top} bottom={plotBottom} />
        {xLabels.map(({ index, x: at }) => (
          <text key={points[index]!.start} className="x-label" x={at} y={height - 6} textAnchor="middle">
            {labelTexts[index]}
          </text>
        ))}
        {chosen && (
          <line className="guide" x1={center(chosen)} x2={center(chosen)} y1={MARGIN.top} y2={height - MARGIN.bottom} />
        )}
      </svg>
      {chosen && (
        <div
          className="tooltip"
          role="status"
          style={{
            left: Math.min(Math.max(center(chosen) + 10, 0), Math.max(0, width - 190)),
            top: MARGIN.top,
          }}
        >
          <strong>{formatDateTime(new Date(chosen.start))}</strong>
          {percentiles.map((name) => (
            <div key={name}>
              <span className="swatch" style={{ background: PERCENTILE_COLOURS[name] }} /> {name}{' '}
              {formatValue(metric, chosen.values[name])}
            </div>
          ))}
          <div>
            {formatCount(chosen.count)} samples{chosen.low_sample && chosen.count > 0 ? ' (low)' : ''}
          </div>
          {chosenDeploys.map((d, i) => (
            <div key={i} className="tooltip-deploy">
              Deploy {d.release} at {formatDateTime(new Date(d.at))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
