/**
 * The admin scenarios (test_admin.py), each one browser session:
 * - `adminOnboarding`: an owner of an instance without projects creates one, makes a key on
 *   its Setup page, a page embedding the copied script tag (served by ingest, the built
 *   SDK) sends a beacon, and the page's check turns green; then keys (made, revoked) and
 *   settings (saved).
 * - `adminMembers`: an owner invites two members (set-password links shown and copied),
 *   changes a role, removes one; the Users and New project screens; the invited viewer
 *   opens the link, sets a password, signs in and sees no admin screen, and the admin
 *   API refuses her token; the link does not work twice.
 * Every new screen is shot at laptop and phone widths.
 */
import { createServer } from 'node:http';
import { LAPTOP, PHONE, config, launch, settled, shot, url } from './browser.mjs';

const VISITOR_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const ready = (page, testId) => page.locator(`[data-testid="${testId}"][data-state="ready"]`).waitFor();

/** Every write the page sent, as (method, path, status). */
function writes(page) {
  const seen = [];
  page.on('response', (response) => {
    const method = response.request().method();
    if (method == 'GET' || method == 'OPTIONS') return;
    const where = new URL(response.url());
    if (where.origin != config.dashboardUrl) return;
    seen.push({ method, path: where.pathname, status: response.status() });
  });
  return seen;
}

/** A screenshot at laptop and at phone width, and whether the phone page scrolls sideways. */
async function shots(page, name, taken) {
  taken.push(await shot(page, name));
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  taken.push(await shot(page, `phone-${name}`));
  await page.setViewportSize(LAPTOP);
  return overflow;
}

