/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The deployable stack (SST). This file only composes: each resource family is one module under
 * infra/ (imported inside run(), where SST's globals exist). Settings per stage: infra/settings.ts.
 */
export default $config({
  app(input) {
    return {
      name: "semla-serve",
      // Production keeps its data (bucket, database) when the stack is removed; other stages go.
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      home: "aws",
      // Pinned: the Pulumi AWS provider SST 4.17.1's platform is built and tested against.
      providers: { aws: { version: "7.20.0" } },
    };
  },
  async run() {
    const { deployOptions, stageSettings } = await import("./infra/settings");
    const { parseEcrImage } = await import("./infra/image");
    const { createNetwork } = await import("./infra/network");
    const { createStorage } = await import("./infra/storage");
    const { createDatabase } = await import("./infra/database");
    const { createSecrets } = await import("./infra/secrets");
    const { createEndpoint } = await import("./infra/endpoint");
    const { createApi } = await import("./infra/api");
    const { createJobsEndpoint } = await import("./infra/jobs");
    const { createMigrations } = await import("./infra/migrations");
    const { createSweep } = await import("./infra/sweep");

    const settings = stageSettings($app.stage, deployOptions(process.env));
    const image = parseEcrImage(process.env.SEMLA_ENDPOINT_IMAGE);

    const network = createNetwork(settings);
    const storage = createStorage(settings);
    const database = createDatabase(settings, network);
    const secrets = createSecrets();
    const endpoint = createEndpoint(settings, storage, image);
    const jobs = createJobsEndpoint(settings, storage, endpoint);
    const { api } = createApi(settings, { network, database, storage, endpoint, jobs, secrets });
    createMigrations({ network, database, secrets });
    createSweep(settings, { network, database, storage });

    return {
      api: api.url,
      bucket: storage.bucket.name,
      endpoint: endpoint.endpoint.name,
      inferenceComponent: endpoint.componentName,
    };
  },
});
