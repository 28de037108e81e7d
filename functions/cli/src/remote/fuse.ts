import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { bytesSource, type fusion, LIMITS, numpy, SemlaError, safetensors } from "@semla/core";
import { bytes } from "../format.js";
import { type Connection, expectOk, imageField } from "./connection.js";
import { embeddingField, type RoutingFlags, routeOptions } from "./inference.js";
import { readWithProgress } from "./transfer.js";

/** What `semla fuse` fuses: an image or an embedding routed by the service, or adapters with weights. */
export type FuseTarget = { readonly imagePath: string } | { readonly embeddingPath: string } | { readonly adapters: readonly { adapter: string; weight: number }[] };

/**
 * `--adapters fog:0.7,rain:0.3` (ids or names, each with its weight) → the request's adapters; a
 * usage mistake (no weight, not a number, nothing given) is a SemlaError naming the item.
 */
export function parseAdapterWeights(text: string): { adapter: string; weight: number }[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new SemlaError("cli.invalid-adapters", "--adapters needs NAME:WEIGHT pairs, e.g. fog:0.7,rain:0.3");
  if (items.length > LIMITS.k) throw new SemlaError("cli.invalid-adapters", `--adapters names ${items.length} adapters; at most ${LIMITS.k} fuse at once`);
  return items.map((item) => {
    const at = item.lastIndexOf(":");
    const weight = at > 0 ? Number(item.slice(at + 1)) : Number.NaN;
    if (at <= 0 || item.slice(at + 1).trim() === "" || !Number.isFinite(weight)) {
      throw new SemlaError("cli.invalid-adapters", `--adapters item ${JSON.stringify(item)} is not NAME:WEIGHT (e.g. fog:0.7)`);
    }
    return { adapter: item.slice(0, at), weight };
  });
}

async function selection(connection: Connection, target: FuseTarget) {
  if ("adapters" in target) return { adapters: [...target.adapters] };
  if ("embeddingPath" in target) return embeddingField(target.embeddingPath);
  return imageField(connection, new Uint8Array(await readFile(target.imagePath)));
}

/**
 * `semla fuse --library ID (--image IMG | --embedding E.npy | --adapters a:0.7,b:0.3) --out DIR`:
 * the service's fused adapter, written as a PEFT folder (adapter_config.json, adapter_model.safetensors)
 * into DIR (made if missing); prints what was fused, with weights.
 */
export async function runFuse(connection: Connection, options: { libraryId: string; target: FuseTarget; fusion?: fusion.FusionOptionsInput | undefined; out: string } & RoutingFlags): Promise<void> {
  const routed = !("adapters" in options.target);
  const fuseOptions = { ...(routed ? routeOptions(options) : {}), ...(options.fusion ? { fusion: options.fusion } : {}) };
  const response = await connection.client.v1.fuse.$post({
    json: { libraryId: options.libraryId, ...(await selection(connection, options.target)), ...(Object.keys(fuseOptions).length > 0 ? { options: fuseOptions } : {}) },
  });
  if (!response.ok) await expectOk(response);
  const zip = numpy.readZip(await readWithProgress(response as unknown as Response, "downloading the fused adapter"));
  const config = await zip.read("adapter_config.json");
  const weights = await zip.read("adapter_model.safetensors");
  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, "adapter_config.json"), config);
  await writeFile(path.join(options.out, "adapter_model.safetensors"), weights);
  const header = await safetensors.readSafetensorsHeader(bytesSource(weights));
  const plan = JSON.parse(header.metadata?.["semla.plan"] ?? "{}") as { fusion?: { combination: string }; adapters?: { name: string; version: number; weight: number }[] };
  const { r } = JSON.parse(new TextDecoder().decode(config)) as { r: number };
  const parts = (plan.adapters ?? []).map((a) => `${a.name} v${a.version} ${a.weight.toFixed(4)}`).join(", ");
  console.log(`${plan.fusion?.combination ?? "?"} of ${parts} → rank ${r}, ${bytes(weights.byteLength)} → ${options.out}`);
}
