import { z } from "@hono/zod-openapi";
import type { AdapterRecord } from "@semla/registry";

export const AdapterSchema = z
  .object({
    id: z.string(),
    libraryId: z.string(),
    name: z.string(),
    version: z.number().int(),
    status: z.enum(["pending", "active", "superseded"]),
    rank: z.number().int(),
    alpha: z.number(),
    targetModules: z.union([z.array(z.string()), z.string()]),
    modules: z.number().int().describe("Number of adapted modules"),
    byteSize: z.number().int(),
    sha256: z.string(),
    sampleCount: z.number().int().nullable(),
    spread: z.number().nullable().describe("The sample images' spread around the centroid (95th percentile of their distances, library metric); null for a centroid uploaded without one"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Adapter");
export type Adapter = z.infer<typeof AdapterSchema>;

export function adapterView(record: AdapterRecord): Adapter {
  return {
    id: record.id,
    libraryId: record.libraryId,
    name: record.name,
    version: record.version,
    status: record.status,
    rank: record.rank,
    alpha: record.alpha,
    targetModules: typeof record.targetModules === "string" ? record.targetModules : [...record.targetModules],
    modules: Object.keys(record.moduleShapes).length,
    byteSize: record.byteSize,
    sha256: record.sha256,
    sampleCount: record.sampleCount,
    spread: record.spread,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export const RegisteredSchema = z.object({ adapter: AdapterSchema, created: z.boolean().describe("false: the same bytes were already registered under this name") }).openapi("Registered");
