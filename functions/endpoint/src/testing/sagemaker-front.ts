// Test helper: what SageMaker does in front of a container, reduced to routing. The SDK posts to
// /endpoints/<name>/invocations; the container serves /invocations. Its health check goes to /ping.
// With an inference component, the front also answers as SageMaker does while it has no copies.
import { noCapacityReply } from "@semla/inference/testing";
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

export interface SageMakerFrontOptions {
  /** The endpoint hosts an inference component with these copies; absent, it is always in service. */
  readonly capacity?: InferenceComponentCapacity;
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
  front.get("/ping", (c) => container.fetch(new Request(new URL("/ping", c.req.url))));
  return front;
}
