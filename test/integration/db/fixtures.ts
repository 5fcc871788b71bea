/**
 * Generic fixture rows for any table, driven by the catalog: required columns get a value of their
 * type, required foreign keys get a parent row of the same tenant (built the same way, recursively).
 * New tables are covered without editing this file; a column type it cannot invent fails loudly
 * with the table and column named, so the author adds an override here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type postgres from 'postgres';

type Sql = postgres.Sql | postgres.TransactionSql;

interface ColumnInfo {
  name: string;
  type: string;
  typtype: string;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  enumLabels: string[] | null;
}
interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  /** single-column foreign keys: column -> [referenced table, referenced column] */
  fks: Map<string, [string, string]>;
  /** Partition key column of a partitioned table (or of a partition's parent). */
  partitionKey?: string;
}

/** Values that must be specific (a check or the meaning of the column requires it). */
const OVERRIDES: Record<string, Record<string, () => unknown>> = {
  users: { email: () => `fx-${randomBytes(5).toString('hex')}@fixture.test` },
};

const rand = (n: number) => 1 + Math.floor(Math.random() * n);

function valueFor(table: string, c: ColumnInfo): unknown {
  const o = OVERRIDES[table]?.[c.name];
  if (o) return o();
  if (c.enumLabels?.length) return c.enumLabels[0];
  const t = c.type;
  if (t === 'uuid') return randomUUID();
  if (t === 'text' || t.startsWith('character varying')) return `fx-${randomBytes(6).toString('hex')}`;
  if (t === 'integer' || t === 'bigint' || t === 'smallint') return rand(100_000);
  if (t.startsWith('numeric') || t === 'double precision' || t === 'real') return rand(1000);
  if (t === 'boolean') return false;
  if (t === 'jsonb' || t === 'json') return '{}';
  if (t.startsWith('timestamp')) return new Date(Date.now() - rand(86_400_000)).toISOString();
  if (t === 'date') return new Date(Date.now() - rand(900) * 86_400_000).toISOString().slice(0, 10);
  if (t === 'inet') return '127.0.0.1';
  if (t === 'bytea') return `\\x${randomBytes(16).toString('hex')}`;
  if (t.endsWith('[]')) return '{}';
  throw new Error(
    `fixtures: no value for ${table}.${c.name} of type ${t}; add an override in test/integration/db/fixtures.ts`,
  );
}

export class FixtureBuilder {
  private info = new Map<string, TableInfo>();
  private parents = new Map<string, Record<string, unknown>>();

  constructor(private readonly owner: Sql) {}

  async table(name: string): Promise<TableInfo> {
    const hit = this.info.get(name);
    if (hit) return hit;
    const cols = await this.owner<
      {
        name: string;
        type: string;
        typtype: string;
        not_null: boolean;
        has_default: boolean;
        generated: boolean;
        enum_labels: string[] | null;
      }[]
    >`
      SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, ty.typtype::text AS typtype, a.attnotnull AS not_null,
             (a.atthasdef OR a.attidentity <> '') AS has_default, a.attgenerated <> '' AS generated,
             (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) AS enum_labels
      FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
      WHERE a.attrelid = ${name}::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`;
    // Foreign keys are declared on the parent of a partition; look there too.
    const fks = await this.owner<{ col: string; ref_table: string; ref_col: string }[]>`
      SELECT a.attname AS col, con.confrelid::regclass::text AS ref_table, ra.attname AS ref_col
      FROM pg_constraint con
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
      JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
      WHERE con.contype = 'f' AND array_length(con.conkey, 1) = 1
        AND con.conrelid IN (${name}::regclass, coalesce((SELECT inhparent FROM pg_inherits WHERE inhrelid = ${name}::regclass), 0))`;
    const [pk] = await this.owner<{ col: string | null }[]>`
      SELECT (SELECT a.attname FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
              WHERE pt.partrelid = coalesce((SELECT inhparent FROM pg_inherits WHERE inhrelid = ${name}::regclass), ${name}::regclass)) AS col`;
    const t: TableInfo = {
      name,
      columns: cols.map((c) => ({
        name: c.name,
        type: c.type,
        typtype: c.typtype,
        notNull: c.not_null,
        hasDefault: c.has_default,
        generated: c.generated,
        enumLabels: c.enum_labels,
      })),
      fks: new Map(fks.map((f) => [f.col, [f.ref_table, f.ref_col] as [string, string]])),
      partitionKey: pk?.col ?? undefined,
    };
    this.info.set(name, t);
    return t;
  }

  /**
   * Column values for a new row of `table` in tenant `orgId`, creating (as owner) one parent row
   * per referenced table and tenant. Nothing is inserted for `table` itself.
   */
  async values(
    table: string,
    orgId: string,
    overrides: Record<string, unknown> = {},
    opts: { freshParents?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const t = await this.table(table);
    const v: Record<string, unknown> = {};
    for (const c of t.columns) {
      if (c.generated) continue;
      if (c.name in overrides) {
        v[c.name] = overrides[c.name];
        continue;
      }
      if (c.name === 'organization_id') {
        v[c.name] = orgId;
        continue;
      }
      if (!c.notNull || c.hasDefault) continue;
      const fk = t.fks.get(c.name);
      if (fk) {
        // Fresh parents keep unique keys made of foreign keys (approval_id, approver_id) unique.
        const parent =
          opts.freshParents && fk[0] !== 'organizations'
            ? await this.freshParent(fk[0], orgId)
            : await this.parent(fk[0], orgId);
        v[c.name] = parent[fk[1]];
        continue;
      }
      v[c.name] = valueFor(table, c);
    }
    return v;
  }

  /** One shared parent row per (table, tenant). */
  async parent(table: string, orgId: string): Promise<Record<string, unknown>> {
    if (table === 'organizations') return { id: orgId };
    const key = `${table}:${orgId}`;
    const hit = this.parents.get(key);
    if (hit) return hit;
    const t = await this.table(table);
    const hasOrg = t.columns.some((c) => c.name === 'organization_id');
    const row = await insertRow(this.owner, table, await this.values(table, hasOrg ? orgId : ''));
    this.parents.set(key, row);
    return row;
  }

  private async freshParent(table: string, orgId: string): Promise<Record<string, unknown>> {
    const t = await this.table(table);
    const hasOrg = t.columns.some((c) => c.name === 'organization_id');
    return insertRow(this.owner, table, await this.values(table, hasOrg ? orgId : '', {}, { freshParents: true }));
  }

  /** Inserts a fixture row for `table` in tenant `orgId` as the owner. */
  async insert(
    table: string,
    orgId: string,
    overrides: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    return insertRow(this.owner, table, await this.values(table, orgId, overrides));
  }
}

/** INSERT ... RETURNING * with the given column values (explicit casts, so text works for every type). */
export async function insertRow(
  sql: Sql,
  table: string,
  values: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const cols = Object.keys(values);
  const types = await sql<{ name: string; type: string }[]>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
    WHERE a.attrelid = ${table}::regclass AND a.attnum > 0 AND NOT a.attisdropped`;
  const typeOf = new Map(types.map((r) => [r.name, r.type]));
  const text = cols.map((c, i) => `$${i + 1}::${typeOf.get(c)}`).join(', ');
  const params = cols.map((c) => {
    const v = values[c];
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return `{${v.map((x) => JSON.stringify(String(x))).join(',')}}`;
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
  const [row] = await sql.unsafe(
    `INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${text}) RETURNING *`,
    params as string[],
  );
  return row as Record<string, unknown>;
}
