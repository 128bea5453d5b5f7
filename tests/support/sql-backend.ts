/**
 * SQL engines behind the Neon HTTP stand-in (neon-http-standin.ts). Each one runs a statement the
 * way Neon's proxy does (`query_raw_txt`): one statement per query, extended protocol, parameters
 * sent as TEXT with unspecified types so Postgres infers them, and every value handed back as the
 * TEXT Postgres put on the wire, never parsed into JS. Parsing is the client's job (pg-types).
 */
import { type PGlite, protocol } from "@electric-sql/pglite";
import postgres from "postgres";

/** One column of a result, as Neon writes it (a node-postgres `FieldDef`). */
export interface RawField {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
}

export interface RawResult {
  fields: RawField[];
  rows: (string | null)[][];
  /** First word of the command tag: "SELECT", "INSERT", "CREATE", ... */
  command: string;
  /**
   * The count in the command tag, or null when the tag has none ("CREATE TABLE", "BEGIN").
   * Neon sends null in that case, so the stand-in must be able to as well.
   */
  rowCount: number | null;
}

export interface RawQuery {
  query: string;
  params: (string | null)[];
}

export interface TransactionOptions {
  /** Neon's header spelling: "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable". */
  isolationLevel?: string;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface SqlBackend {
  query(sql: string, params: (string | null)[]): Promise<RawResult>;
  /** Runs the queries in order in one transaction: all results, or a thrown error and nothing applied. */
  transaction(queries: RawQuery[], opts?: TransactionOptions): Promise<RawResult[]>;
  close(): Promise<void>;
}

/** A Postgres error (ErrorResponse), with the fields Neon copies into its 400 answer. */
export class SqlError extends Error {
  override name = "SqlError";
  severity?: string;
  /** SQLSTATE, e.g. "23505". */
  code!: string;
  detail?: string;
  hint?: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;

  constructor(message: string, fields: Partial<Omit<SqlError, "name" | "message">> & { code: string }) {
    super(message);
    Object.assign(this, fields);
  }
}

/** Neon's isolation header values, mapped to SQL. Anything else is refused, as Neon does. */
export const ISOLATION_LEVELS: Readonly<Record<string, string>> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/**
 * Transaction modes as Neon's proxy sets them (only what was asked; read-only and deferrable only
 * when true). Space separated, which Postgres accepts and postgres.js' `begin` keeps intact.
 */
export function transactionModes(opts: TransactionOptions = {}): string {
  const modes: string[] = [];
  if (opts.isolationLevel !== undefined) {
    const level = ISOLATION_LEVELS[opts.isolationLevel];
    if (!level) throw new Error(`invalid isolation level: ${opts.isolationLevel}`);
    modes.push(`ISOLATION LEVEL ${level}`);
  }
  if (opts.readOnly) modes.push("READ ONLY");
  if (opts.deferrable) modes.push("DEFERRABLE");
  return modes.join(" ");
}

/** "INSERT 0 3" -> ["INSERT", 3]; "CREATE TABLE" -> ["CREATE", null]; Neon's `parse_command_tag`. */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const words = tag.split(" ");
  const count = words[0] === "INSERT" ? words[2] : words[1];
  const rowCount = count !== undefined && /^\d+$/.test(count) ? Number(count) : null;
  return { command: words[0], rowCount };
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The ErrorResponse fields, under node-postgres' names (also PGlite's and the Neon client's). */
export const SQL_ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** Turns a driver's Postgres error into a `SqlError`; anything else (I/O, bugs) passes through. */
function asSqlError(
  err: unknown,
  fieldsOf: (e: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  if (err instanceof SqlError) return err; // already converted, e.g. inside a transaction
  if (!(err instanceof Error) || !SQLSTATE.test(String((err as { code?: unknown }).code))) return err;
  const fields = fieldsOf(err as unknown as Record<string, unknown>);
  const defined: Record<string, string> = {};
  for (const key of SQL_ERROR_FIELDS) {
    if (fields[key] !== undefined && fields[key] !== null) defined[key] = String(fields[key]);
  }
  return new SqlError(err.message, defined as { code: string });
}

// ---------------------------------------------------------------------------------------------
// PGlite

/**
 * PGlite's `query()` parses values by type, keeps only `name`/`dataTypeID` of each column and
 * runs parameters through serializers chosen by type (its bytea one refuses the "\\x0a1b" text
 * the client sends). So this speaks the wire protocol through PGlite's documented `execProtocol`: Parse (no types),
 * Bind (text), Describe portal, Execute, Sync in one message. That gives the full RowDescription,
 * the raw DataRow text and the CommandComplete tag, exactly what a Postgres server sends Neon.
 *
 * The caller owns the PGlite instance: `close()` leaves it open.
 */
export function pgliteBackend(client: PGlite): SqlBackend {
  // `execProtocol` takes no lock; `runExclusive` keeps other users' queries from interleaving.
  const run = (q: RawQuery) => client.runExclusive(() => pgliteExtendedQuery(client, q));
  // PGlite is one connection, and its plain queries do not wait for an open transaction: a
  // request arriving during a batch would run inside it. Neon gives each its own connection, so
  // here one request at a time goes through.
  const serial = oneAtATime();
  return {
    query: (query, params) => serial(() => run({ query, params })),
    transaction: (queries, opts) =>
      serial(() => {
        const modes = transactionModes(opts);
        // PGlite's transaction() takes its transaction lock and does BEGIN / COMMIT / ROLLBACK.
        return client.transaction(async () => {
          if (modes) await run({ query: `SET TRANSACTION ${modes}`, params: [] });
          const results: RawResult[] = [];
          for (const q of queries) results.push(await run(q));
          return results;
        });
      }),
    close: () => Promise.resolve(),
  };
}

function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const next = tail.then(task, task);
    tail = next.catch(() => {});
    return next;
  };
}

