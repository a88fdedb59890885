/** The trend chart's numbers as a table, for reading exact values and for screen readers. */
import type { Deploy, Point } from '../api/types';
import { deploysInWindow } from '../lib/deploys';
import { formatCount, formatDateTime, formatValue } from '../lib/format';
import type { Metric } from '../lib/metrics';

interface TrendTableProps {
  metric: Metric;
  points: Point[];
  percentiles: string[];
  deploys?: readonly Deploy[];
}

export function TrendTable({ metric, points, percentiles, deploys = [] }: TrendTableProps) {
  const inBucket = (p: Point) => deploysInWindow(deploys, Date.parse(p.start), Date.parse(p.end));
  const anyDeploy = points.some((p) => inBucket(p).length > 0);
  return (
    <details className="data-table">
      <summary>Show the numbers</summary>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Bucket start</th>
              {percentiles.map((p) => (
                <th scope="col" key={p} className="num">
                  {p}
                </th>
              ))}
              <th scope="col" className="num">
                Samples
              </th>
              {anyDeploy && <th scope="col">Deploys</th>}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.start} className={p.low_sample ? 'low-sample' : ''}>
                <td>{formatDateTime(new Date(p.start))}</td>
                {percentiles.map((name) => (
                  <td key={name} className="num">
                    {formatValue(metric, p.values[name])}
                  </td>
                ))}
                <td className="num">
                  {formatCount(p.count)}
                  {p.low_sample && p.count > 0 ? ' (low)' : ''}
                </td>
                {anyDeploy && (
                  <td>
                    {inBucket(p)
                      .map((d) => `${d.release} (${formatDateTime(new Date(d.at))})`)
                      .join(', ')}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
