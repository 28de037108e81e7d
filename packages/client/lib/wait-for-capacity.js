/**
 * The API's own Retry-After when an answer names none (core's RETRY_AFTER_SECONDS: the client
 * package stands alone, so it keeps its copy, and a test keeps the two equal).
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** The API's answer while the GPU scales from zero (503, Retry-After): the inference backend's rule, as clients see its code. */
export const SCALING_FROM_ZERO = "backend.scaling-from-zero";
const realClock = {
    now: () => performance.now(),
    // Plain timers (a browser has no node:timers): rejects with the caller's own reason, as fetch does.
    sleep: (ms, signal) => new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
/** The error body's code and details, when the reply is the API's JSON error. */
async function errorOf(response) {
    const body = (await response
        .clone()
        .json()
        .catch(() => undefined));
    return body?.error;
}
/** Retry-After in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3), else the details' retryAfterSeconds, else core's default. */
function retryAfterMs(response, details) {
    const header = response.headers.get("retry-after")?.trim();
    if (header && /^\d+$/.test(header))
        return Number(header) * 1000;
    const date = header ? Date.parse(header) : Number.NaN;
    if (Number.isFinite(date))
        return Math.max(0, date - Date.now());
    const own = details.retryAfterSeconds;
    return (typeof own === "number" && own > 0 ? own : DEFAULT_RETRY_AFTER_SECONDS) * 1000;
}
/**
 * A fetch that waits out a GPU scaling from zero, for any client of the API (the CLI's, a typed
 * client: `createClient(url, key, { fetch: waitForCapacity(fetch, { deadlineMs }) })`): when the API
 * answers 503 backend.scaling-from-zero, it waits the answer's Retry-After and sends the same request
 * again (same body: an uploaded image is kept for it), until the API answers anything else or the
 * deadline passes; then the last answer is returned as it is. The caller's abort signal stops the wait.
 */
export function waitForCapacity(fetchImpl, options) {
    const clock = options.clock ?? realClock;
    return async (input, init) => {
        // A Request holds the body, so each attempt sends its own copy of it.
        const request = new Request(input, init);
        const started = clock.now();
        for (let attempt = 1;; attempt++) {
            const response = await fetchImpl(request.clone());
            if (response.status !== 503)
                return response;
            const error = await errorOf(response);
            if (error?.code !== SCALING_FROM_ZERO)
                return response;
            const waitedMs = clock.now() - started;
            const leftMs = options.deadlineMs - waitedMs;
            if (leftMs <= 0)
                return response;
            const details = typeof error.details === "object" && error.details !== null ? error.details : {};
            const retryInMs = Math.min(retryAfterMs(response, details), leftMs);
            await response.body?.cancel();
            options.onWait?.({ attempt, waitedMs, deadlineMs: options.deadlineMs, retryInMs, details });
            await clock.sleep(retryInMs, request.signal);
        }
    };
}