async function pgliteExtendedQuery(client: PGlite, { query, params }: RawQuery): Promise<RawResult> {
  const s = protocol.serialize;
  const message = concatBytes([
    s.parse({ text: query, types: [] }),
    s.bind({ values: params }),
    s.describe({ type: "P" }),
    s.execute({}),
    s.sync(),
  ]);
  let messages;
  try {
    // Throws the ErrorResponse as a DatabaseError, after the whole exchange (Sync included) ran.
    ({ messages } = await client.execProtocol(message));
  } catch (err) {
    throw asSqlError(err, (e) => e);
  }
  const result: RawResult = { fields: [], rows: [], command: "", rowCount: null };
  for (const msg of messages) {
    if (msg instanceof protocol.messages.RowDescriptionMessage) {
      result.fields = msg.fields.map((f) => ({
        name: f.name,
        dataTypeID: f.dataTypeID,
        tableID: f.tableID,
        columnID: f.columnID,
        dataTypeSize: f.dataTypeSize,
        dataTypeModifier: f.dataTypeModifier,
        format: "text",
      }));
    } else if (msg instanceof protocol.messages.DataRowMessage) {
      result.rows.push(msg.fields as (string | null)[]);
    } else if (msg instanceof protocol.messages.CommandCompleteMessage) {
      Object.assign(result, parseCommandTag(msg.text));
    }
  }
  return result;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// postgres.js

/**
 * postgres.js serializes a parameter by the type the server inferred for it: a bool "true"
 * becomes "f" (only `true` gives "t"), a jsonb string is JSON-encoded again, a bytea "\\x.." is
 * hex-encoded again, a timestamptz goes through `Date` and loses its microseconds. Our
 * parameters are already Postgres TEXT, so every serializer it has becomes the identity; with
 * `fetch_types: false` it adds no array serializers, and the rest is sent as `'' + x`.
 */
const IDENTITY_TYPES = {
  // `to` and every `from` get this serializer; these are all the OIDs postgres.js serializes.
  text: {
    to: 25,
    from: [0, 16, 17, 21, 23, 26, 114, 700, 701, 1082, 1114, 1184, 3802],
    serialize: (x: unknown) => x,
    parse: (x: string) => x,
  },
};

/**
 * A postgres.js pool on `url`. Values come back via `.raw()` (Buffers of the wire text, decoded
 * here). postgres.js drops a column's size and type modifier from RowDescription, so those are
 * read from the catalog: `typlen` of the type, and `atttypmod` when the column comes from a
 * table; a computed column is reported with -1 (exact unless it carries a modifier itself, such
 * as `x::varchar(5)`).
 */
export function postgresBackend(url: string): SqlBackend {
  const sql = postgres(url, {
    fetch_types: false,
    // Unnamed statements, like Neon: no plan cache to go stale when a test changes the schema.
    prepare: false,
    types: IDENTITY_TYPES,
    onnotice: () => {},
  });
  return {
    query: (query, params) => postgresQuery(sql, { query, params }),
    async transaction(queries, opts) {
      const modes = transactionModes(opts);
      const body = async (tx: AnySql) => {
        const results: RawResult[] = [];
        for (const q of queries) results.push(await postgresQuery(tx, q));
        return results;
      };
      try {
        // `begin` commits when the callback resolves and rolls back when it throws.
        return (await (modes ? sql.begin(modes, body) : sql.begin(body))) as RawResult[];
      } catch (err) {
        throw asSqlError(err, postgresErrorFields);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

const decoder = new TextDecoder();

/**
 * `unsafe` without parameters uses the simple protocol, which would run "select 1; select 2"
 * as two statements. Neon always uses the extended one (one statement, or 42601). Untyped option.
 */
const EXTENDED = { simple: false } as postgres.UnsafeQueryOptions;

/** The pool or a transaction: all this file needs of either. */
// deno-lint-ignore no-explicit-any
type AnySql = Pick<postgres.Sql<any>, "unsafe">;

async function postgresQuery(sql: AnySql, { query, params }: RawQuery): Promise<RawResult> {
  let result;
  try {
    result = await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], EXTENDED).raw();
  } catch (err) {
    throw asSqlError(err, postgresErrorFields);
  }
  const columns = result.columns ?? [];
  const meta = columns.length ? await columnMeta(sql, columns) : [];
  return {
    fields: columns.map((c, i) => ({
      name: c.name,
      dataTypeID: c.type,
      tableID: c.table,
      columnID: c.number,
      dataTypeSize: meta[i].size,
      dataTypeModifier: meta[i].modifier,
      format: "text",
    })),
    rows: (result as unknown as (Uint8Array | null)[][]).map((row) =>
      row.map((v) => (v === null ? null : decoder.decode(v)))
    ),
    // postgres.js strips the numbers from the tag ("CREATE TABLE"); Neon keeps the first word.
    command: (result.command ?? "").split(" ")[0],
    rowCount: result.count ?? null,
  };
}

/** Size and modifier of each column, read on the same connection so uncommitted DDL is seen. */
async function columnMeta(
  sql: AnySql,
  columns: readonly { type: number; table: number; number: number }[],
): Promise<{ size: number; modifier: number }[]> {
  const list = (pick: (c: (typeof columns)[number]) => number) => `{${columns.map(pick).join(",")}}`;
  const rows = await sql.unsafe(
    `select t.typlen::text, coalesce(a.atttypmod, -1)::text
       from unnest($1::oid[], $2::oid[], $3::int2[]) with ordinality as c(type, rel, num, i)
       join pg_catalog.pg_type t on t.oid = c.type
       left join pg_catalog.pg_attribute a on a.attrelid = c.rel and a.attnum = c.num and c.rel <> 0
      order by c.i`,
    [list((c) => c.type), list((c) => c.table), list((c) => c.number)],
  ).raw();
  return (rows as unknown as Uint8Array[][]).map(([size, modifier]) => ({
    size: Number(decoder.decode(size)),
    modifier: Number(decoder.decode(modifier)),
  }));
}

/** postgres.js names ErrorResponse fields after the protocol; map them to node-postgres names. */
function postgresErrorFields(e: Record<string, unknown>): Record<string, unknown> {
  return {
    severity: e.severity,
    code: e.code,
    detail: e.detail,
    hint: e.hint,
    position: e.position,
    internalPosition: e.internal_position,
    internalQuery: e.internal_query,
    where: e.where,
    schema: e.schema_name,
    table: e.table_name,
    column: e.column_name,
    dataType: e["data type_name"],
    constraint: e.constraint_name,
    file: e.file,
    line: e.line,
    routine: e.routine,
  };
}
