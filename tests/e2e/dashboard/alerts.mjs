/**
 * The alerts scenarios (test_alerts.py): the Overview's banner and the Alerts view as a
 * viewer reads them, and an admin's round of writes through the view (a rule created,
 * edited and deleted; a destination added with its secret shown once, tested, removed).
 * `config.token` is the scenario's token (a viewer's or an admin's).
 */
import { PHONE, config, launch, shot, signInWithToken, url } from './browser.mjs';

const ready = (page, testId) => page.locator(`[data-testid="${testId}"][data-state="ready"]`).waitFor();

async function ruleRows(page) {
  return page.$$eval('[data-testid="rule-row"]', (rows) =>
    rows.map((r) => ({
      name: r.dataset.name,
      status: r.dataset.status,
      badge: r.querySelector('.state-badge').textContent,
      condition: r.querySelector('.rule-condition').textContent,
    })),
  );
}

async function alertsPage(page) {
  await Promise.all(['rules-panel', 'destinations-panel', 'history-panel', 'deliveries-panel'].map((id) => ready(page, id)));
  return {
    url: page.url(),
    rules: await ruleRows(page),
    rulesTitle: await page.locator('[data-testid="rules-panel"] .panel-title').textContent(),
    destinations: await page.$$eval('[data-testid="destination-row"]', (rows) => rows.map((r) => r.dataset.name)),
    history: await page.$$eval('[data-testid="history-event"]', (rows) =>
      rows.map((r) => ({ transition: r.dataset.transition, text: r.textContent })),
    ),
    deliveries: await page.$$eval('[data-testid="delivery-row"]', (rows) =>
      rows.map((r) => ({ status: r.dataset.status, transition: r.dataset.transition, text: r.textContent })),
    ),
    newRuleButtons: await page.getByRole('button', { name: 'New rule' }).count(),
    testButtons: await page.getByRole('button', { name: 'Send test notification' }).count(),
    editButtons: await page.getByRole('button', { name: /^Edit / }).count(),
  };
}

/** Every write the page sent, as (method, path, status): which service answered what. */
function writes(page) {
  const seen = [];
  page.on('response', (response) => {
    const method = response.request().method();
    if (method == 'GET') return;
    seen.push({ method, path: new URL(response.url()).pathname, status: response.status() });
  });
  return seen;
}

export const alertScenarios = {
  /** A viewer: the Overview's banner, its link, and the view without any form. */
  async alertsViewer() {
    const browser = await launch();
    try {
      const { page } = browser;
      await signInWithToken(page);
      const banner = page.locator('[data-testid="alert-banner"]');
      await banner.waitFor();
      const overviewBanner = { text: await banner.textContent(), firing: await banner.getAttribute('data-firing') };
      const overviewShot = await shot(page, 'alerts-banner', false);
      await banner.getByRole('link', { name: 'See alerts' }).click();
      await page.waitForURL(/view=alerts/);
      const view = await alertsPage(page);
      view.readOnlyNote = await page.locator('[data-testid="rules-panel"] .panel-actions').textContent();
      const viewShot = await shot(page, 'alerts-viewer');
      await page.setViewportSize(PHONE);
      await page.reload();
      await ready(page, 'rules-panel');
      const phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const phoneShot = await shot(page, 'phone-alerts');
      return {
        overviewBanner, view, phoneOverflow, screenshots: [overviewShot, viewShot, phoneShot],
        consoleErrors: browser.consoleErrors,
      };
    } finally {
      await browser.close();
    }
  },

  /** An admin: a rule created (a mistake named first), edited and deleted; a destination added, tested and removed. */
  async alertsAdmin() {
    const browser = await launch();
    try {
      const { page, context } = browser;
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: config.dashboardUrl });
      const sent = writes(page);
      await signInWithToken(page);
      await page.goto(url(`?project=${config.projectId}&view=alerts`));
      const before = await alertsPage(page);

      await page.getByRole('button', { name: 'New rule' }).first().click();
      const form = page.getByTestId('rule-form');
      await form.getByLabel('Name', { exact: true }).fill('Cart CLS');
      await form.getByLabel('Metric').selectOption('CLS');
      await form.getByLabel('Threshold (score)').fill('0.25');
      await form.getByLabel('Window (minutes)').fill('2');
      await form.getByLabel('Route (optional)').fill('/cart');
      await form.getByRole('button', { name: 'Create rule' }).click();
      const problem = await form.locator('.form-problem').textContent();
      await form.getByLabel('Window (minutes)').fill('30');
      const formShot = await shot(page, 'alerts-rule-form');
      await form.getByRole('button', { name: 'Create rule' }).click();
      const row = page.locator('[data-testid="rule-row"][data-name="Cart CLS"]');
      await row.waitFor();
      const created = (await ruleRows(page)).find((r) => r.name == 'Cart CLS');

      await page.getByRole('button', { name: 'Edit Cart CLS' }).click();
      await page.getByTestId('rule-form').getByLabel('Threshold (score)').fill('0.3');
      await page.getByTestId('rule-form').getByRole('button', { name: 'Save rule' }).click();
      await page.getByTestId('rule-form').waitFor({ state: 'detached' });
      await page.waitForFunction(() =>
        document.querySelector('[data-testid="rule-row"][data-name="Cart CLS"] .rule-condition')?.textContent.includes('0.30'),
      );
      const edited = (await ruleRows(page)).find((r) => r.name == 'Cart CLS');

      await page.getByRole('button', { name: 'Delete Cart CLS' }).click();
      await row.getByRole('button', { name: 'Confirm delete' }).click();
      await row.waitFor({ state: 'detached' });
      const afterDelete = (await ruleRows(page)).map((r) => r.name);

      await page.getByLabel('Destination name').fill('Team hook');
      await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/team?token=private');
      await page.getByRole('button', { name: 'Add destination' }).click();
      const secretBox = page.getByTestId('destination-secret');
      await secretBox.waitFor();
      const secret = await secretBox.getByLabel('Signing secret').inputValue();
      await secretBox.getByRole('button', { name: 'Copy' }).click();
      await secretBox.getByText(/Copied|Selected/).waitFor();
      const copyNote = await secretBox.locator('[aria-live]').textContent();
      const clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
      const destination = page.locator('[data-testid="destination-row"][data-name="Team hook"]');
      await destination.waitFor();
      const destinationText = await destination.textContent();
      const secretShot = await shot(page, 'alerts-destination-secret');
      await secretBox.getByRole('button', { name: 'Done' }).click();
      const secretGone = (await page.getByTestId('destination-secret').count()) == 0;

      await destination.getByRole('button', { name: 'Send test notification' }).click();
      const queued = await destination.getByRole('status').textContent();
      const testRow = page.locator('[data-testid="delivery-row"][data-transition="test"]');
      await testRow.waitFor();
      const testDelivery = await testRow.textContent();
      const adminShot = await shot(page, 'alerts-admin');

      await destination.getByRole('button', { name: 'Delete', exact: true }).click();
      await destination.getByRole('button', { name: 'Confirm delete' }).click();
      await destination.waitFor({ state: 'detached' });
      const destinationsAfter = await page.$$eval('[data-testid="destination-row"]', (rows) => rows.map((r) => r.dataset.name));
      return {
        before, problem, created, edited, afterDelete, secret, copyNote, clipboard, destinationText, secretGone,
        queued, testDelivery, destinationsAfter, writes: sent,
        screenshots: [formShot, secretShot, adminShot], consoleErrors: browser.consoleErrors,
      };
    } finally {
      await browser.close();
    }
  },
};
