/**
 * The Overview's banner of the project's firing alerts (the query service's alerts view,
 * asked afresh), linking to the Alerts view. Nothing firing, or no answer: no banner;
 * the Overview does not wait for it or fail with it.
 */
import type { AlertsNow } from '../api/types';
import { useApi } from '../api/useApi';
import { bannerText, firingRules } from '../lib/alerts';
import type { ViewState } from '../state/url';
import { type Navigate, hrefFor } from '../state/useUrlState';
import { followLink } from '../views/links';

export function AlertBanner({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const alerts = useApi<AlertsNow>(`/v1/projects/${state.project}/alerts`, undefined, { maxAgeMs: 0 });
  const firing = firingRules(alerts.data);
  if (!firing.length) return null;
  return (
    <div className="alert-banner" role="alert" data-testid="alert-banner" data-firing={firing.length}>
      <span className="alert-banner-dot" aria-hidden="true" />
      <span>{bannerText(firing)}</span>
      <a href={hrefFor(state, { view: 'alerts' })} onClick={followLink(navigate, { view: 'alerts' })}>
        See alerts
      </a>
    </div>
  );
}
