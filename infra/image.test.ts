import { describe, expect, test } from "vitest";
import { parseEcrImage } from "./image";

describe("the endpoint image (SEMLA_ENDPOINT_IMAGE)", () => {
  test("an ECR image by tag names the repository the endpoint role may pull", () => {
    expect(parseEcrImage("123456789012.dkr.ecr.eu-west-1.amazonaws.com/semla/endpoint:2026-12-03")).toEqual({
      uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/semla/endpoint:2026-12-03",
      account: "123456789012",
      region: "eu-west-1",
      repository: "semla/endpoint",
    });
  });

  test("an ECR image by digest", () => {
    const uri = `123456789012.dkr.ecr.us-east-1.amazonaws.com/semla-endpoint@sha256:${"a".repeat(64)}`;
    expect(parseEcrImage(uri).repository).toBe("semla-endpoint");
  });

  test("absent: the error says how to build and name it", () => {
    expect(() => parseEcrImage(undefined)).toThrow(
      "SEMLA_ENDPOINT_IMAGE is not set: build and push the endpoint image (README, Deploy), then deploy with " + "SEMLA_ENDPOINT_IMAGE=<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>",
    );
    expect(() => parseEcrImage("  ")).toThrow("SEMLA_ENDPOINT_IMAGE is not set");
  });

  test.each(["semla-endpoint:latest", "123456789012.dkr.ecr.us-east-1.amazonaws.com/semla-endpoint", "docker.io/library/node:20"])("not an ECR image with a tag or digest: %s", (uri) => {
    expect(() => parseEcrImage(uri)).toThrow(`SEMLA_ENDPOINT_IMAGE = ${JSON.stringify(uri)}: expected <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>`);
  });
});
