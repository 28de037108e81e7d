import { opendir, readFile } from "node:fs/promises";
import path from "node:path";

/** A named encoded image, as read from a folder or an upload. */
export interface ImageFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * The regular files of a folder (not recursive, hidden files skipped), in name order, read one at a
 * time as the iteration asks for them: a folder of thousands of photos is never held in memory.
 * Only the names are listed up front (sorted, so results do not depend on the file system's order).
 */
export async function* readImageFolder(folder: string): AsyncGenerator<ImageFile> {
  const names: string[] = [];
  for await (const entry of await opendir(folder)) {
    if (entry.isFile() && !entry.name.startsWith(".")) names.push(entry.name);
  }
  names.sort();
  for (const name of names) yield { name, bytes: new Uint8Array(await readFile(path.join(folder, name))) };
}
