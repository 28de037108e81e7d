import { afterAll, beforeAll, describe } from "vitest";
import { newLibrary } from "../fixtures.js";
import { describeApiKeys } from "./api-keys.js";
import { describeContributions } from "./contributions.js";
import { describeCoverage } from "./coverage.js";
import { describeJobs } from "./jobs.js";
import { describeLibraries } from "./libraries.js";
import { describeLookups } from "./lookups.js";
import { describeNearest } from "./nearest.js";
import type { ContractDriver, ContractSuite } from "./suite.js";
import { describeText } from "./text.js";
import { describeVersions } from "./versions.js";

export type { ContractDatabase, ContractDriver } from "./suite.js";

/**
 * The AdapterIndex contract, written once and run against every driver (pg-index.services.test.ts,
 * pglite-index.test.ts), one file per concern: libraries (and migrations), versions, lookups, API
 * keys, contributions, coverage (generations and calibrations), text PostgreSQL cannot store, nearest (and HNSW recall).
 * keys, contributions, jobs, text PostgreSQL cannot store, nearest (and HNSW recall).
 */
export function describeAdapterIndexContract(driver: ContractDriver): void {
  describe(`AdapterIndex on ${driver.name}`, () => {
    const suite = { library: (overrides = {}) => suite.index.createLibrary(newLibrary(overrides)) } as ContractSuite;

    beforeAll(async () => {
      suite.db = await driver.open();
      suite.index = suite.db.index;
    });
    afterAll(async () => {
      await suite.db?.close();
    });

    describeLibraries(suite);
    describeVersions(suite);
    describeLookups(suite);
    describeApiKeys(suite);
    describeContributions(suite);
    describeCoverage(suite);
    describeJobs(suite);
    describeText(suite);
    describeNearest(suite);
  });
}
