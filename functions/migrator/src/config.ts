import path from "node:path";
import { describeIssues } from "@semla/core";
import { z } from "zod";

/**
 * The migrator's configuration, from the function's environment (infra/migrations.ts sets it): the
 * database is PostgreSQL (SEMLA_DATABASE_URL, the stack's "vpc" mode) or Aurora through its Data API
 * (SEMLA_DATA_API_RESOURCE_ARN / _SECRET_ARN / _DATABASE, its "data-api" mode), as the service's
 * own configuration reads them. The migrations folder is the bundle's copy (copyFiles puts it at
 * the task root).
 */
const optional = z
  .string()
  .transform((value) => (value.trim() === "" ? undefined : value.trim()))
  .optional();

const ConfigSchema = z
  .object({
    SEMLA_DATABASE_URL: optional.pipe(z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional()),
    SEMLA_DATA_API_RESOURCE_ARN: optional.pipe(
      z
        .string()
        .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[A-Za-z][A-Za-z0-9-]*$/, "must be an Aurora cluster ARN (arn:aws:rds:REGION:ACCOUNT:cluster:NAME)")
        .optional(),
    ),
    SEMLA_DATA_API_SECRET_ARN: optional.pipe(
      z
        .string()
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
        .optional(),
    ),
    SEMLA_DATA_API_DATABASE: optional.pipe(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, "must be a PostgreSQL database name")
        .optional(),
    ),
    /** A Data API URL other than the region's (the loopback Data API, in tests). */
    SEMLA_DATA_API_URL: optional.pipe(z.url().optional()),
    AWS_REGION: optional,
    SEMLA_BOOTSTRAP_API_KEY_SHA256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "must be the sha256 of the key, 64 lowercase hex digits")
      .optional(),
    SEMLA_BOOTSTRAP_TENANT: z.string().min(1).default("default"),
    SEMLA_MIGRATIONS_FOLDER: z.string().min(1).optional(),
    LAMBDA_TASK_ROOT: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    const dataApi = ["SEMLA_DATA_API_RESOURCE_ARN", "SEMLA_DATA_API_SECRET_ARN", "SEMLA_DATA_API_DATABASE"] as const;
    if (dataApi.some((name) => env[name] !== undefined)) {
      for (const name of dataApi) {
        if (env[name] === undefined) ctx.addIssue({ code: "custom", path: [name], message: "required with the other SEMLA_DATA_API_* settings (Aurora through the Data API)" });
      }
      if (env.SEMLA_DATABASE_URL !== undefined) {
        ctx.addIssue({ code: "custom", path: ["SEMLA_DATABASE_URL"], message: "set either SEMLA_DATABASE_URL or the SEMLA_DATA_API_* settings, not both" });
      }
    } else if (env.SEMLA_DATABASE_URL === undefined) {
      ctx.addIssue({ code: "custom", path: ["SEMLA_DATABASE_URL"], message: "required (or the SEMLA_DATA_API_* settings): the migrator needs a database" });
    }
  });

/** Where the migrations go: a PostgreSQL connection, or an Aurora cluster's Data API. */
export type MigratorDatabase =
  | { readonly kind: "pg"; readonly url: string }
  | {
      readonly kind: "data-api";
      readonly resourceArn: string;
      readonly secretArn: string;
      readonly database: string;
      readonly region?: string;
      /** An endpoint other than the region's (the loopback Data API, in tests). */
      readonly endpoint?: string;
    };

export interface MigratorConfig {
  readonly database: MigratorDatabase;
  readonly migrationsFolder: string;
  readonly bootstrapKey?: { readonly sha256: string; readonly tenant: string };
}

export class MigratorConfigError extends Error {
  override readonly name = "MigratorConfigError";
}

export function parseMigratorConfig(env: Readonly<Record<string, string | undefined>>): MigratorConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new MigratorConfigError(`invalid migrator configuration: ${describeIssues(parsed.error.issues)}`);
  }
  const e = parsed.data;
  const migrationsFolder = e.SEMLA_MIGRATIONS_FOLDER ?? path.join(e.LAMBDA_TASK_ROOT ?? process.cwd(), "migrations");
  const database: MigratorDatabase =
    e.SEMLA_DATA_API_RESOURCE_ARN && e.SEMLA_DATA_API_SECRET_ARN && e.SEMLA_DATA_API_DATABASE
      ? {
          kind: "data-api",
          resourceArn: e.SEMLA_DATA_API_RESOURCE_ARN,
          secretArn: e.SEMLA_DATA_API_SECRET_ARN,
          database: e.SEMLA_DATA_API_DATABASE,
          ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}),
          ...(e.SEMLA_DATA_API_URL ? { endpoint: e.SEMLA_DATA_API_URL } : {}),
        }
      : { kind: "pg", url: e.SEMLA_DATABASE_URL as string };
  return {
    database,
    migrationsFolder,
    ...(e.SEMLA_BOOTSTRAP_API_KEY_SHA256 ? { bootstrapKey: { sha256: e.SEMLA_BOOTSTRAP_API_KEY_SHA256, tenant: e.SEMLA_BOOTSTRAP_TENANT } } : {}),
  };
}
