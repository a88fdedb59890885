import react from '@vitejs/plugin-react';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// The dev and preview servers stand in for a deployment: the query API, the admin API and
// Socket.IO are proxied, so the default config.json ("same origin") works against
// `make run`'s services.
const QUERY_URL = process.env.VITALS_QUERY_URL ?? 'http://127.0.0.1:8002';
const REALTIME_URL = process.env.VITALS_REALTIME_URL ?? 'http://127.0.0.1:8004';
const ADMIN_URL = process.env.VITALS_ADMIN_URL ?? 'http://127.0.0.1:8005';
// Only for sites pointed at this server (the Setup page's snippets when config.json has no ingestUrl).
const INGEST_URL = process.env.VITALS_INGEST_URL ?? 'http://127.0.0.1:8001';

/** VITALS_DASHBOARD_CONFIG (a JSON object) is served as /config.json instead of public/'s. */
function runtimeConfig(): Plugin {
  const text = process.env.VITALS_DASHBOARD_CONFIG;
  const serve = (middlewares: Connect.Server) => {
    if (!text) return;
    JSON.parse(text); // fail at start, not in the browser
    middlewares.use('/config.json', (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(text);
    });
  };
  return {
    name: 'vitals-runtime-config',
    configureServer: (server) => serve(server.middlewares),
    configurePreviewServer: (server) => serve(server.middlewares),
  };
}

// The first matching entry wins: the admin service's paths under /v1 before the query
// service's /v1. The alerts' reads (…/alerts, …/alerts/history, …/alerts/deliveries) are
// the query service's; rules and destinations (their lists and writes) the admin's, and
// all of /v1/admin (projects, keys, members, users, set-password). Ingest's beacon
// endpoint and SDK bundle too, so a snippet naming this origin works.
const proxy = {
  '^/v1/projects/\\d+/alerts/(rules|destinations)(/|$|\\?)': { target: ADMIN_URL },
  '^/v1/admin(/|$|\\?)': { target: ADMIN_URL },
  '^/v1/beacon(/|$|\\?)': { target: INGEST_URL },
  '/sdk/': { target: INGEST_URL },
  '/v1': { target: QUERY_URL },
  '/socket.io': { target: REALTIME_URL, ws: true },
};

export default defineConfig({
  // Relative asset URLs: the same build works at / or under any path prefix.
  base: './',
  plugins: [react(), runtimeConfig()],
  server: { proxy },
  preview: { proxy },
  build: { sourcemap: true, chunkSizeWarningLimit: 400 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
