// Test helper: what SageMaker does in front of a container, reduced to routing. The SDK posts to
// /endpoints/<name>/invocations; the container serves /invocations. Its health check goes to /ping.
import { Hono } from "hono";

export function sageMakerFront(container: Hono): Hono {
  const front = new Hono();
  front.post("/endpoints/:name/invocations", async (c) =>
    container.fetch(new Request(new URL("/invocations", c.req.url), { method: "POST", headers: c.req.raw.headers, body: await c.req.arrayBuffer() })),
  );
  front.get("/ping", (c) => container.fetch(new Request(new URL("/ping", c.req.url))));
  return front;
}
