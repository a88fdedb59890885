/**
 * The deploy markers for a chart's window: asked for with the chart's own time selection,
 * alongside the series rather than after it, so markers never hold the chart back.
 */
import { type ViewState, selectionParams } from '../state/url';
import type { Deploy, DeployList } from './types';
import { useApi } from './useApi';

/** Only the window: filters do not apply to deploys, so every filter shares one answer. */
export function deployParams(state: ViewState): URLSearchParams {
  return selectionParams({ ...state, filters: {} });
}

/** The project's deploys in the selected window, newest first; none until (or unless) they load. */
export function useDeploys(state: ViewState): Deploy[] {
  const answer = useApi<DeployList>(`/v1/projects/${state.project}/deploys`, deployParams(state));
  return answer.data?.deploys ?? NONE;
}

const NONE: Deploy[] = [];
