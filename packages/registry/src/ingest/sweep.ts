import { ADAPTERS_PREFIX } from "@semla/storage";
import type { RegistryDeps } from "./register.js";

export interface SweepOptions {
  /** Pending rows not updated for this long are abandoned uploads (default 15 min). */
  readonly pendingAfterMs?: number;
  /** Objects without a row are only removed once this old, so in-flight uploads are spared (default 15 min). */
  readonly orphanAfterMs?: number;
  readonly now?: Date;
}

export interface SweepReport {
  readonly pendingRemoved: number;
  readonly orphansRemoved: number;
}

/** Removes what a crash mid-registration can leave: stale pending rows (with their objects) and orphan objects. */
export async function sweep(deps: RegistryDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const now = options.now ?? new Date();
  const pendingBefore = new Date(now.getTime() - (options.pendingAfterMs ?? 15 * 60_000));
  const orphanBefore = new Date(now.getTime() - (options.orphanAfterMs ?? 15 * 60_000));

  let pendingRemoved = 0;
  for (const row of await deps.index.stalePending(pendingBefore)) {
    await deps.store.delete(row.objectKey);
    if (await deps.index.deleteAdapter(row.id)) pendingRemoved++;
  }
  let orphansRemoved = 0;
  for await (const blob of deps.store.list(ADAPTERS_PREFIX)) {
    if (blob.lastModified >= orphanBefore) continue;
    if (!(await deps.index.referencesObject(blob.key))) {
      await deps.store.delete(blob.key);
      orphansRemoved++;
    }
  }
  return { pendingRemoved, orphansRemoved };
}
