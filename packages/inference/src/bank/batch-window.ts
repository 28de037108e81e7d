/**
 * Heterogeneous batching: requests that arrive within `windowMs` of the first one for the same key
 * (library bank, class names) run as one batch, each with its own item (image and plan). A batch is
 * closed when the window ends or it holds `maxBatch` items; windowMs 0 runs every request alone.
 *
 * Failure isolation, decided here: `run` settles each item on its own (an image that cannot be
 * decoded, a plan outside the bank, fails only its request); a request aborted while it waits leaves
 * the batch; and when the batched run itself fails, each item of a batch of several is run again
 * alone, so only the requests that fail on their own fail (one poisoned input cannot fail its
 * neighbours; a broken session fails them all, each with its own error).
 */

export interface BatchWindowOptions<K, I, R> {
  /** How long a batch waits for more requests after its first (ms); 0: no batching. */
  readonly windowMs: number;
  /** Most items in one batch. */
  readonly maxBatch: number;
  /** Runs one batch: a result per item, in order. */
  readonly run: (key: K, items: readonly I[]) => Promise<PromiseSettledResult<R>[]>;
  /** The key's identity for grouping (default: the key itself, for strings). */
  readonly keyOf?: (key: K) => string;
}

interface Waiting<I, R> {
  readonly item: I;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

interface OpenBatch<K, I, R> {
  readonly key: K;
  readonly waiting: Waiting<I, R>[];
  timer: ReturnType<typeof setTimeout> | null;
}

export interface BatchWindowStats {
  /** Batches run, and items in them (items / batches: the mean batch size). */
  readonly batches: number;
  readonly items: number;
  /** Batches whose run failed and were rerun item by item. */
  readonly split: number;
}

export class BatchWindow<K, I, R> {
  private readonly open = new Map<string, OpenBatch<K, I, R>>();
  private counts = { batches: 0, items: 0, split: 0 };

  constructor(private readonly options: BatchWindowOptions<K, I, R>) {
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be ≥ 0, got ${options.windowMs}`);
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
  }

  get stats(): BatchWindowStats {
    return { ...this.counts };
  }

  submit(key: K, item: I, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const id = this.options.keyOf ? this.options.keyOf(key) : String(key);
      let batch = this.open.get(id);
      if (!batch) {
        batch = { key, waiting: [], timer: null };
        this.open.set(id, batch);
        if (this.options.windowMs > 0) {
          const opened = batch;
          batch.timer = setTimeout(() => this.flush(id, opened), this.options.windowMs);
        }
      }
      batch.waiting.push({ item, signal, resolve, reject });
      if (this.options.windowMs === 0 || batch.waiting.length >= this.options.maxBatch) this.flush(id, batch);
    });
  }

  private flush(id: string, batch: OpenBatch<K, I, R>): void {
    if (this.open.get(id) === batch) this.open.delete(id);
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = null;
    const live = batch.waiting.filter((w) => {
      if (!w.signal?.aborted) return true;
      w.reject(w.signal.reason);
      return false;
    });
    if (live.length > 0) void this.runBatch(batch.key, live);
  }

  private async runBatch(key: K, waiting: readonly Waiting<I, R>[]): Promise<void> {
    this.counts.batches++;
    this.counts.items += waiting.length;
    let results: PromiseSettledResult<R>[];
    try {
      results = await this.options.run(
        key,
        waiting.map((w) => w.item),
      );
    } catch (error) {
      if (waiting.length === 1) {
        waiting[0]!.reject(error);
        return;
      }
      this.counts.split++;
      await Promise.all(waiting.map((w) => this.runBatch(key, [w])));
      return;
    }
    waiting.forEach((w, i) => {
      const result = results[i];
      if (!result) w.reject(new RangeError(`the batch gave ${results.length} results for ${waiting.length} items`));
      else if (result.status === "fulfilled") w.resolve(result.value);
      else w.reject(result.reason);
    });
  }
}
