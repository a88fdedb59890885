/**
 * The Setup page's snippets: the script tag and the npm code a site adds, filled in with
 * the project's key and this server's ingest URL. Attributes are escaped for HTML and
 * strings for JavaScript, so a pasted key cannot break out of either.
 */
export const KEY_PLACEHOLDER = 'YOUR_INGEST_KEY';

export interface SnippetOptions {
  /** The ingest service's origin (no trailing slash). */
  ingestUrl: string;
  /** An ingest key; empty shows a placeholder. */
  key: string;
  /** A single-page app: report route changes (soft navigations) as page views. */
  spa: boolean;
}

/** config.ingestUrl, or this dashboard's origin when it is empty (one host for everything). */
export function ingestOrigin(configured: string, here: string): string {
  return (configured || here).replace(/\/+$/, '');
}

function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function jsString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/</g, '\\x3c')}'`;
}

export function scriptTag({ ingestUrl, key, spa }: SnippetOptions): string {
  const attributes = [
    `src="${attribute(`${ingestUrl}/sdk/vitals.js`)}"`,
    `data-key="${attribute(key.trim() || KEY_PLACEHOLDER)}"`,
    ...(spa ? ['data-soft-navs'] : []),
    'defer',
  ];
  return `<script ${attributes.join(' ')}></script>`;
}

export function npmInstall(): string {
  return 'npm install @vitals/sdk';
}

export function npmSnippet({ ingestUrl, key, spa }: SnippetOptions): string {
  const lines = [
    "import { init } from '@vitals/sdk';",
    '',
    'init({',
    `  key: ${jsString(key.trim() || KEY_PLACEHOLDER)},`,
    `  endpoint: ${jsString(ingestUrl)},`,
  ];
  if (spa) {
    lines.push(
      '  reportSoftNavs: true, // route changes count as page views',
      "  // your router's template for the current page, e.g. '/products/:id'",
      '  route: () => router.currentRoute.template,',
    );
  }
  lines.push('});');
  return lines.join('\n');
}
