/**
 * A project's settings as the form edits them and as the admin API takes them
 * (services/admin/project_shapes.py): allowed origins one per line, route rules as
 * pattern → route rows. The API checks everything again; this catches typos early.
 */
export interface RouteRule {
  pattern: string;
  route: string;
}

export interface Project {
  id: number;
  slug: string;
  name: string;
  allowed_origins: string[];
  rate_limit_per_minute: number;
  filter_bots: boolean;
  route_rules: RouteRule[];
  keep_trailing_slash: boolean;
  created_at: string;
}

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const MAX_RATE_LIMIT = 100_000_000;

/** A slug from a name: lower case, dashes for the rest, at most 63 characters. */
export function slugFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

export interface Parsed<T> {
  value: T;
  problem: string;
}

/** One origin a line (blank lines skipped): `scheme://host[:port]`, as browsers send `Origin`. */
export function parseOrigins(text: string): Parsed<string[]> {
  const origins: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      return { value: [], problem: `${line} is not a URL: write it as https://www.example.com` };
    }
    const bare = (url.pathname == '/' || url.pathname == '') && !url.search && !url.hash && !url.username;
    if ((url.protocol != 'http:' && url.protocol != 'https:') || !bare || !line.includes('//')) {
      return { value: [], problem: `${line} is not an origin: only scheme://host[:port], no path` };
    }
    origins.push(url.origin);
  }
  return { value: [...new Set(origins)], problem: '' };
}

export function originsText(origins: string[]): string {
  return origins.join('\n');
}

export function parseRateLimit(text: string): Parsed<number> {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_RATE_LIMIT) {
    return { value: 0, problem: `The rate limit is a whole number of beacons a minute, 1 to ${MAX_RATE_LIMIT.toLocaleString('en')}.` };
  }
  return { value, problem: '' };
}

/**
 * Rows with both fields empty are dropped; a half-filled row or a route without its
 * leading slash is named. Patterns are Python's (the workers run them): the API checks them.
 */
export function parseRules(rows: RouteRule[]): Parsed<RouteRule[]> {
  const rules: RouteRule[] = [];
  for (const [index, row] of rows.entries()) {
    const pattern = row.pattern.trim();
    const route = row.route.trim();
    if (!pattern && !route) continue;
    const n = index + 1;
    if (!pattern || !route) return { value: [], problem: `Route rule ${n} needs both a pattern and a route.` };
    if (!route.startsWith('/')) return { value: [], problem: `Route rule ${n}: the route starts with /.` };
    rules.push({ pattern, route });
  }
  return { value: rules, problem: '' };
}
