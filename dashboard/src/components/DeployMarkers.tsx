/**
 * Deploy markers inside a time chart's SVG: a dashed vertical line at each deploy with a
 * flag on top. Hovering one shows its release (an SVG <title>, the browser's own tooltip);
 * the chart's bucket tooltip and its summary name them too, for keyboards and readers.
 */
import type { Deploy } from '../api/types';
import { deployLabel } from '../lib/deploys';

interface DeployMarkersProps {
  /** Deploys inside the chart's window (lib/deploys deploysInWindow). */
  deploys: readonly Deploy[];
  x: (epochMs: number) => number;
  top: number;
  bottom: number;
}

const FLAG = 5; // px: half the flag's width, and the hit area's

export function DeployMarkers({ deploys, x, top, bottom }: DeployMarkersProps) {
  return (
    <g className="deploy-markers">
      {deploys.map((deploy, i) => {
        const at = x(Date.parse(deploy.at));
        return (
          <g
            key={`${deploy.at}-${i}`}
            className="deploy-marker"
            data-testid="deploy-marker"
            data-release={deploy.release}
            data-at={deploy.at}
            data-x={at.toFixed(1)}
          >
            <title>{deployLabel(deploy)}</title>
            <line x1={at} x2={at} y1={top} y2={bottom} />
            <path d={`M${at - FLAG},${top - FLAG * 2}h${FLAG * 2}l${-FLAG},${FLAG * 2}z`} />
            {/* A line is 1 px wide: a wider invisible strip makes it easy to hover. */}
            <rect className="deploy-hit" x={at - FLAG} width={FLAG * 2} y={top - FLAG * 2} height={bottom - top + FLAG * 2} />
          </g>
        );
      })}
    </g>
  );
}
