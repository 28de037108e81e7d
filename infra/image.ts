/**
 * The endpoint's container image, given at deploy time as SEMLA_ENDPOINT_IMAGE (built and pushed
 * to ECR outside the stack: see the README's Deploy section). Parsed here so the endpoint role can
 * pull exactly that repository and a typo fails the deploy before anything is created.
 */
export interface EcrImage {
  readonly uri: string;
  readonly account: string;
  readonly region: string;
  readonly repository: string;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$/;

export function parseEcrImage(uri: string | undefined): EcrImage {
  if (uri === undefined || uri.trim() === "") {
    throw new Error(
      "SEMLA_ENDPOINT_IMAGE is not set: build and push the endpoint image (README, Deploy), then deploy with " + "SEMLA_ENDPOINT_IMAGE=<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>",
    );
  }
  const match = ECR_IMAGE.exec(uri.trim());
  if (!match) {
    throw new Error(`SEMLA_ENDPOINT_IMAGE = ${JSON.stringify(uri)}: expected <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>`);
  }
  return { uri: uri.trim(), account: match[1]!, region: match[2]!, repository: match[3]! };
}
