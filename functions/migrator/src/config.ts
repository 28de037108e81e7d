import path from "node:path";
import { describeIssues } from "@semla/core";
import { z } from "zod";

/**
 * The migrator's configuration, from the function's environment (infra/migrations.ts sets it).
 * The migrations folder is the bundle's copy (copyFiles puts it at the task root).
 */
const ConfigSchema = z.object({
  SEMLA_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }),
  SEMLA_BOOTSTRAP_API_KEY_SHA256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be the sha256 of the key, 64 lowercase hex digits")
    .optional(),
  SEMLA_BOOTSTRAP_TENANT: z.string().min(1).default("default"),
  SEMLA_MIGRATIONS_FOLDER: z.string().min(1).optional(),
  LAMBDA_TASK_ROOT: z.string().min(1).optional(),
});

export interface MigratorConfig {
  readonly databaseUrl: string;
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
  return {
    databaseUrl: e.SEMLA_DATABASE_URL,
    migrationsFolder,
    ...(e.SEMLA_BOOTSTRAP_API_KEY_SHA256 ? { bootstrapKey: { sha256: e.SEMLA_BOOTSTRAP_API_KEY_SHA256, tenant: e.SEMLA_BOOTSTRAP_TENANT } } : {}),
  };
}
