import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAdapters } from "@semla/adapters";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Reply, type ScriptedServer, scriptedServer } from "../testing/sagemaker-server.js";
import { ONE_PIXEL_PNG } from "../testing/transport.js";
import { decodeInvocation } from "../transport/envelope.js";
import { encodeInferenceResponse } from "../transport/response.js";
import type { InferenceRequest, InferenceResponse } from "../types.js";
import { BackendError } from "./errors.js";
import { createSageMakerBackend } from "./sagemaker.js";
import { keyOfS3Uri } from "./sagemaker-async.js";

const request: InferenceRequest = { image: new Uint8Array([1, 2, 3, 4]), classNames: ["road", "sky"], mixture: null, requestId: "job:j/0" };
const response: InferenceResponse = {
  maskPng: ONE_PIXEL_PNG,
  width: 1,
  height: 1,
  scores: [{ className: "road", pixelFraction: 1, meanProbability: 0.9 }],
  timings: { totalMs: 12 },
  adapter: { kind: "none", sha256: null, cached: false },
};
/** SageMaker's 202: the locations in headers, the InferenceId in the body. */
const accepted = (bucket = "jobs-bucket"): Reply => ({
  status: 202,
  headers: { "x-amzn-sagemaker-outputlocation": `s3://${bucket}/jobs/output/abc.out`, "x-amzn-sagemaker-failurelocation": `s3://${bucket}/jobs/failures/abc-error.out` },
  body: JSON.stringify({ InferenceId: "j-0" }),
});

let server: ScriptedServer | undefined;
let dir: string;
let store: BlobStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "semla-async-"));
  store = createFsBlobStore({ root: dir });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function asyncFor(script: readonly Reply[]) {
  server = await scriptedServer(script);
  const backend = createSageMakerBackend({
    endpointName: "semla-realtime",
    adapters: createAdapters(),
    region: "us-east-1",
    endpoint: server.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    async: { endpointName: "semla-jobs", bucket: "jobs-bucket", store, requestTtlSeconds: 3600 },
  });
  return backend.async!;
}

describe("SageMaker asynchronous invocations", () => {
  it("writes the invocation to the bucket and calls InvokeEndpointAsync on the jobs endpoint with its location", async () => {
    const inference = await asyncFor([accepted()]);
    const submission = await inference.submit(request, { inputKey: "jobs/j/0/input", inferenceId: "j-0" });
    expect(submission).toEqual({ inferenceId: "j-0", outputKey: "jobs/output/abc.out", failureKey: "jobs/failures/abc-error.out", fusion: null });
    const sent = server!.requests[0]!;
    expect([sent.method, sent.path, sent.body.byteLength]).toEqual(["POST", "/endpoints/semla-jobs/async-invocations", 0]);
    expect(sent.headers).toMatchObject({
      "x-amzn-sagemaker-inputlocation": "s3://jobs-bucket/jobs/j/0/input",
      "x-amzn-sagemaker-inference-id": "j-0",
      "x-amzn-sagemaker-content-type": "application/x-semla-invocation",
      "x-amzn-sagemaker-accept": "application/json",
      "x-amzn-sagemaker-requestttlseconds": "3600",
    });
    const { mixture: _, ...expected } = { ...request, adapter: { kind: "none" as const } };
    expect(decodeInvocation(await store.get("jobs/j/0/input"))).toEqual(expected);
  });

  it("collects: pending until an answer is at the output location, then the endpoint's response", async () => {
    const inference = await asyncFor([accepted()]);
    const submission = await inference.submit(request, { inputKey: "jobs/j/0/input", inferenceId: "j-0" });
    expect(await inference.collect(submission)).toEqual({ state: "pending" });
    await store.put("jobs/output/abc.out", encodeInferenceResponse(response));
    expect(await inference.collect(submission)).toEqual({ state: "succeeded", response: { ...response, fusion: null } });
  });

  it("collects a failure: the endpoint's own error, or SageMaker's text", async () => {
    const inference = await asyncFor([accepted()]);
    const submission = await inference.submit(request, { inputKey: "jobs/j/0/input", inferenceId: "j-0" });
    const error = { code: "segment.too-many-classes", message: "at most 255 classes", details: { count: 300 } };
    await store.put("jobs/failures/abc-error.out", new TextEncoder().encode(JSON.stringify({ error })));
    expect(await inference.collect(submission)).toEqual({ state: "failed", error });
    await store.put("jobs/failures/abc-error.out", new TextEncoder().encode("Received server error (500) from primary"));
    expect(await inference.collect(submission)).toEqual({ state: "failed", error: { code: "backend.rejected", message: "Received server error (500) from primary", details: {} } });
  });

  it("refuses locations outside the bucket, and reports throttling as unavailable (the job tries again)", async () => {
    expect(() => keyOfS3Uri("s3://other/jobs/output/x.out", "jobs-bucket")).toThrow(BackendError);
    expect(keyOfS3Uri("s3://jobs-bucket/jobs/output/x.out", "jobs-bucket")).toBe("jobs/output/x.out");
    const elsewhere = await asyncFor([accepted("other-bucket")]);
    await expect(elsewhere.submit(request, { inputKey: "jobs/j/0/input", inferenceId: "j-0" })).rejects.toMatchObject({ code: "backend.invalid-response" });
    await server!.close();
    const throttled = await asyncFor([{ status: 429, headers: { "x-amzn-errortype": "ThrottlingException" }, body: JSON.stringify({ message: "Rate exceeded" }) }]);
    await expect(throttled.submit(request, { inputKey: "jobs/j/1/input", inferenceId: "j-1" })).rejects.toMatchObject({ kind: "unavailable" });
  });
});
