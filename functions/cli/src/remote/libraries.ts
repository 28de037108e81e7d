import { table } from "../format.js";
import { type Connection, expectOk } from "./connection.js";

export async function listLibraries(connection: Connection): Promise<void> {
  const { items } = await expectOk(await connection.client.v1.libraries.$get());
  console.log(
    table(
      ["id", "name", "dimension", "metric", "base model", "embedding model"],
      items.map((l) => [l.id, l.name, String(l.dimension), l.metric, l.baseModelId, l.embeddingModelId]),
    ),
  );
}

export async function createLibrary(connection: Connection, input: { name: string; dimension: number; baseModelId: string; embeddingModelId: string; metric: "euclidean" | "cosine" }): Promise<void> {
  const library = await expectOk(await connection.client.v1.libraries.$post({ json: input }));
  console.log(library.id);
}