async function signIn(page, email, password) {
  await page.goto(url());
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const navLinks = (page) => page.$$eval('.views-nav a', (links) => links.map((a) => a.textContent.trim()));

async function keyRows(page) {
  return page.$$eval('[data-testid="key-row"]', (rows) =>
    rows.map((r) => ({ prefix: r.dataset.prefix, revoked: r.dataset.revoked == 'true', text: r.textContent })),
  );
}

/**
 * The customer's site: one page on a loopback origin of its own (Chromium refuses a
 * public origin's script from loopback), its <head> set once the snippet is copied.
 */
async function siteServer() {
  let head = '';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Shop Front</title>${head}</head>` +
      `<body><h1>Shop Front</h1><p>${'Fresh bread every morning. '.repeat(40)}</p></body></html>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    setHead: (html) => { head = html; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const adminScenarios = {
  async adminOnboarding() {
    // A visitor's browser: with the new project's bot filter on, ingest drops HeadlessChrome's beacons.
    const browser = await launch(LAPTOP, { userAgent: VISITOR_AGENT });
    const siteHost = await siteServer();
    const taken = [];
    const overflow = {};
    try {
      const { page, context } = browser;
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: config.dashboardUrl });
      const sent = writes(page);
      await signIn(page, config.email, config.password);

      // Nothing yet: the owner is asked for a first project.
      const form = page.getByTestId('new-project-panel');
      await form.waitFor();
      overflow.firstProject = await shots(page, 'admin-first-project', taken);
      await form.getByLabel('Name').fill('Shop Front');
      const slug = await form.getByLabel('Slug').inputValue();
      await form.getByLabel('Allowed origins, one a line (optional)').fill(siteHost.origin);
      await form.getByRole('button', { name: 'Create project' }).click();
      await page.waitForURL(/view=setup/);
      const projectId = Number(new URL(page.url()).searchParams.get('project'));

      // Setup: waiting, listening; a key; the snippets filled in with it.
      const setup = page.getByTestId('setup-panel');
      await setup.waitFor();
      const check = page.getByTestId('first-beacon');
      await page.waitForFunction(() => document.querySelector('[data-testid="first-beacon"]')?.textContent.includes('Listening'));
      const waiting = { state: await check.getAttribute('data-state'), text: await check.textContent() };
      const placeholderTag = await page.getByRole('textbox', { name: 'Script tag', exact: true }).inputValue();
      await setup.getByLabel('Label (optional)').fill('www');
      await setup.getByRole('button', { name: 'Create a key' }).click();
      await page.getByTestId('key-once').waitFor();
      const key = await page.getByRole('textbox', { name: 'Ingest key', exact: true }).inputValue();
      const tag = await page.getByRole('textbox', { name: 'Script tag', exact: true }).inputValue();
      await page.getByRole('button', { name: 'Copy script tag' }).click();
      await page.getByText('Copied.').first().waitFor();
      const clipboard = await page.evaluate(() => navigator.clipboard.readText());
      const npm = await page.getByRole('textbox', { name: 'npm snippet', exact: true }).inputValue();
      await setup.getByLabel('Single-page app: count client-side route changes as page views').check();
      const spaTag = await page.getByRole('textbox', { name: 'Script tag', exact: true }).inputValue();
      const spaNpm = await page.getByRole('textbox', { name: 'npm snippet', exact: true }).inputValue();
      await setup.getByLabel('Single-page app: count client-side route changes as page views').uncheck();
      overflow.setupWaiting = await shots(page, 'admin-setup-waiting', taken);

      // The site: a page with the copied tag, on the allowed origin; ingest serves the SDK.
      siteHost.setHead(clipboard);
      const site = await context.newPage();
      const siteLog = [];
      site.on('console', (m) => siteLog.push(`${m.type()}: ${m.text()}`));
      site.on('requestfailed', (r) => siteLog.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
      await site.goto(`${siteHost.origin}/products/42`);
      try {
        await site.waitForFunction(() =>
          window.Vitals != null && performance.getEntriesByName('first-contentful-paint').length > 0,
        );
      } catch (error) {
        const state = await site.evaluate(() => ({
          vitals: window.Vitals != null, fcp: performance.getEntriesByType('paint').length, visibility: document.visibilityState,
        }));
        throw new Error(`the site page did not start the SDK: ${JSON.stringify(state)} ${siteLog.join(' | ')}`);
      }
      await site.goto('about:blank'); // hidden, then gone: the SDK sends its beacon
      await site.close();

      await page.bringToFront();
      siteLog.push(`left at ${Date.now()}`);
      try {
        await page.locator('[data-testid="first-beacon"][data-state="received"]').waitFor({ timeout: 60_000 });
      } catch {
        throw new Error(`no beacon shown: ${await check.textContent()} ${siteLog.join(' | ')}`);
      }
      const received = await check.textContent();
      overflow.setupReceived = await shots(page, 'admin-setup-received', taken);

      // Keys: the Setup page's key is listed by its prefix; another one made, then revoked.
      await page.getByRole('link', { name: 'Keys' }).click();
      await ready(page, 'keys-panel');
      const keysBefore = await keyRows(page);
      await page.getByTestId('keys-panel').getByLabel('Label (optional)').fill('CI smoke');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByTestId('key-once').waitFor();
      const secondKey = await page.getByRole('textbox', { name: 'Ingest key', exact: true }).inputValue();
      await page.getByRole('button', { name: 'Copy ingest key' }).click();
      await page.getByText('Copied.').first().waitFor();
      const keyClipboard = await page.evaluate(() => navigator.clipboard.readText());
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('key-once').waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Revoke CI smoke' }).click();
      await page.getByRole('button', { name: 'Confirm revoke' }).click();
      await page.locator('[data-testid="key-row"][data-revoked="true"]').waitFor();
      const keysAfter = await keyRows(page);
      overflow.keys = await shots(page, 'admin-keys', taken);

      // Settings: a rule, a lower rate limit, trailing slashes kept.
      await page.getByRole('link', { name: 'Settings' }).click();
      await ready(page, 'settings-panel');
      const settings = page.getByTestId('settings-form');
      await settings.getByLabel('Rate limit (beacons a minute)').fill('0');
      await settings.getByRole('button', { name: 'Save settings' }).click();
      const problem = await settings.locator('.form-problem').textContent();
      await settings.getByLabel('Rate limit (beacons a minute)').fill('1200');
      await settings.getByRole('button', { name: 'Add a rule' }).click();
      await settings.getByLabel('Pattern 1').fill('/products/[0-9]+');
      await settings.getByLabel('Route 1').fill('/products/:id');
      await settings.getByLabel('Keep trailing slashes').check();
      await settings.getByRole('button', { name: 'Save settings' }).click();
      await settings.getByText('Saved.').waitFor();
      overflow.settings = await shots(page, 'admin-settings', taken);

      return {
        projectId, siteOrigin: siteHost.origin, slug, waiting, placeholderTag, key, tag, clipboard, npm, spaTag, spaNpm, received,
        keysBefore, secondKey, keyClipboard, keysAfter, problem, writes: sent, overflow, screenshots: taken,
        consoleErrors: browser.consoleErrors,
      };
    } finally {
      await browser.close();
      await siteHost.close();
    }
  },

  async adminMembers() {
    const browser = await launch();
    const taken = [];
    const overflow = {};
    try {
      const { page, context } = browser;
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: config.dashboardUrl });
      const sent = writes(page);
      await signIn(page, config.email, config.password);
      await page.locator('.views-nav').waitFor();
      await page.goto(url(`?project=${config.projectId}&view=members`));
      await ready(page, 'members-panel');
      const ownerNav = await navLinks(page);
      const panel = page.getByTestId('members-panel');

      const invite = async (email, role) => {
        await panel.getByLabel('Email').fill(email);
        await panel.getByRole('form', { name: 'Add a member' }).getByRole('combobox').selectOption(role);
        await panel.getByRole('button', { name: 'Add member' }).click();
        await page.locator(`[data-testid="member-row"][data-email="${email}"]`).waitFor();
        await page.getByTestId('password-link').waitFor();
        return page.getByRole('textbox', { name: 'Set-password link', exact: true }).inputValue();
      };
      const annLink = await invite(config.viewerEmail, 'viewer');
      await page.getByRole('button', { name: 'Copy set-password link' }).click();
      await page.getByText('Copied.').first().waitFor();
      const linkClipboard = await page.evaluate(() => navigator.clipboard.readText());
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('password-link').waitFor({ state: 'detached' });
      const bobLink = await invite(config.adminEmail, 'admin');
      await page.getByLabel(`Role of ${config.adminEmail}`).selectOption('viewer');
      await page.locator(`[data-testid="member-row"][data-email="${config.adminEmail}"][data-role="viewer"]`).waitFor();
      overflow.members = await shots(page, 'admin-members', taken);
      await page.getByRole('button', { name: `Remove ${config.adminEmail}` }).click();
      await page.getByRole('button', { name: 'Confirm remove' }).click();
      await page.locator(`[data-testid="member-row"][data-email="${config.adminEmail}"]`).waitFor({ state: 'detached' });
      const members = await page.$$eval('[data-testid="member-row"]', (rows) => rows.map((r) => [r.dataset.email, r.dataset.role]));

      await page.getByRole('link', { name: 'Users' }).click();
      await ready(page, 'users-panel');
      const users = await page.$$eval('[data-testid="user-row"]', (rows) => rows.map((r) => r.dataset.email));
      overflow.users = await shots(page, 'admin-users', taken);
      await page.getByRole('link', { name: 'New project' }).click();
      await page.getByTestId('new-project-panel').waitFor();
      overflow.newProject = await shots(page, 'admin-new-project', taken);

      // The invited viewer opens her link: a password, then sign-in.
      await page.goto(annLink);
      await page.getByTestId('set-password').waitFor();
      overflow.setPassword = await shots(page, 'set-password', taken);
      await page.getByLabel('New password').fill(config.viewerPassword);
      await page.getByLabel('The same again').fill(config.viewerPassword);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByText('Your password is set').waitFor();
      const afterSet = { url: page.url(), notice: await page.locator('.notice').first().textContent() };
      await signIn(page, config.viewerEmail, config.viewerPassword);
      await page.waitForURL(new RegExp(`project=${config.projectId}`));
      await settled(page);
      const viewerNav = await navLinks(page);
      const newProjectLinks = await page.getByRole('link', { name: 'New project' }).count();
      await page.goto(url(`?project=${config.projectId}&view=settings`));
      const notAllowed = await page.getByTestId('not-allowed').textContent();
      await page.waitForFunction(() => !document.querySelector('[data-testid="not-allowed"]')?.textContent.includes('Checking'));
      const notAllowedSettled = await page.getByTestId('not-allowed').textContent();
      const settingsForms = await page.getByTestId('settings-form').count();
      overflow.viewer = await shots(page, 'viewer-no-admin', taken);
      const api = await page.evaluate(async (projectId) => {
        const { token } = JSON.parse(localStorage.getItem('vitals.session'));
        const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
        const me = await fetch('/v1/admin/me', { headers });
        const settings = await fetch(`/v1/admin/projects/${projectId}`, { headers });
        const key = await fetch(`/v1/admin/projects/${projectId}/keys`, { method: 'POST', headers, body: '{}' });
        const members = await fetch(`/v1/admin/projects/${projectId}/members`, { headers });
        return { me: await me.json(), settings: settings.status, key: key.status, members: members.status };
      }, config.projectId);

      // The same link again: spent.
      await page.goto(annLink);
      await page.getByLabel('New password').fill('another password');
      await page.getByLabel('The same again').fill('another password');
      await page.getByRole('button', { name: 'Set password' }).click();
      const reused = await page.getByTestId('set-password').getByRole('alert').textContent();

      return {
        ownerNav, annLink, linkClipboard, bobLink, members, users, afterSet, viewerNav, newProjectLinks,
        notAllowed: notAllowedSettled, notAllowedFirst: notAllowed, settingsForms, api, reused,
        writes: sent, overflow, screenshots: taken,
        // The spent link's refusal is an expected 410 the browser logs.
        consoleErrors: browser.consoleErrors.filter((e) => !/status of 4(03|10)/.test(e)),
      };
    } finally {
      await browser.close();
    }
  },
};
