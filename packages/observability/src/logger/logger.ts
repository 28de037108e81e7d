/**
 * Structured logs: one JSON object per line on stdout (CloudWatch and jq read them as they are).
 * Every line of a request carries its requestId.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return {
    log(at, message, fields = {}) {
      if (RANK[at] < RANK[level]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...fields })}\n`);
    },
  };
}

/**
 * The level of a request's log line, API and endpoint alike: a 503 is the service saying "not now" (a
 * database resuming, the GPU scaling from zero: expected while a stage scales to zero, each retry
 * answered so), a warning; any other 5xx is the service's own failure, an error.
 */
export function levelOf(status: number): "info" | "warn" | "error" {
  if (status === 503) return "warn";
  return status >= 500 ? "error" : "info";
}

/** A failed query as drizzle (DrizzleQueryError) and PGlite report it: the SQL and its parameters. */
interface FailedQuery {
  readonly query: string;
  readonly params: readonly unknown[];
}

function isFailedQuery(error: object): error is Error & FailedQuery {
  return "query" in error && typeof error.query === "string" && "params" in error && Array.isArray(error.params);
}

/** What of a database error is safe to log: its class, never `detail` (it quotes row values) or `hint`. */
const DATABASE_FIELDS = ["code", "severity", "routine", "table", "column", "constraint"] as const;

const SECRETS: readonly RegExp[] = [
  // An API key, and a sha256 (an API key's is its lookup credential).
  /semla_[A-Za-z0-9_-]+/g,
  /\b[0-9a-f]{64}\b/gi,
];

/** The text with every parameter's value and anything shaped like a key or its hash replaced. */
function redact(text: string, params: readonly string[]): string {
  let out = text;
  // Values under 3 characters (a limit, a flag) say nothing and would blot out the message.
  for (const param of params) if (param.length >= 3) out = out.split(param).join("[redacted]");
  for (const pattern of SECRETS) out = out.replace(pattern, "[redacted]");
  return out;
}

/** The stack's frames without its first line(s), which repeat the (unredacted) message. */
function framesOf(error: Error): string | undefined {
  const frames = error.stack?.split("\n").filter((line) => /^\s+at /.test(line));
  return frames && frames.length > 0 ? frames.join("\n") : undefined;
}

/**
 * An error as a log line's fields, redacted: a failed query logs its SQL shape (placeholders, as
 * the driver was given it) and never its parameters; messages have every parameter value, API key
 * and sha256 replaced; database errors keep their SQLSTATE class, not the row values of `detail`.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: redact(String(error), []) };
  // Parameters of any failed query in the cause chain are redacted from every message in it.
  const chain: Error[] = [];
  for (let at: unknown = error; at instanceof Error && chain.length < 5; at = at.cause) chain.push(at);
  const params = chain.filter(isFailedQuery).flatMap((e) => e.params.map((p) => (p instanceof Date ? p.toISOString() : String(p))));
  const describe = (e: Error): Record<string, unknown> => {
    const fields: Record<string, unknown> = { name: e.name };
    if (isFailedQuery(e)) fields.query = e.query;
    else fields.message = redact(e.message, params);
    for (const field of DATABASE_FIELDS) {
      const value = (e as unknown as Record<string, unknown>)[field];
      if (typeof value === "string") fields[field] = value;
    }
    return fields;
  };
  const [head, ...causes] = chain.map(describe);
  return {
    error: isFailedQuery(error) ? "failed query" : head!.message,
    ...Object.fromEntries(Object.entries(head!).filter(([key]) => key !== "message")),
    ...(causes.length > 0 ? { causes } : {}),
    stack: framesOf(error),
  };
}
