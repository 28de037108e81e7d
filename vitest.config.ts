import { configDefaults, defineConfig } from "vitest/config";
import { PROGRAM_TEST_FILES, SERVICE_TEST_FILES, TEST_FILES } from "./test/projects.js";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Three projects split by file name (test/projects.ts): `vitest run` runs them all, `vitest run
    // --project unit` (npm run test:unit) only the quick tests that need no services.
    projects: [
      {
        extends: true,
        // One process for all unit files (isolate: false): on 2 cores starting a process and importing
        // the modules per file was half the project's time (92.9 s → 49.9 s, back to back). A unit test
        // that changes process-wide state (process.env, globals, timers) restores it in its hooks.
        test: { name: "unit", include: TEST_FILES, exclude: [...configDefaults.exclude, ...SERVICE_TEST_FILES, ...PROGRAM_TEST_FILES], isolate: false },
      },
      {
        extends: true,
        test: { name: "programs", include: PROGRAM_TEST_FILES },
      },
      {
        extends: true,
        test: {
          name: "services",
          include: SERVICE_TEST_FILES,
          // Real services for these tests, started once per run: PostgreSQL + pgvector (a
          // throwaway cluster, see scripts/services/) and an S3-compatible server (s3rver) on loopback.
          globalSetup: ["test/setup/postgres.ts", "test/setup/s3.ts"],
        },
      },
    ],
  },
});
