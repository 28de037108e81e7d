/**
 * How long a loopback HTTP server's event loop stalls while it does `work` on request. The load
 * (N sequential /work requests, and /ping requests in a loop meanwhile) comes from a separate
 * process, so the server's event loop only carries the server's own work.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { percentile } from "./stats.js";

const CLIENT = `
const [base, requests] = [process.argv[1], Number(process.argv[2])];
const pings = [];
let running = true;
const pinger = (async () => {
  while (running) {
    const start = performance.now();
    await (await fetch(base + "/ping")).text();
    pings.push(performance.now() - start);
  }
})();
(async () => {
  for (let i = 0; i < requests; i++) await (await fetch(base + "/work")).text();
  running = false;
  await pinger;
  process.stdout.write(JSON.stringify(pings));
})();
`;

export interface StallResult {
  /** Longest event-loop delay of the server while the work ran (monitorEventLoopDelay, 1 ms resolution). */
  readonly maxStallMs: number;
  readonly p99StallMs: number;
  /** Latency of /ping as the other process saw it. */
  readonly pingP99Ms: number;
  readonly pings: number;
}

export async function measureServerStall(work: () => Promise<unknown> | unknown, requests: number): Promise<StallResult> {
  const server = createServer(async (request, response) => {
    if (request.url === "/work") await work();
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const child = spawn(process.execPath, ["-e", CLIENT, `http://127.0.0.1:${port}`, String(requests)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`load client exited with ${code}`)))));
  histogram.disable();
  server.closeAllConnections();
  server.close();
  const pings = (JSON.parse(output) as number[]).sort((a, b) => a - b);
  return { maxStallMs: histogram.max / 1e6, p99StallMs: histogram.percentile(99) / 1e6, pingP99Ms: percentile(pings, 99), pings: pings.length };
}
