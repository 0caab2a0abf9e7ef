/**
 * Two views of the same shape, to compare: what schema.prisma declares (via Prisma's own
 * schema parser, no engine binary needed) and what a migrated Postgres database has. Each is a
 * sorted list of plain strings, so a test failure prints exactly what differs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getDMMF } from '@prisma/internals';
import { Client } from 'pg';

export const SCHEMA_PATH = path.join(__dirname, '..', '..', 'prisma', 'schema.prisma');

export interface SchemaShape {
  tables: string[];
  columns: string[]; // "table.column type NULL|NOT NULL"
  primaryKeys: string[]; // "table(col,col)"
  uniques: string[]; // "table(col,col)"
  indexes: string[]; // "table(col,col)"
  enums: string[]; // "Enum: A,B,C"
  foreignKeys: string[]; // "table(col) -> table(col)"
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  Float: 'double precision',
  Json: 'jsonb',
  Bytes: 'bytea',
  DateTime: 'timestamp(3) without time zone',
  Decimal: 'numeric(65,30)',
};

function nativeTypeName(native: unknown, scalar: string): string {
  if (!Array.isArray(native)) return SCALAR_TYPES[scalar] ?? scalar;
  const [name, args] = native as [string, string[]];
  switch (name) {
    case 'Timestamptz':
      return `timestamp(${args[0] ?? 6}) with time zone`;
    case 'Timestamp':
      return `timestamp(${args[0] ?? 6}) without time zone`;
    case 'Date':
      return 'date';
    case 'Decimal':
      return `numeric(${args.join(',')})`;
    case 'VarChar':
      return args.length ? `character varying(${args[0]})` : 'character varying';
    case 'Text':
      return 'text';
    default:
      return name.toLowerCase();
  }
}

export async function shapeFromSchema(schemaPath = SCHEMA_PATH): Promise<SchemaShape> {
  const { datamodel } = await getDMMF({ datamodel: readFileSync(schemaPath, 'utf8') });
  const shape: SchemaShape = {
    tables: [],
    columns: [],
    primaryKeys: [],
    uniques: [],
    indexes: [],
    enums: [],
    foreignKeys: [],
  };
  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  for (const e of datamodel.enums)
    shape.enums.push(`${e.dbName ?? e.name}: ${e.values.map((v) => v.dbName ?? v.name).join(',')}`);
  for (const model of datamodel.models) {
    const table = model.dbName ?? model.name;
    shape.tables.push(table);
    const columnOf = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
    for (const f of model.fields) {
      if (f.kind === 'object') {
        if (f.relationFromFields && f.relationFromFields.length > 0) {
          const target = tableOf.get(f.type)!;
          const targetModel = datamodel.models.find((m) => m.name === f.type)!;
          const targetCols = (f.relationToFields ?? []).map(
            (n) => targetModel.fields.find((x) => x.name === n)?.dbName ?? n,
          );
          shape.foreignKeys.push(
            `${table}(${f.relationFromFields.map((n) => columnOf.get(n)).join(',')}) -> ${target}(${targetCols.join(',')})`,
          );
        }
        continue;
      }
      const base = f.kind === 'enum' ? f.type : nativeTypeName(f.nativeType, f.type);
      const type = f.isList ? `${base}[]` : base;
      const nullable = f.isList || !f.isRequired;
      shape.columns.push(`${table}.${columnOf.get(f.name)} ${type} ${nullable ? 'NULL' : 'NOT NULL'}`);
    }
    for (const idx of datamodel.indexes.filter((i) => i.model === model.name)) {
      const cols = `${table}(${idx.fields.map((x) => columnOf.get(x.name)).join(',')})`;
      if (idx.type === 'id') shape.primaryKeys.push(cols);
      else if (idx.type === 'unique') shape.uniques.push(cols);
      else if (idx.type === 'normal') shape.indexes.push(cols);
    }
  }
  return sortShape(shape);
}

function sortShape(s: SchemaShape): SchemaShape {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, [...v].sort()])) as unknown as SchemaShape;
}

export async function shapeFromDatabase(databaseUrl: string): Promise<SchemaShape> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async <T extends object>(sql: string) => (await client.query<T>(sql)).rows;
    const tables = (
      await q<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
      )
    ).map((r) => r.t);
    const columns = await q<{ t: string; c: string; type: string; nullable: boolean }>(`
      SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'`);
    const indexes = await q<{
      t: string;
      cols: string;
      is_unique: boolean;
      is_primary: boolean;
      is_constraint: boolean;
    }>(`
      SELECT t.relname AS t, string_agg(a.attname, ',' ORDER BY k.ord) AS cols, ix.indisunique AS is_unique, ix.indisprimary AS is_primary, false AS is_constraint
      FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
      GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary`);
    const enums = await q<{ name: string; vals: string }>(`
      SELECT t.typname AS name, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS vals
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    const fks = await q<{ t: string; cols: string; ref: string; refcols: string }>(`
      SELECT cl.relname AS t, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
             rc.relname AS ref, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS refcols
      FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rc ON rc.oid = c.confrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'`);
    const pgType = (type: string) => type.replace(/^"(.*)"(\[\])?$/, '$1$2');
    return sortShape({
      tables,
      columns: columns.map((c) => `${c.t}.${c.c} ${pgType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`),
      primaryKeys: indexes.filter((i) => i.is_primary).map((i) => `${i.t}(${i.cols})`),
      uniques: indexes.filter((i) => i.is_unique && !i.is_primary).map((i) => `${i.t}(${i.cols})`),
      indexes: indexes.filter((i) => !i.is_unique).map((i) => `${i.t}(${i.cols})`),
      enums: enums.map((e) => `${e.name}: ${e.vals}`),
      foreignKeys: fks.map((f) => `${f.t}(${f.cols}) -> ${f.ref}(${f.refcols})`),
    });
  } finally {
    await client.end();
  }
}
