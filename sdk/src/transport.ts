import type { Send } from './collector';

// Backoff for 429/503: 1, 2, 4, 8 s (plus jitter) unless Retry-After asks for longer,
// then the batch is given up. Retries live only as long as the page does.
const MAX_ATTEMPTS = 5;

/**
 * Sends a body to the collector. On the way out (hidden) sendBeacon is the one call
 * the browser promises to deliver after the page is gone; its string body goes as
 * text/plain, so no CORS preflight. It tells nothing of the answer, so a flush while
 * the page is visible uses fetch, which can see a 429/503 and try again later.
 */
export function transport(target: string): Send {
  const post = (body: string, attempt: number): void => {
    const retry = (response?: Response): void => {
      if (attempt + 1 >= MAX_ATTEMPTS) return;
      const after = Number(response?.headers.get('Retry-After')) || 0;
      const delay = Math.max(after * 1000, (2 ** attempt + Math.random()) * 1000);
      setTimeout(() => post(body, attempt + 1), delay);
    };
    fetch(target, { method: 'POST', body, keepalive: true, credentials: 'omit' }).then(
      (response) => (response.status == 429 || response.status == 503) && retry(response),
      () => retry(),
    );
  };
  return (body, hidden) => {
    if (!(hidden && navigator.sendBeacon?.(target, body))) post(body, 0);
  };
}
