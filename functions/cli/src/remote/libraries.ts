import { SemlaError } from "@semla/core";
import { printJson, table } from "../format.js";
import { type Connection, expectOk } from "./connection.js";

export async function listLibraries(connection: Connection, options: { json?: boolean } = {}): Promise<void> {
  const { items } = await expectOk(await connection.client.v1.libraries.$get());
  if (options.json) return printJson(items);
  console.log(
    table(
      ["id", "name", "dimension", "metric", "base model", "embedding model"],
      items.map((l) => [l.id, l.name, String(l.dimension), l.metric, l.baseModelId, l.embeddingModelId]),
    ),
  );
}

export interface NewLibraryInput {
  readonly name: string;
  readonly metric: "euclidean" | "cosine";
  /** Each left out is the served pack's (GET /v1/models): its image encoder's id and dimension, its segmenter's id. */
  readonly dimension?: number | undefined;
  readonly baseModelId?: string | undefined;
  readonly embeddingModelId?: string | undefined;
  readonly coveragePolicy?: "fuse" | "zeroshot" | "refuse" | undefined;
}

export async function createLibrary(connection: Connection, input: NewLibraryInput): Promise<void> {
  let { dimension, baseModelId, embeddingModelId } = input;
  if (dimension === undefined || baseModelId === undefined || embeddingModelId === undefined) {
    const served = await expectOk(await connection.client.v1.models.$get());
    dimension ??= served.imageEncoder.dimension;
    embeddingModelId ??= served.imageEncoder.id;
    baseModelId ??= served.segmenter?.id;
    if (baseModelId === undefined) throw new SemlaError("cli.no-base-model", "the server's model pack has no segmenter: give --base-model");
  }
  const library = await expectOk(
    await connection.client.v1.libraries.$post({
      json: { name: input.name, metric: input.metric, dimension, baseModelId, embeddingModelId, ...(input.coveragePolicy && { coveragePolicy: input.coveragePolicy }) },
    }),
  );
  console.log(library.id);
}

/** `semla libraries update ID [--name N] [--base-model ID] [--embedding-model ID]`: the library as changed (PATCH /v1/libraries/{id}). */
export async function updateLibrary(
  connection: Connection,
  id: string,
  changes: { name?: string | undefined; baseModelId?: string | undefined; embeddingModelId?: string | undefined; coveragePolicy?: "fuse" | "zeroshot" | "refuse" | undefined },
  options: { json?: boolean } = {},
): Promise<void> {
  const json = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const library = await expectOk(await connection.client.v1.libraries[":id"].$patch({ param: { id }, json }));
  if (options.json) return printJson(library);
  console.log(
    table(
      ["id", "name", "dimension", "metric", "base model", "embedding model"],
      [[library.id, library.name, String(library.dimension), library.metric, library.baseModelId, library.embeddingModelId]],
    ),
  );
}

/**
 * `semla libraries rm ID... [--cascade]`: removes libraries (DELETE /v1/libraries/{id}); one holding
 * adapters is refused (409 registry.library-not-empty) unless `cascade`, which removes them with it.
 */
export async function removeLibraries(connection: Connection, ids: readonly string[], options: { cascade?: boolean } = {}): Promise<void> {
  for (const id of ids) {
    const response = await connection.client.v1.libraries[":id"].$delete({ param: { id }, query: { cascade: options.cascade ? "true" : "false" } });
    if (response.status !== 204) await expectOk(response);
    console.log(`removed ${id}`);
  }
}
