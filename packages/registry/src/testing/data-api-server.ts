import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

/**
 * Aurora's Data API on loopback, backed by a real PostgreSQL: the restJson1 protocol the AWS SDK v3
 * RDS Data client speaks (@aws-sdk/client-rds-data: POST /Execute, /BatchExecute,
 * /BeginTransaction, /CommitTransaction, /RollbackTransaction, JSON bodies; errors as the status
 * code of the exception, its name in `x-amzn-ErrorType` and `{ message }`).
 *
 * As the service does: a parameter is bound with the type its Field says (stringValue is varchar
 * unless a typeHint says uuid/json/timestamp/date/time/decimal; longValue bigint, doubleValue
 * float8, booleanValue boolean, blobValue bytea), so a value PostgreSQL would not cast from varchar
 * fails here as there; array parameters are refused; results are typed Fields (bigint/int →
 * longValue, float → doubleValue, bool → booleanValue, bytea → blobValue, arrays → arrayValue,
 * everything else, timestamps, uuid, json and pgvector's `vector` included, → stringValue in
 * PostgreSQL's text form); sessions run in UTC (Aurora's default). Requests are not signed-checked:
 * the resource and secret ARNs stand for IAM and Secrets Manager.
 */
export interface DataApiServer {
  /** The endpoint to give the RDS Data client. */
  readonly url: string;
  readonly resourceArn: string;
  readonly secretArn: string;
  /** While set, every call answers this exception (DatabaseResumingException: a paused cluster). */
  failWith(exception: DataApiException | undefined): void;
  /** Open transactions (begun, neither committed nor rolled back). */
  openTransactions(): number;
  close(): Promise<void>;
}

export interface DataApiException {
  readonly name: string;
  readonly status: number;
  readonly message: string;
}

export const DATA_API_EXCEPTIONS = {
  resuming: { name: "DatabaseResumingException", status: 400, message: "The database is resuming after being auto-paused. Please wait a few seconds and try again." },
  unavailable: { name: "DatabaseUnavailableException", status: 504, message: "The writer instance in the DB cluster isn't available." },
} as const satisfies Record<string, DataApiException>;

export interface DataApiServerOptions {
  /** The PostgreSQL server; each request's `database` names the database on it. */
  readonly postgresUrl: string;
  readonly resourceArn?: string;
  readonly secretArn?: string;
}

