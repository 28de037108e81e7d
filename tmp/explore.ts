import { readFile } from "node:fs/promises";
import { ClipEmbedder } from "@semla/inference";
import { createPgliteAdapterIndex } from "@semla/registry";
import { createFsBlobStore } from "@semla/storage";
import { ensureWorldLibrary, encodedSamples, WORLD_DEMO } from "@semla/world";
const dir = "/tmp/cov17-world";
const index = await createPgliteAdapterIndex({ dataDir: `${dir}/db` });
const store = createFsBlobStore({ root: `${dir}/blobs` });
const w = await ensureWorldLibrary({ dataDir: dir, index, store, tenant: "t", onProgress: console.log });
const ads = (await index.listAdapters("t", { libraryId: w.library.id, limit: 100, status: "active" } as any)) as any;
const list = (ads.items ?? ads) as any[];
const C = new Map<string, Float32Array>(list.map((a: any) => [a.name, a.centroid]));
const d = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
const emb = await ClipEmbedder.fromPack(w.models, { workers: 1 });
console.log("domain  looNN  trainSpread(mean,max) testOwn(mean,max) testNearestOther(min)");
for (const [name, c] of C) {
  const loo = Math.min(...[...C].filter(([n]) => n !== name).map(([, o]) => d(c, o)));
  const train = await encodedSamples(WORLD_DEMO, 7, name, "train", WORLD_DEMO.trainImages);
  const te = await emb.embed(train.map((s) => s.png));
  const sp = te.map((e) => d(e, c));
  const tests = await Promise.all(w.testImages.filter((t) => t.domain === name).map((t) => readFile(t.path)));
  const ee = await emb.embed(tests);
  const own = ee.map((e) => d(e, c));
  const other = ee.map((e) => Math.min(...[...C].filter(([n]) => n !== name).map(([, o]) => d(e, o))));
  const f = (xs: number[]) => `${(xs.reduce((a, b) => a + b) / xs.length).toFixed(3)},${Math.max(...xs).toFixed(3)}`;
  console.log(name.padEnd(14), loo.toFixed(3), f(sp), f(own), Math.min(...other).toFixed(3), f(other));
}
await emb.close();
