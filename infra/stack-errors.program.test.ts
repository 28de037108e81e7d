import { expect, test } from "vitest";
import { API_KEY } from "./testing/fixtures";
import { runStack, StackRunError } from "./testing/mock-stack";

test("a deploy without SEMLA_ENDPOINT_IMAGE stops before creating anything, saying what to set", async () => {
  const error = await runStack("dev", { SST_SECRET_ApiKey: API_KEY }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StackRunError);
  expect((error as StackRunError).message).toMatch(/^SEMLA_ENDPOINT_IMAGE is not set: build and push the endpoint image \(README, Deploy\)/);
  expect((error as StackRunError).resources).toEqual([]);
});
