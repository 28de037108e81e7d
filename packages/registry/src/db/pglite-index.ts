import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { drizzle } from "drizzle-orm/pglite";
import { createDrizzleAdapterIndex, type DrizzleAdapterIndex } from "./drizzle-index.js";
import { migrateDatabase } from "./migrate.js";
import { pgliteOutage, registerOutageClassifier } from "./outage.js";
import { schema } from "./schema.js";

export type PgliteAdapterIndexOptions =
  | {
      /** Where PGlite keeps its files; in memory when omitted. */
      readonly dataDir?: string;
    }
  | {
      /** An open PGlite with the `vector` extension; it stays the caller's (close() leaves it open). */
      readonly client: PGlite;
    };

/** A PGlite with pgvector loaded, as the migrations need it. */
export function openPglite(dataDir?: string): Promise<PGlite> {
  return PGlite.create(dataDir, { extensions: { vector } });
}

/** The adapter index embedded in the process (PGlite + pgvector): the default without a server. */
export async function createPgliteAdapterIndex(options: PgliteAdapterIndexOptions = {}): Promise<DrizzleAdapterIndex> {
  const owned = !("client" in options);
  const client = "client" in options ? options.client : await openPglite(options.dataDir);
  const close = async () => {
    if (owned) await client.close();
  };
  try {
    await migrateDatabase({ kind: "pglite", client });
  } catch (error) {
    await close();
    throw error;
  }
  const db = drizzle({ client, schema });
  registerOutageClassifier(db, pgliteOutage);
  return createDrizzleAdapterIndex(db, close);
}
