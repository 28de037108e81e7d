/**
 * Which tests need the services, and which run whole programs, decided by name, once:
 * vitest.config.ts builds its three projects from these, and test/projects.test.ts checks every
 * test file against them.
 *
 * - `unit`: every other test. No PostgreSQL, no s3rver (PGlite, the filesystem store, loopback
 *   HTTP servers and generated models are fine). `npm run test:unit` runs these alone.
 * - `programs`: `*.program.test.ts`, a whole program at work without the services: the CLI and the
 *   endpoint's main as processes, the endpoint's bundle, the API's Lambda handler starting every
 *   service, the deploy stack under Pulumi's mocks, the demo and evaluation worlds fitted and scored (seconds each, not milliseconds).
 * - `services`: a test that reads `inject("postgresUrl")` or `inject("s3Endpoint")` is named
 *   `*.services.test.ts`, or `*.e2e.test.ts` when it drives the whole API over HTTP; only this
 *   project starts the throwaway PostgreSQL cluster and s3rver (test/setup/).
 *
 * `npm test` (`vitest run`) runs both, each file exactly once.
 */
export const TEST_FILES = ["packages/*/src/**/*.test.ts", "functions/*/src/**/*.test.ts", "infra/**/*.test.ts", "test/**/*.test.ts"];

/** The suffixes (before `.test.ts`) of the tests that need PostgreSQL or s3rver. */
export const SERVICE_SUFFIXES = ["services", "e2e"] as const;

/** TEST_FILES narrowed to those suffixes. */
export const SERVICE_TEST_FILES = SERVICE_SUFFIXES.flatMap((suffix) => TEST_FILES.map((glob) => glob.replace(/\*\.test\.ts$/, `*.${suffix}.test.ts`)));

/** Whole-program tests: no services, but too slow for the quick loop. */
export const PROGRAM_TEST_FILES = TEST_FILES.map((glob) => glob.replace(/\*\.test\.ts$/, "*.program.test.ts"));

export function isServiceTest(file: string): boolean {
  return SERVICE_SUFFIXES.some((suffix) => file.endsWith(`.${suffix}.test.ts`));
}
