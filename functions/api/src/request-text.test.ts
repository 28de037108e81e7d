import { createLogger } from "@semla/observability";
import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { type AppDeps, createApp } from "./app.js";

/**
 * Every string a request brings in goes through core's text() (or a format that already refuses
 * NUL): walked over the routes' own zod schemas, so a field added later with a bare z.string()
 * fails here rather than as a 500 from PostgreSQL.
 */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, ZodType>;
  readonly element?: ZodType;
  readonly innerType?: ZodType;
  readonly options?: readonly ZodType[];
  readonly keyType?: ZodType;
  readonly valueType?: ZodType;
  readonly in?: ZodType;
  readonly left?: ZodType;
  readonly right?: ZodType;
}
const defOf = (schema: ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Each schema node that takes a string (with its path), descending through wrappers and containers. */
function stringInputs(schema: ZodType, path: string, found: { path: string; schema: ZodType }[] = []): { path: string; schema: ZodType }[] {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
      found.push({ path, schema });
      break;
    case "pipe":
      // A transform of a string (base64Bytes): the pipe as a whole must refuse.
      if (defOf(def.in!).type === "string") found.push({ path, schema });
      else stringInputs(def.in!, path, found);
      break;
    case "object":
      for (const [key, inner] of Object.entries(def.shape ?? {})) stringInputs(inner, `${path}.${key}`, found);
      break;
    case "array":
      stringInputs(def.element!, `${path}[]`, found);
      break;
    case "union":
      def.options!.forEach((option, i) => {
        stringInputs(option, `${path}|${i}`, found);
      });
      break;
    case "intersection":
      stringInputs(def.left!, path, found);
      stringInputs(def.right!, path, found);
      break;
    case "record":
      // Keys are strings; values of any JSON (a config) must be refused as a whole.
      stringInputs(def.keyType!, `${path}{key}`, found);
      if (defOf(def.valueType!).type === "unknown") found.push({ path: `${path}{value}`, schema: { safeParse: (v: unknown) => schema.safeParse({ k: v }) } as unknown as ZodType });
      else stringInputs(def.valueType!, `${path}{value}`, found);
      break;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      stringInputs(def.innerType!, path, found);
      break;
    default:
      break;
  }
  return found;
}

interface RouteDefinition {
  readonly type: string;
  readonly route?: {
    readonly method: string;
    readonly path: string;
    readonly request?: { params?: ZodType; query?: ZodType; body?: { content: Record<string, { schema: ZodType }> } };
  };
}

function requestSchemas(): { where: string; schema: ZodType }[] {
  const app = createApp({ logger: createLogger("error", () => {}), bodyLimitBytes: 1024 } as unknown as AppDeps);
  const definitions = (app.openAPIRegistry as unknown as { definitions: RouteDefinition[] }).definitions;
  const schemas: { where: string; schema: ZodType }[] = [];
  for (const { type, route } of definitions) {
    if (type !== "route" || !route?.request) continue;
    const at = `${route.method.toUpperCase()} ${route.path}`;
    const { params, query, body } = route.request;
    if (params) schemas.push({ where: `${at} params`, schema: params });
    if (query) schemas.push({ where: `${at} query`, schema: query });
    // Bytes (a presigned upload's body) are stored as they are, never as text.
    for (const [media, content] of Object.entries(body?.content ?? {})) if (media !== "application/octet-stream") schemas.push({ where: `${at} ${media}`, schema: content.schema });
  }
  return schemas;
}