class Refusal extends Error {
  constructor(
    readonly exception: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Field = { isNull: true } | { booleanValue: boolean } | { longValue: number } | { doubleValue: number } | { stringValue: string } | { blobValue: string } | { arrayValue: Record<string, unknown> };

interface SqlParameter {
  name?: string;
  value?: Record<string, unknown>;
  typeHint?: string;
}

const HINTED_TYPES: Record<string, string> = { UUID: "uuid", JSON: "json", TIMESTAMP: "timestamp", DATE: "date", TIME: "time", DECIMAL: "numeric" };

/** The SQL type a Field binds as, and its value for node-postgres. */
function bind(parameter: SqlParameter): { type: string | undefined; value: unknown } {
  const value = parameter.value ?? {};
  if (value.isNull === true) return { type: undefined, value: null };
  if (typeof value.stringValue === "string") return { type: HINTED_TYPES[parameter.typeHint ?? ""] ?? "varchar", value: value.stringValue };
  if (typeof value.longValue === "number") return { type: "bigint", value: String(value.longValue) };
  if (typeof value.doubleValue === "number") return { type: "double precision", value: String(value.doubleValue) };
  if (typeof value.booleanValue === "boolean") return { type: "boolean", value: value.booleanValue };
  if (typeof value.blobValue === "string") return { type: "bytea", value: Buffer.from(value.blobValue, "base64") };
  if (value.arrayValue !== undefined) throw new Refusal("BadRequestException", 400, "Array parameters are not supported.");
  throw new Refusal("BadRequestException", 400, `Parameter ${parameter.name ?? "?"} has no value.`);
}

/**
 * `:name` placeholders become `$n::type`, outside string literals, quoted identifiers and
 * dollar-quoted bodies; `::type` casts are left alone.
 */
export function positional(sqlText: string, parameters: readonly SqlParameter[]): { text: string; values: unknown[] } {
  if (parameters.length === 0) return { text: sqlText, values: [] };
  const index = new Map<string, number>();
  const values: unknown[] = [];
  const types: (string | undefined)[] = [];
  parameters.forEach((parameter, i) => {
    const bound = bind(parameter);
    index.set(parameter.name ?? String(i + 1), i + 1);
    values.push(bound.value);
    types.push(bound.type);
  });
  const text = sqlText.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|::|:([A-Za-z0-9_]+)/g, (match, _tag, name: string | undefined) => {
    if (name === undefined) return match;
    const n = index.get(name);
    if (n === undefined) throw new Refusal("BadRequestException", 400, `No value specified for parameter: ${name}`);
    const type = types[n - 1];
    return type ? `$${n}::${type}` : `$${n}`;
  });
  return { text, values };
}

const BOOL = 16;
const BYTEA = 17;
const LONGS = new Set([20, 21, 23, 26]);
const DOUBLES = new Set([700, 701]);
/** Array types whose elements the Data API answers: text/varchar, integers, floats, booleans. */
const ARRAYS: Record<number, "stringValues" | "longValues" | "doubleValues" | "booleanValues"> = {
  1009: "stringValues",
  1015: "stringValues",
  1005: "longValues",
  1007: "longValues",
  1016: "longValues",
  1021: "doubleValues",
  1022: "doubleValues",
  1000: "booleanValues",
};

/** node-postgres answers every column as PostgreSQL's text; the Field says what the Data API would. */
function field(text: string | null, typeId: number): Field {
  if (text === null) return { isNull: true };
  if (typeId === BOOL) return { booleanValue: text === "t" };
  if (LONGS.has(typeId)) return { longValue: Number(text) };
  if (DOUBLES.has(typeId)) return { doubleValue: Number(text) };
  if (typeId === BYTEA) return { blobValue: Buffer.from(text.slice(2), "hex").toString("base64") };
  const arrayKind = ARRAYS[typeId];
  if (arrayKind) {
    const parsed = pg.types.getTypeParser(typeId, "text")(text) as unknown[];
    return { arrayValue: { [arrayKind]: parsed } };
  }
  return { stringValue: text };
}

function fieldValue(f: Field): unknown {
  return "isNull" in f ? null : Object.values(f)[0];
}

const asText = { getTypeParser: () => (value: string) => value };

interface Database {
  readonly pool: pg.Pool;
  readonly typeNames: Promise<Map<number, string>>;
}

interface Transaction {
  readonly client: pg.PoolClient;
  /** One statement at a time, as on one connection. */
  queue: Promise<unknown>;
}

export async function startDataApiServer(options: DataApiServerOptions): Promise<DataApiServer> {
  const resourceArn = options.resourceArn ?? "arn:aws:rds:us-east-1:123456789012:cluster:semla-loopback";
  const secretArn = options.secretArn ?? "arn:aws:secretsmanager:us-east-1:123456789012:secret:semla-loopback-AbCdEf";
  const databases = new Map<string, Database>();
  const transactions = new Map<string, Transaction>();
  let failure: DataApiException | undefined;

  function databaseNamed(name: string): Database {
    let database = databases.get(name);
    if (!database) {
      const url = new URL(options.postgresUrl);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 8, options: "-c TimeZone=UTC", types: asText });
      pool.on("error", () => {});
      const typeNames = pool.query<{ oid: number; typname: string }>("SELECT oid::int AS oid, typname FROM pg_type").then(
        (result) => new Map(result.rows.map((row) => [Number(row.oid), row.typname])),
        () => new Map<number, string>(),
      );
      database = { pool, typeNames };
      databases.set(name, database);
    }
    return database;
  }

  function authorize(body: Record<string, unknown>): void {
    if (body.resourceArn !== resourceArn) throw new Refusal("BadRequestException", 400, `Invalid cluster arn: ${String(body.resourceArn)}`);
    if (body.secretArn !== secretArn) {
      throw new Refusal("SecretsErrorException", 400, "Secrets Manager can't find the specified secret.");
    }
  }

  function transactionOf(id: unknown): Transaction {
    const transaction = typeof id === "string" ? transactions.get(id) : undefined;
    if (!transaction) throw new Refusal("TransactionNotFoundException", 404, `Transaction ${String(id)} is not found`);
    return transaction;
  }

  function databaseError(error: unknown): Refusal {
    const e = error as { message?: string; code?: string };
    return new Refusal("DatabaseErrorException", 400, `ERROR: ${e.message ?? String(error)}; SQLState: ${e.code ?? "XX000"}`);
  }

  /** Runs on the transaction's connection (one at a time) or, without one, on a pooled connection in autocommit. */
  async function run<T>(body: Record<string, unknown>, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    if (body.transactionId !== undefined) {
      const transaction = transactionOf(body.transactionId);
      const result = transaction.queue.then(() => work(transaction.client));
      transaction.queue = result.catch(() => {});
      return result;
    }
    const client = await databaseNamed(String(body.database ?? "postgres")).pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  async function query(client: pg.ClientBase, text: string, values: unknown[]): Promise<pg.QueryArrayResult> {
    try {
      return await client.query({ text, values, rowMode: "array" });
    } catch (error) {
      throw databaseError(error);
    }
  }

  async function execute(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    authorize(body);
    const { text, values } = positional(String(body.sql ?? ""), (body.parameters as SqlParameter[] | undefined) ?? []);
    const database = databaseNamed(String(body.database ?? "postgres"));
    const result = await run(body, (client) => query(client, text, values));
    const response: Record<string, unknown> = { numberOfRecordsUpdated: result.command === "SELECT" ? 0 : (result.rowCount ?? 0) };
    if (result.fields.length === 0) return response;
    const records = result.rows.map((row) => row.map((value, i) => field(value as string | null, result.fields[i]?.dataTypeID ?? 25)));
    if (body.formatRecordsAs === "JSON") {
      const objects = records.map((row) => Object.fromEntries(row.map((f, i) => [result.fields[i]?.name, fieldValue(f)])));
      response.formattedRecords = JSON.stringify(objects);
    } else {
      response.records = records;
    }
    if (body.includeResultMetadata === true) {
      const names = await database.typeNames;
      response.columnMetadata = result.fields.map((f) => ({ name: f.name, label: f.name, typeName: names.get(f.dataTypeID) ?? "unknown", nullable: 2, arrayBaseColumnType: 0 }));
    }
    return response;
  }

  async function batchExecute(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    authorize(body);
    const sets = (body.parameterSets as SqlParameter[][] | undefined) ?? [[]];
    const inTransaction = body.transactionId !== undefined;
    const updateResults = await run(body, async (client) => {
      if (!inTransaction) await query(client, "BEGIN", []);
      try {
        const results: { generatedFields: Field[] }[] = [];
        for (const set of sets) {
          const { text, values } = positional(String(body.sql ?? ""), set);
          const result = await query(client, text, values);
          const row = result.rows[0];
          results.push({ generatedFields: row ? row.map((value, i) => field(value as string | null, result.fields[i]?.dataTypeID ?? 25)) : [] });
        }
        if (!inTransaction) await query(client, "COMMIT", []);
        return results;
      } catch (error) {
        if (!inTransaction) await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    });
    return { updateResults };
  }

  async function begin(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    authorize(body);
    const client = await databaseNamed(String(body.database ?? "postgres")).pool.connect();
    try {
      await query(client, "BEGIN", []);
    } catch (error) {
      client.release(true);
      throw error;
    }
    const transactionId = randomBytes(36).toString("base64");
    transactions.set(transactionId, { client, queue: Promise.resolve() });
    return { transactionId };
  }

  async function end(body: Record<string, unknown>, statement: "COMMIT" | "ROLLBACK"): Promise<Record<string, unknown>> {
    authorize(body);
    const transaction = transactionOf(body.transactionId);
    transactions.delete(String(body.transactionId));
    try {
      await transaction.queue;
      await query(transaction.client, statement, []);
    } finally {
      transaction.client.release();
    }
    return { transactionStatus: statement === "COMMIT" ? "Transaction Committed" : "Rollback Complete" };
  }

  const routes: Record<string, (body: Record<string, unknown>) => Promise<Record<string, unknown>>> = {
    "/Execute": execute,
    "/BatchExecute": batchExecute,
    "/BeginTransaction": begin,
    "/CommitTransaction": (body) => end(body, "COMMIT"),
    "/RollbackTransaction": (body) => end(body, "ROLLBACK"),
  };

  function answer(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomBytes(16).toString("hex"),
      ...(errorType ? { "x-amzn-errortype": errorType } : {}),
    });
    response.end(text);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const route = request.method === "POST" ? routes[new URL(request.url ?? "/", "http://loopback").pathname] : undefined;
    try {
      if (!route) throw new Refusal("NotFoundException", 404, `No route for ${request.method} ${request.url}`);
      if (failure) throw new Refusal(failure.name, failure.status, failure.message);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      answer(response, 200, await route(body));
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal("InternalServerErrorException", 500, error instanceof Error ? error.message : String(error));
      answer(response, refusal.status, { message: refusal.message }, refusal.exception);
    }
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    resourceArn,
    secretArn,
    failWith(exception) {
      failure = exception;
    },
    openTransactions: () => transactions.size,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const transaction of transactions.values()) transaction.client.release(true);
      transactions.clear();
      await Promise.all([...databases.values()].map((database) => database.pool.end()));
    },
  };
}
