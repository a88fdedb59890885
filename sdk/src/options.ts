import type { Beacon } from './wire';

export interface Options {
  /** The project key; it travels in the query string because sendBeacon cannot set headers. */
  key: string;
  /** The collector's origin (or base URL); beacons go to `${endpoint}/v1/beacon`. */
  endpoint: string;
  /** Share of page views reported, in (0, 1]; decided once per page view. Default 1. */
  sampleRate?: number;
  /**
   * The route template reported with each page view (`/products/:id`), beside its real
   * URL: a string for the whole page, or a function of the page view's URL for SPA
   * routers. Returning nothing leaves the template to the server (the project's rules,
   * else one derived from the path).
   */
  route?: string | ((url: string) => string | null | undefined);
  /**
   * The release (deploy) the page runs, e.g. a git SHA or a version: every page view is
   * counted for it, so a release can be compared with the one before. At most 64
   * characters (longer is cut); empty or absent belongs to no release.
   */
  release?: string;
  /** Report soft navigations (SPA route changes) as page views of their own (Chromium). */
  reportSoftNavs?: boolean;
  /** Last look at each beacon: return it (changed or not) to send, or a falsy value to drop it. */
  beforeSend?: (beacon: Beacon) => Beacon | null | undefined | false;
  /** Log reports and sends to the console. */
  debug?: boolean;
}