describe("every string a request brings in refuses what PostgreSQL cannot store", () => {
  const fields = requestSchemas().flatMap(({ where, schema }) => stringInputs(schema, where));

  it("finds the string fields of every route with a request (a new one joins this list, and the check below)", () => {
    expect(fields.map((f) => f.path)).toEqual([
      "POST /v1/libraries application/json.name",
      "POST /v1/libraries application/json.baseModelId",
      "POST /v1/libraries application/json.embeddingModelId",
      "GET /v1/libraries/{id} params.id",
      "PATCH /v1/libraries/{id} params.id",
      "PATCH /v1/libraries/{id} application/json.name",
      "PATCH /v1/libraries/{id} application/json.baseModelId",
      "PATCH /v1/libraries/{id} application/json.embeddingModelId",
      "DELETE /v1/libraries/{id} params.id",
      "POST /v1/adapters multipart/form-data.libraryId",
      "POST /v1/adapters multipart/form-data.name",
      "POST /v1/adapters multipart/form-data.config|1",
      "POST /v1/adapters multipart/form-data.centroid|1",
      "GET /v1/adapters query.libraryId",
      "GET /v1/adapters query.name",
      "GET /v1/adapters query.cursor",
      "GET /v1/adapters/{id} params.id",
      "DELETE /v1/adapters/{id} params.id",
      "POST /v1/adapters/uploads application/json.libraryId",
      "POST /v1/adapters/uploads application/json.name",
      "POST /v1/adapters/uploads application/json.config{key}",
      "POST /v1/adapters/uploads application/json.config{value}",
      "POST /v1/adapters/uploads/{id}/complete params.id",
      "GET /v1/adapters/{id}/files params.id",
      "POST /v1/embed application/json.image",
      "POST /v1/embed application/json.imageUpload",
      "POST /v1/route application/json.libraryId",
      "POST /v1/route application/json.image",
      "POST /v1/route application/json.imageUpload",
      "POST /v1/route application/json.options.exclude[]",
      "POST /v1/segment application/json.libraryId",
      "POST /v1/segment application/json.image",
      "POST /v1/segment application/json.imageUpload",
      "POST /v1/segment application/json.classNames[]",
      "POST /v1/segment application/json.options.exclude[]",
      "POST /v1/segment application/json.options.adapter",
      "POST /v1/fuse application/json.libraryId",
      "POST /v1/fuse application/json.image",
      "POST /v1/fuse application/json.imageUpload",
      "POST /v1/fuse application/json.adapters[].adapter",
      "POST /v1/fuse application/json.options.exclude[]",
      "POST /v1/jobs application/json.libraryId",
      "POST /v1/jobs application/json.classNames[]",
      "POST /v1/jobs application/json.options.exclude[]",
      "POST /v1/jobs application/json.options.adapter",
      "POST /v1/jobs application/json.image",
      "POST /v1/jobs application/json.imageUpload",
      "POST /v1/jobs application/json.images[].image",
      "POST /v1/jobs application/json.images[].imageUpload",
      "POST /v1/jobs application/json.prefix",
      "POST /v1/jobs application/json.webhook",
      "POST /v1/jobs application/json.idempotencyKey",
      "GET /v1/jobs/{id} params.id",
      "GET /v1/jobs/{id}/items/{index}/mask params.id",
      "GET /v1/stats/coverage query.libraryId",
      "GET /v1/stats/coverage query.since",
      "GET /v1/stats/contributions query.libraryId",
      "GET /v1/stats/contributions query.since",
      "POST /v1/admin/keys application/json.tenant",
      "POST /v1/admin/keys application/json.name",
      "GET /v1/admin/keys query.tenant",
      "DELETE /v1/admin/keys/{id} params.id",
      "PUT /v1/blobs/upload query.key",
      "PUT /v1/blobs/upload query.expires",
      "PUT /v1/blobs/upload query.content-length",
      "PUT /v1/blobs/upload query.content-type",
      "PUT /v1/blobs/upload query.signature",
    ]);
  });

  it("refuses a NUL and a lone surrogate in each of them", () => {
    const accepting = fields.filter(({ schema }) => schema.safeParse("a\u0000bc").success || schema.safeParse("ab\ud800c").success).map((f) => f.path);
    expect(accepting).toEqual([]);
  });
});
