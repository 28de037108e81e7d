import { describeAdapterIndexContract } from "../testing/adapter-index-contract/index.js";
import { migrateDatabase } from "./migrate.js";
import { createPgliteAdapterIndex, openPglite } from "./pglite-index.js";

describeAdapterIndexContract({
  name: "PGlite + pgvector",
  async open() {
    const client = await openPglite();
    const index = await createPgliteAdapterIndex({ client });
    return {
      index,
      migrate: () => migrateDatabase({ kind: "pglite", client }),
      query: async (text) => (await client.query<Record<string, unknown>>(text)).rows,
      async close() {
        await index.close();
        await client.close();
      },
    };
  },
});
