/**
 * postinstall: guards postgres.js 3.4.x against a process crash when a connection closes while a
 * write is buffered (porsager/postgres#1154, #1208; no fixed release yet). Seen here when the
 * database restarts or kills backends mid-pipeline (test/integration/proof/faults.test.ts): the
 * driver's setImmediate flush calls `socket.write` on a null socket and throws an uncaught
 * TypeError that takes the whole process (the local stack, a Lambda container) down; and a
 * connection killed while it looks up array types leaves an unhandled rejection (same outcome).
 *
 * The guard: a flush after close rejects the pending query with CONNECTION_CLOSED (catchable,
 * and classified transient by the workflow tasks) instead of throwing; close/terminate also drop
 * the stale buffer and timer, so a reconnect starts clean. Idempotent; a newer driver whose code
 * no longer matches is left alone (with a note). The pool part (index.js) is described below.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '/* svp-patch: null-socket guard */';
const edits = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    [
      '  function nextWrite(fn) {',
      `    ${MARK}`,
      '    if (!socket) {',
      '      nextWriteTimer !== null && clearImmediate(nextWriteTimer)',
      '      chunk = nextWriteTimer = null',
      "      error(Errors.connection('CONNECTION_CLOSED', options))",
      '      return false',
      '    }',
      '    const x = socket.write(chunk, fn)',
    ].join('\n'),
  ],
  // The per-connection array-type lookup runs detached: a connection killed during it left an
  // unhandled rejection (a crash on Node >= 15). Its failure now fails the waiting query instead.
  ['        return fetchArrayTypes()\n', '        return fetchArrayTypes().catch(errored)\n'],
  [
    '    clearImmediate(nextWriteTimer)\n    if (socket) {',
    '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {',
  ],
  [
    '    remaining = 0\n    incomings = null\n    clearImmediate(nextWriteTimer)\n    socket.removeListener',
    '    remaining = 0\n    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener',
  ],
];

// A reservation (`sql.reserve()`, the API's gated reads) that waits for a busy pool was lost when a
// connection closed: the pool reopened that connection for it, then dropped it before use (the
// reconnect's array-type lookup takes its place), and the caller waited forever. It now goes back
// to the pool's queue and the reopened connection takes it from there once it is ready; a
// reservation that fails leaves the queue, so no connection is handed to a caller that gave up.
const RESERVE_MARK = '/* svp-patch: reservation kept across a reconnect */';
const poolEdits = [
  [
    '    queries.length && connect(c, queries.shift())\n  }',
    `    ${RESERVE_MARK}\n    const next = queries.length ? queries.shift() : null\n` +
      '    next && (next.reserve ? (queries.push(next), connect(c, null)) : connect(c, next))\n  }',
  ],
  [
    '        const query = { reserve: resolve, reject }',
    '        const query = { reserve: resolve, reject: (e) => (queries.remove(query), reject(e)) }',
  ],
  // Releasing a reservation whose connection closed meanwhile put that connection (by then
  // reconnecting, or reserved by the next caller) back in the pool as if idle.
  [
    '    const sql = Sql(handler)\n    sql.release = () => {\n      c.reserved = null',
    '    const sql = Sql(handler)\n    const mine = c.reserved\n    sql.release = () => {\n      if (c.reserved !== mine) return\n      c.reserved = null',
  ],
];

function patch(file, fileEdits, mark) {
  if (!existsSync(file)) return;
  let text = readFileSync(file, 'utf8');
  // Edits already present (a second install) are skipped one by one.
  const todo = fileEdits.filter(([, to]) => !text.includes(to.includes(mark) ? mark : to));
  if (!todo.length) return;
  if (!todo.every(([from]) => text.includes(from))) {
    console.warn(
      `patch-postgres: ${path.relative(root, file)} does not match the 3.4.x code; left unpatched (check whether the upstream fix landed)`,
    );
    return;
  }
  for (const [from, to] of todo) text = text.replace(from, to);
  writeFileSync(file, text);
  console.log(`patch-postgres: guarded ${path.relative(root, file)}`);
}

for (const dir of ['src', 'cjs/src', 'cf/src']) {
  patch(path.join(root, 'node_modules/postgres', dir, 'connection.js'), edits, MARK);
  patch(path.join(root, 'node_modules/postgres', dir, 'index.js'), poolEdits, RESERVE_MARK);
}
