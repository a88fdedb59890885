/** Deploy markers on a time axis: which deploys a chart's window holds, and what they say. */
import type { Deploy } from '../api/types';
import { formatDateTime } from './format';

/** Deploys at or after `from` and before `to` (epoch ms), oldest first, as a chart draws them. */
export function deploysInWindow(deploys: readonly Deploy[], from: number, to: number): Deploy[] {
  return deploys
    .filter((d) => {
      const at = Date.parse(d.at);
      return at >= from && at < to;
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The marker's hover text: the release first, since that is what a reader looks for. */
export function deployLabel(deploy: Deploy): string {
  const when = formatDateTime(new Date(deploy.at));
  return `Deploy ${deploy.release} · ${when}${deploy.description ? ` · ${deploy.description}` : ''}`;
}
