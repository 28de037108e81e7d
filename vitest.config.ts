import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "functions/*/src/**/*.test.ts", "infra/**/*.test.ts", "test/**/*.test.ts"],
    // Real services for the tests, started once per run: PostgreSQL + pgvector (a throwaway
    // cluster, see scripts/services/) and an S3-compatible server (s3rver) on loopback.
    globalSetup: ["test/setup/postgres.ts", "test/setup/s3.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
