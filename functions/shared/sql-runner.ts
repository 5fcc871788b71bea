/**
 * The part of the database shared/ code needs: run one statement, read its rows. A port, so that
 * shared/ (the bottom layer) does not import the adapter that implements it (adapters/db/client.ts);
 * drizzle's own signature, so the adapter's database is one as it is.
 */
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';

export type SqlRunner = Pick<PostgresJsDatabase, 'execute'>;
