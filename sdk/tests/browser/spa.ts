/** A small single-page app on the ESM build, for the SPA and memory tests. */

export const SPA = `<!doctype html>
<html><head><meta charset="utf-8"><title>spa</title></head><body>
<nav><a id="next" href="/items/1">Next item</a></nav>
<main id="view"><h1>Home</h1><p>Welcome.</p></main>
<script type="module">
  import { init } from '/sdk/vitals.mjs';
  const params = new URLSearchParams(location.search);
  init({
    key: 'spa-key',
    endpoint: '{{collector}}',
    reportSoftNavs: params.get('soft') != '0',
    // What a router knows: the template of the route that matched.
    route: (url) => new URL(url).pathname.replace(/\\/\\d+/g, '/:id'),
  });
  // ?leak keeps every replaced view alive: the memory test's proof that it sees leaks.
  const kept = params.has('leak') ? (window.kept = []) : null;
  let n = 0;
  document.getElementById('next').addEventListener('click', (event) => {
    event.preventDefault();
    n += 1;
    history.pushState({}, '', '/items/' + n + location.search);
    const view = document.getElementById('view');
    if (kept) kept.push(...view.children);
    const title = document.createElement('h1');
    title.textContent = 'Item ' + n;
    const text = document.createElement('p');
    text.textContent = 'Details of item ' + n + '. '.repeat(40);
    view.replaceChildren(title, text);
  });
</script>
</body></html>`;

/** Clicks the app's link `count` times: real, trusted input, as soft navigations require. */
export async function navigate(page: import('playwright-core').Page, count: number, gap = 20): Promise<void> {
  const box = (await page.locator('#next').boundingBox())!;
  for (let i = 0; i < count; i++) {
    await page.mouse.click(box.x + 5, box.y + 5);
    await page.waitForTimeout(gap); // 20 ms: a frame or so, each route change paints before the next
  }
}
