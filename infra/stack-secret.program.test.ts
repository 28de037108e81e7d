import { expect, test } from "vitest";
import { ENDPOINT_IMAGE } from "./testing/fixtures";
import { runStack, StackRunError } from "./testing/mock-stack";

test("a stage whose ApiKey secret is not set fails the deploy, naming the command that sets it", async () => {
  const error = await runStack("dev", { SEMLA_ENDPOINT_IMAGE: ENDPOINT_IMAGE }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StackRunError);
  expect((error as StackRunError).message).toBe("Set a value for ApiKey with `sst secret set ApiKey <value>`");
  // The invocation that would record the key was never created.
  const created = (error as StackRunError).resources.map((r) => r.type);
  expect(created).not.toContain("aws:lambda/invocation:Invocation");
});
