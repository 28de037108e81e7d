// Test helper: what SageMaker does in front of a container, reduced to routing. The SDK posts to
// /endpoints/<name>/invocations; the container serves /invocations. Its health check goes to /ping.
// With an inference component, the front also answers as SageMaker does while it has no copies.
import { randomUUID } from "node:crypto";
import { noCapacityReply } from "@semla/inference/testing";
import type { BlobStore } from "@semla/storage";
import { Hono } from "hono";

/**
 * An inference component's copies as the front sees them: `coldInvocations` invocations are refused
 * as SageMaker refuses them while it has no copies (each one is what SageMaker counts in
 * NoCapacityInvocationFailures, the metric whose alarm scales it out), then it has a copy and serves.
 */
export class InferenceComponentCapacity {
  /** Invocations it answered with SageMaker's no-capacity error. */
  refused = 0;
  /** Invocations it passed to the container. */
  served = 0;
  /** The inference component each invocation named (SageMaker's X-Amzn-SageMaker-Inference-Component header), in order. */
  readonly named: (string | null)[] = [];

  constructor(private coldInvocations = 0) {}

  /** Copies now: 0 while invocations are still to be refused. */
  get copies(): number {
    return this.coldInvocations > 0 ? 0 : 1;
  }

  /** Scaled in to zero again: the next `coldInvocations` invocations are refused. */
  scaleToZero(coldInvocations: number): void {
    this.coldInvocations = coldInvocations;
  }

  /** Takes one invocation: whether a copy serves it. */
  admit(component: string | null): boolean {
    this.named.push(component);
    if (this.coldInvocations > 0) {
      this.coldInvocations--;
      this.refused++;
      return false;
    }
    this.served++;
    return true;
  }
}

/**
 * SageMaker Asynchronous Inference as the front plays it: InvokeEndpointAsync is accepted at once
 * (202, the output and failure locations in headers, the InferenceId in the body) and queued; while
 * the endpoint has no instance the queue waits (SageMaker scales out on its backlog), then each
 * invocation is run in order: its input read from the bucket, the container's answer written to
 * <outputPrefix><uuid>.out, or its error to <failurePrefix><uuid>-error.out.
 */
export class AsyncInferenceQueue {
  /** InferenceIds accepted, in order (a resubmission shows up twice). */
  readonly accepted: string[] = [];
  /** InferenceIds run (answer or failure written), in order. */
  readonly completed: string[] = [];
  private readonly waiting: { id: string; inputKey: string; outputKey: string; failureKey: string; contentType: string; accept: string }[] = [];
  private draining: Promise<void> | undefined;
  private container: Hono | undefined;

  constructor(
    readonly settings: { readonly store: BlobStore; readonly bucket: string; readonly outputPrefix: string; readonly failurePrefix: string },
    private instances = 1,
  ) {}

  get backlog(): number {
    return this.waiting.length;
  }

  /** Instances now: with 0, invocations wait in the queue. */
  scaleTo(instances: number): void {
    this.instances = instances;
    this.drain();
  }

  /** Resolves once the queue has run dry (or waits for capacity). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Accepts one invocation; answers where its output and failure will be. */
  accept(container: Hono, request: { id: string; inputLocation: string; contentType: string; accept: string }): { outputLocation: string; failureLocation: string } {
    this.container = container;
    const uuid = randomUUID();
    const { bucket, outputPrefix, failurePrefix } = this.settings;
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(request.inputLocation);
    if (!match || match[1] !== bucket) throw new Error(`input ${request.inputLocation} is not in bucket ${bucket}`);
    const entry = {
      id: request.id,
      inputKey: match[2] as string,
      outputKey: `${outputPrefix}${uuid}.out`,
      failureKey: `${failurePrefix}${uuid}-error.out`,
      contentType: request.contentType,
      accept: request.accept,
    };
    this.accepted.push(request.id);
    this.waiting.push(entry);
    this.drain();
    return { outputLocation: `s3://${bucket}/${entry.outputKey}`, failureLocation: `s3://${bucket}/${entry.failureKey}` };
  }

  private drain(): void {
    if (this.draining || this.instances === 0 || this.waiting.length === 0) return;
    this.draining = (async () => {
      while (this.instances > 0 && this.waiting.length > 0) {
        const next = this.waiting.shift() as (typeof this.waiting)[number];
        await this.run(next);
      }
    })().finally(() => (this.draining = undefined));
  }

  private async run(entry: (typeof this.waiting)[number]): Promise<void> {
    const { store } = this.settings;
    const body = await store.get(entry.inputKey).catch(() => undefined);
    if (!body) {
      await store.put(entry.failureKey, new TextEncoder().encode(`input ${entry.inputKey} could not be read`));
    } else {
      const answer = await (this.container as Hono).fetch(
        new Request("http://container/invocations", { method: "POST", headers: { "content-type": entry.contentType, accept: entry.accept }, body: body as Uint8Array<ArrayBuffer> }),
      );
      const bytes = new Uint8Array(await answer.arrayBuffer());
      await store.put(answer.ok ? entry.outputKey : entry.failureKey, bytes);
    }
    this.completed.push(entry.id);
  }
}

export interface SageMakerFrontOptions {
  /** The endpoint hosts an inference component with these copies; absent, it is always in service. */
  readonly capacity?: InferenceComponentCapacity;
  /** The endpoint config's AsyncInferenceConfig: InvokeEndpointAsync goes to this queue; absent, it is refused. */
  readonly asyncInference?: AsyncInferenceQueue;
}

export function sageMakerFront(container: Hono, options: SageMakerFrontOptions = {}): Hono {
  const front = new Hono();
  front.post("/endpoints/:name/invocations", async (c) => {
    if (options.capacity && !options.capacity.admit(c.req.header("x-amzn-sagemaker-inference-component") ?? null)) {
      const reply = noCapacityReply();
      return new Response(reply.body, { status: reply.status, headers: reply.headers });
    }
    return container.fetch(new Request(new URL("/invocations", c.req.url), { method: "POST", headers: c.req.raw.headers, body: await c.req.arrayBuffer() }));
  });
  front.post("/endpoints/:name/async-invocations", async (c) => {
    const queue = options.asyncInference;
    const inputLocation = c.req.header("x-amzn-sagemaker-inputlocation");
    if (!queue || !inputLocation) {
      return c.json({ message: queue ? "InputLocation is required" : "Endpoint has no AsyncInferenceConfig" }, 400, {
        "x-amzn-errortype": "ValidationError:http://internal.amazon.com/coral/com.amazon.coral.validate/",
      });
    }
    const id = c.req.header("x-amzn-sagemaker-inference-id") ?? randomUUID();
    const where = queue.accept(container, {
      id,
      inputLocation,
      contentType: c.req.header("x-amzn-sagemaker-content-type") ?? "application/octet-stream",
      accept: c.req.header("x-amzn-sagemaker-accept") ?? "*/*",
    });
    return c.json({ InferenceId: id }, 202, { "x-amzn-sagemaker-outputlocation": where.outputLocation, "x-amzn-sagemaker-failurelocation": where.failureLocation });
  });
  front.get("/ping", (c) => container.fetch(new Request(new URL("/ping", c.req.url))));
  return front;
}
