import { sql } from "drizzle-orm";
import type { RegistryDatabase } from "./database.js";

/** One round trip to the database (GET /readyz): resolves when it answers. */
export async function pingDatabase(db: RegistryDatabase): Promise<void> {
  await db.execute(sql`select 1`);
}
