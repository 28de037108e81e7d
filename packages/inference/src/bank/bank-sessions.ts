import { SizedLru } from "@semla/storage";
import { BankError } from "./errors.js";

/**
 * The endpoint's bank sessions: one per active library, named by (library, generation), built in
 * the background the first time a plan names a generation newer than the one held, while requests
 * keep using the generation already held (a request for the new generation is answered without a
 * bank until it is ready: ready() is null). When the new one is ready it replaces the old, which
 * closes once its running batches end. Ready sessions are kept by an LRU under a memory budget
 * (each session's bytes: its model and its bank); the least recently used is evicted and closed.
 * A failed build is not retried for `retryAfterMs`.
 */

export interface BankSessionLike {
  close(): Promise<void>;
}

export interface BuiltBank<S extends BankSessionLike> {
  readonly session: S;
  /** Memory the session holds (model weights and bank), counted against the budget. */
  readonly bytes: number;
}

export interface BankSessionsOptions<S extends BankSessionLike> {
  readonly build: (library: string, generation: number) => Promise<BuiltBank<S>>;
  readonly maxBytes: number;
  /** Default 60 s. */
  readonly retryAfterMs?: number;
  /** Told of each build that failed (default: nothing; the endpoint logs it). */
  readonly onBuildError?: (error: unknown, bank: { readonly library: string; readonly generation: number }) => void;
  readonly now?: () => number;
}

interface Held<S> {
  readonly generation: number;
  readonly session: S;
}

export interface BankSessionsStats {
  readonly ready: number;
  readonly building: number;
  readonly bytes: number;
  readonly builds: number;
  readonly evictions: number;
}

export class BankSessions<S extends BankSessionLike> {
  private readonly held: SizedLru<string, Held<S>>;
  private readonly building = new Map<string, { generation: number; done: Promise<void> }>();
  private readonly failed = new Map<string, { generation: number; at: number }>();
  private counts = { builds: 0, evictions: 0 };
  private closed = false;
  /** Libraries ever held (the LRU cannot be iterated): close() looks each up. */
  private readonly libraries = new Set<string>();

  constructor(private readonly options: BankSessionsOptions<S>) {
    this.held = new SizedLru(options.maxBytes, (_library, held) => {
      this.counts.evictions++;
      void held.session.close();
    });
  }

  get stats(): BankSessionsStats {
    return { ready: this.held.count, building: this.building.size, bytes: this.held.size, ...this.counts };
  }

  /** The library's session at `generation` if it is ready; otherwise null, and a build started when the generation is newer than any held or building. */
  ready(library: string, generation: number): S | null {
    if (this.closed) throw new BankError("closed", "the bank sessions are closed");
    const held = this.held.get(library);
    if (held?.generation === generation) return held.session;
    if (held && held.generation > generation) return null; // a stale plan: its bank is gone
    const building = this.building.get(library);
    if (building && building.generation >= generation) return null;
    const failure = this.failed.get(library);
    const now = this.options.now ?? Date.now;
    if (failure && failure.generation === generation && now() - failure.at < (this.options.retryAfterMs ?? 60_000)) return null;
    this.start(library, generation);
    return null;
  }

  /** Resolves when the library's build under way (if any) has settled. */
  async settled(library: string): Promise<void> {
    await this.building.get(library)?.done;
  }

  private start(library: string, generation: number): void {
    this.counts.builds++;
    const done = (async () => {
      try {
        const built = await this.options.build(library, generation);
        const current = this.building.get(library);
        // A newer generation started meanwhile, or the sessions closed: this one is not kept.
        if (this.closed || current?.generation !== generation) {
          await built.session.close();
          return;
        }
        if (built.bytes > this.options.maxBytes) {
          await built.session.close();
          throw new BankError("build-failed", `the bank of ${library} at generation ${generation} needs ${built.bytes} bytes, over the ${this.options.maxBytes}-byte budget`, {
            library,
            generation,
            bytes: built.bytes,
          });
        }
        const previous = this.held.get(library);
        this.held.set(library, { generation, session: built.session }, built.bytes);
        this.libraries.add(library);
        this.failed.delete(library);
        if (previous) void previous.session.close();
      } catch (error) {
        this.failed.set(library, { generation, at: (this.options.now ?? Date.now)() });
        this.options.onBuildError?.(error, { library, generation });
      } finally {
        if (this.building.get(library)?.generation === generation) this.building.delete(library);
      }
    })();
    this.building.set(library, { generation, done });
  }

  /** Closes every ready session (after its running batches); builds under way close theirs when they end. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.building.values()].map((b) => b.done));
    const sessions: S[] = [];
    for (const library of this.libraries) {
      const held = this.held.get(library);
      if (held) sessions.push(held.session);
      this.held.delete(library);
    }
    await Promise.all(sessions.map((s) => s.close()));
  }
}
