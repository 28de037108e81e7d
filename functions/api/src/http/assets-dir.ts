import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where static files the API serves are (the /docs assets, the console's build): `within` the
 * installed package `pkg`, else the copy a bundle carries in `bundled/` beside its code (the API's
 * Lambda bundle: infra/bundle.ts copies them there; `marker` must be in it); undefined where neither is.
 */
export function assetsDir(pkg: string, within: string, bundled: { readonly folder: string; readonly marker: string }): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), within);
  } catch {
    const dir = fileURLToPath(new URL(`./${bundled.folder}/`, import.meta.url));
    return existsSync(path.join(dir, bundled.marker)) ? dir : undefined;
  }
}
