import { describe, expect, it } from 'vitest';
import { administers } from '../../src/api/me';
import { parseOrigins, parseRateLimit, parseRules, slugFrom } from '../../src/lib/projectForm';
import { KEY_PLACEHOLDER, ingestOrigin, npmSnippet, scriptTag } from '../../src/lib/snippets';

describe('scriptTag', () => {
  it('names ingest’s bundle and the key; the endpoint is the script’s origin', () => {
    expect(scriptTag({ ingestUrl: 'https://collect.example', key: ' vk_abc ', spa: false })).toBe(
      '<script src="https://collect.example/sdk/vitals.js" data-key="vk_abc" defer></script>',
    );
  });

  it('turns soft navigations on for a single-page app, and shows a placeholder without a key', () => {
    expect(scriptTag({ ingestUrl: 'http://127.0.0.1:8001', key: '', spa: true })).toBe(
      `<script src="http://127.0.0.1:8001/sdk/vitals.js" data-key="${KEY_PLACEHOLDER}" data-soft-navs defer></script>`,
    );
  });

  it('escapes a pasted key so it cannot end the attribute', () => {
    expect(scriptTag({ ingestUrl: 'https://c.example', key: '"><img src=x>', spa: false })).toContain(
      'data-key="&quot;&gt;&lt;img src=x&gt;"',
    );
  });
});

describe('npmSnippet', () => {
  it('passes the key and endpoint to init, and the route option for a single-page app', () => {
    const plain = npmSnippet({ ingestUrl: 'https://collect.example', key: 'vk_abc', spa: false });
    expect(plain).toContain("key: 'vk_abc',");
    expect(plain).toContain("endpoint: 'https://collect.example',");
    expect(plain).not.toContain('route');
    const spa = npmSnippet({ ingestUrl: 'https://collect.example', key: "it's", spa: true });
    expect(spa).toContain("key: 'it\\'s',");
    expect(spa).toContain('reportSoftNavs: true');
    expect(spa).toContain('route: () =>');
  });
});

describe('ingestOrigin', () => {
  it('is the configured ingest URL, else this origin', () => {
    expect(ingestOrigin('https://collect.example/', 'https://vitals.example')).toBe('https://collect.example');
    expect(ingestOrigin('', 'https://vitals.example')).toBe('https://vitals.example');
  });
});

describe('parseOrigins', () => {
  it('reads one origin a line, as browsers send them', () => {
    expect(parseOrigins('https://Shop.example\n\n  http://localhost:3000/ \nhttps://shop.example')).toEqual({
      value: ['https://shop.example', 'http://localhost:3000'],
      problem: '',
    });
  });

  it('names a line with a path, another scheme or no scheme', () => {
    expect(parseOrigins('https://shop.example/checkout').problem).toContain('no path');
    expect(parseOrigins('ftp://shop.example').problem).toContain('not an origin');
    expect(parseOrigins('shop.example').problem).toContain('not a URL');
  });
});

describe('parseRateLimit and parseRules', () => {
  it('takes a positive whole number of beacons a minute', () => {
    expect(parseRateLimit(' 6000 ')).toEqual({ value: 6000, problem: '' });
    for (const bad of ['0', '-1', '1.5', 'lots', '']) expect(parseRateLimit(bad).problem).not.toBe('');
  });

  it('drops empty rows and names half-filled ones or a route without its slash', () => {
    expect(parseRules([{ pattern: ' ^/p/\\d+$ ', route: '/p/:id' }, { pattern: '', route: '' }])).toEqual({
      value: [{ pattern: '^/p/\\d+$', route: '/p/:id' }],
      problem: '',
    });
    expect(parseRules([{ pattern: 'x', route: '' }]).problem).toBe('Route rule 1 needs both a pattern and a route.');
    expect(parseRules([{ pattern: '', route: '' }, { pattern: 'x', route: 'p' }]).problem).toBe('Route rule 2: the route starts with /.');
  });
});

describe('slugFrom', () => {
  it('makes a slug the API accepts from a name', () => {
    expect(slugFrom('Café Shop — EU')).toBe('cafe-shop-eu');
    expect(slugFrom('  ')).toBe('');
    expect(slugFrom('a'.repeat(80)).length).toBe(63);
  });
});

describe('administers', () => {
  const me = { user_id: 1, email: 'a@x', owner: false, can_create_projects: false, can_manage_users: false,
    projects: [{ id: 1, slug: 'a', name: 'A', role: 'admin' as const }, { id: 2, slug: 'b', name: 'B', role: 'viewer' as const }] };
  it('shows admin screens to a project’s admins and to owners, never while unknown', () => {
    expect(administers(me, 1)).toBe(true);
    expect(administers(me, 2)).toBe(false);
    expect(administers({ ...me, owner: true }, 2)).toBe(true);
    expect(administers(null, 1)).toBe(false);
  });
});
