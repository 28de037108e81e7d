/**
 * The API's own Retry-After when an answer names none (core's RETRY_AFTER_SECONDS: the client
 * package stands alone, so it keeps its copy, and a test keeps the two equal).
 */
export declare const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** The API's answer while the GPU scales from zero (503, Retry-After): the inference backend's rule, as clients see its code. */
export declare const SCALING_FROM_ZERO = "backend.scaling-from-zero";
/** One wait, reported before it starts. */
export interface CapacityWait {
    /** Times the request was answered backend.scaling-from-zero so far (1 on the first wait). */
    readonly attempt: number;
    /** Since the request was first sent. */
    readonly waitedMs: number;
    readonly deadlineMs: number;
    /** Until the request is sent again: the answer's Retry-After, cut to the deadline. */
    readonly retryInMs: number;
    /** The answer's details: endpointName, inferenceComponentName, state, retryAfterSeconds. */
    readonly details: Readonly<Record<string, unknown>>;
}
export interface WaitForCapacityOptions {
    /** How long to keep sending the request again, in all; 0: never (the 503 is returned at once). */
    readonly deadlineMs: number;
    /** Called before each wait (a progress line). */
    readonly onWait?: (wait: CapacityWait) => void;
    /** Time, for tests; default the real one. */
    readonly clock?: {
        now(): number;
        sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
    };
}
/**
 * A fetch that waits out a GPU scaling from zero, for any client of the API (the CLI's, a typed
 * client: `createClient(url, key, { fetch: waitForCapacity(fetch, { deadlineMs }) })`): when the API
 * answers 503 backend.scaling-from-zero, it waits the answer's Retry-After and sends the same request
 * again (same body: an uploaded image is kept for it), until the API answers anything else or the
 * deadline passes; then the last answer is returned as it is. The caller's abort signal stops the wait.
 */
export declare function waitForCapacity(fetchImpl: typeof fetch, options: WaitForCapacityOptions): typeof fetch;
