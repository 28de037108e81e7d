/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The deployable stack (SST). A placeholder until the infrastructure issue: it names the app so
 * `sst` recognises the project, and composes no resources yet. Resources will live one family per
 * file under infra/ and be composed here.
 */
export default $config({
  app(input) {
    return {
      name: "semla-serve",
      removal: input?.stage === "production" ? "retain" : "remove",
      home: "aws",
    };
  },
  async run() {
    return {};
  },
});
