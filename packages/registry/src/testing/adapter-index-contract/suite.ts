import type { LibraryRecord } from "../../db/adapter-index.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import type { newLibrary } from "../fixtures.js";

/**
 * What a driver hands the AdapterIndex contract: a fresh, migrated database. Tests share it within
 * the file and stay apart by making their own tenants and libraries.
 */
export interface ContractDatabase {
  readonly index: DrizzleAdapterIndex;
  /** Runs the driver's migrations again. */
  migrate(): Promise<void>;
  /** Raw SQL, for what the interface does not show (migration history, bulk rows, ANALYZE). */
  query(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface ContractDriver {
  readonly name: string;
  open(): Promise<ContractDatabase>;
}

/**
 * The open database the contract's parts share: `db` and `index` are set by the suite's own
 * beforeAll, which runs before any part's (each part binds them in a beforeAll of its own).
 */
export interface ContractSuite {
  db: ContractDatabase;
  index: DrizzleAdapterIndex;
  /** Creates a library of a fresh tenant (newLibrary's defaults and the overrides). */
  library(overrides?: Parameters<typeof newLibrary>[0]): Promise<LibraryRecord>;
}

export const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);
