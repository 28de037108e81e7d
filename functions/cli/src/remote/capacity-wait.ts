import { type CapacityWait, type Client, createClient, SCALING_FROM_ZERO, waitForCapacity } from "@semla/api";
import { isSemlaError, SemlaError } from "@semla/core";
import { type Connection, reaching } from "./connection.js";

/** How long `semla segment` waits for a GPU scaling from zero unless --wait (or SEMLA_WAIT_SECONDS) says otherwise. */
export const DEFAULT_WAIT_SECONDS = 600;
export const WAIT_ENV = "SEMLA_WAIT_SECONDS";

const seconds = (ms: number) => Math.round(ms / 1000);

/** Where the answer came from, as the API's details name it: "endpoint semla, inference component semla-segmenter". */
function where(details: Readonly<Record<string, unknown>>): string {
  const endpoint = typeof details.endpointName === "string" ? `endpoint ${details.endpointName}` : "the endpoint";
  return typeof details.inferenceComponentName === "string" ? `${endpoint}, inference component ${details.inferenceComponentName}` : endpoint;
}

/**
 * One progress line: redrawn in place every second on a terminal, a line per retry otherwise (logs).
 * "waiting for the GPU to scale from zero: 45 s of 600 s… (endpoint semla, inference component x; next try in 15 s)"
 */
function progressLine(stream: NodeJS.WriteStream) {
  let timer: NodeJS.Timeout | undefined;
  let shown = false;
  const text = (waitedMs: number, deadlineMs: number, nextTryMs: number, details: CapacityWait["details"]) =>
    `waiting for the GPU to scale from zero: ${seconds(waitedMs)} s of ${seconds(deadlineMs)} s… (${where(details)}; next try in ${seconds(nextTryMs)} s)`;
  return {
    onWait(wait: CapacityWait) {
      shown = true;
      clearInterval(timer);
      if (!stream.isTTY) {
        stream.write(`${text(wait.waitedMs, wait.deadlineMs, wait.retryInMs, wait.details)}\n`);
        return;
      }
      const startedAt = performance.now() - wait.waitedMs;
      const nextAt = performance.now() + wait.retryInMs;
      const draw = () => stream.write(`\r${text(performance.now() - startedAt, wait.deadlineMs, Math.max(0, nextAt - performance.now()), wait.details)}\u001b[K`);
      draw();
      timer = setInterval(draw, 1000);
      timer.unref();
    },
    finish(line?: string) {
      clearInterval(timer);
      if (!shown) return;
      if (stream.isTTY) stream.write("\n");
      if (line) stream.write(`${line}\n`);
    },
  };
}

/**
 * Sends one request through a client that waits out a GPU scaling from zero (the API's 503
 * backend.scaling-from-zero): it resends after each Retry-After, with a progress line, until the API
 * answers otherwise or `waitSeconds` pass (0: not at all). Past the deadline, a clear error (exit 1).
 */
export async function whileScalingFromZero<T>(connection: Connection, waitSeconds: number, send: (client: Client) => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (waitSeconds === 0) return send(connection.client);
  const progress = progressLine(stream);
  const started = performance.now();
  const client = createClient(connection.url, connection.apiKey, { fetch: waitForCapacity(reaching(connection.url), { deadlineMs: waitSeconds * 1000, onWait: progress.onWait }) });
  try {
    const result = await send(client);
    progress.finish(`the GPU is up (after ${seconds(performance.now() - started)} s)`);
    return result;
  } catch (error) {
    progress.finish();
    if (isSemlaError(error) && error.code === SCALING_FROM_ZERO) {
      throw new SemlaError(
        "cli.gpu-wait-expired",
        `the GPU did not scale from zero within ${waitSeconds} s (${where(error.details)}); try again in a few minutes, or wait longer with --wait SECONDS (or ${WAIT_ENV})`,
        { waitSeconds, ...error.details },
      );
    }
    throw error;
  }
}
