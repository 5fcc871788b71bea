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
 * no longer matches is left alone (with a note).
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

for (const dir of ['src', 'cjs/src', 'cf/src']) {
  const file = path.join(root, 'node_modules/postgres', dir, 'connection.js');
  if (!existsSync(file)) continue;
  let text = readFileSync(file, 'utf8');
  // Edits already present (a second install) are skipped one by one.
  const todo = edits.filter(([, to]) => !text.includes(to.includes(MARK) ? MARK : to));
  if (!todo.length) continue;
  if (!todo.every(([from]) => text.includes(from))) {
    console.warn(
      `patch-postgres: ${path.relative(root, file)} does not match the 3.4.x code; left unpatched (check whether the upstream fix landed)`,
    );
    continue;
  }
  for (const [from, to] of todo) text = text.replace(from, to);
  writeFileSync(file, text);
  console.log(`patch-postgres: guarded ${path.relative(root, file)}`);
}
