import pg from "pg";
import { inject } from "vitest";
import { describeAdapterIndexContract } from "../testing/adapter-index-contract/index.js";
import { createScratchDatabase } from "../testing/scratch-database.js";
import { migrateDatabase } from "./migrate.js";
import { createPgAdapterIndex, ignoreConnectionErrors } from "./pg-index.js";

describeAdapterIndexContract({
  name: "PostgreSQL + pgvector",
  async open() {
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    const pool = new pg.Pool({ connectionString: scratch.url });
    ignoreConnectionErrors(pool);
    const index = await createPgAdapterIndex({ pool });
    return {
      index,
      migrate: () => migrateDatabase({ kind: "pg", pool }),
      query: async (text) => (await pool.query<Record<string, unknown>>(text)).rows,
      async close() {
        await index.close();
        await pool.end();
        await scratch.drop();
      },
    };
  },
});
