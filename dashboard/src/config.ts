/**
 * Where the query API, the admin API and the realtime server are, read at start from `config.json` next
 * to index.html, so one build serves any deployment. An empty URL means "this origin".
 * Not from query parameters: a crafted link must not send a user's password elsewhere.
 */
export interface Config {
  queryUrl: string;
  realtimeUrl: string;
  /** The write side (services/admin): alert rules and destinations, projects, keys, users. */
  adminUrl: string;
  /**
   * Where sites send beacons and load the SDK (services/ingest), as the Setup page's
   * snippets name it. Not called by the dashboard itself.
   */
  ingestUrl: string;
}

const EMPTY: Config = { queryUrl: '', realtimeUrl: '', adminUrl: '', ingestUrl: '' };

function cleanUrl(value: unknown, name: string, base: string): string {
  if (value == null || value === '') return '';
  if (typeof value != 'string') throw new Error(`config.json: ${name} must be a URL string`);
  const url = new URL(value, base);
  if (url.protocol != 'http:' && url.protocol != 'https:') {
    throw new Error(`config.json: ${name} must be an http(s) URL`);
  }
  return url.href.replace(/\/+$/, '');
}

export function parseConfig(raw: unknown, base = window.location.href): Config {
  if (raw == null || typeof raw != 'object') throw new Error('config.json must hold a JSON object');
  const record = raw as Record<string, unknown>;
  return {
    queryUrl: cleanUrl(record.queryUrl, 'queryUrl', base),
    realtimeUrl: cleanUrl(record.realtimeUrl, 'realtimeUrl', base),
    adminUrl: cleanUrl(record.adminUrl, 'adminUrl', base),
    ingestUrl: cleanUrl(record.ingestUrl, 'ingestUrl', base),
  };
}

export async function loadConfig(): Promise<Config> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
  if (response.status == 404) return EMPTY; // served without one: everything on this origin
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}
