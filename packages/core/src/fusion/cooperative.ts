/**
 * Runs a step generator to completion, either at once or giving the event loop a turn whenever a
 * time slice is used up, so fusion inside a server does not stall other requests.
 */
export function runToCompletion<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

export async function runCooperatively<T>(steps: Generator<unknown, T>, sliceMs: number, signal?: AbortSignal): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    signal?.throwIfAborted();
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
}
