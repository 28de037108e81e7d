import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openNpz } from "./npz.js";
import { writeNpz } from "./npz-write.js";
import { readZip } from "./zip.js";

describe("writeNpz", () => {
  it("writes an archive openNpz reads back, keys in order", async () => {
    const mean = Float32Array.from({ length: 768 }, (_, i) => (i - 384) / 1000);
    const bytes = writeNpz({ train_average_embedding: { shape: [1, 768], data: mean }, count: { shape: [1], data: Float32Array.from([12]) } });
    const archive = openNpz(bytes);
    expect(archive.keys()).toEqual(["train_average_embedding", "count"]);
    expect(await archive.array("train_average_embedding")).toEqual({ shape: [1, 768], data: mean });
    expect(await archive.array("count")).toEqual({ shape: [1], data: Float32Array.from([12]) });
  });

  it("stores each member exactly as np.save writes it (same bytes as numpy's own archive member)", async () => {
    const numpyBytes = new Uint8Array(readFileSync(new URL("./reference/savez.npz", import.meta.url)));
    const embedding = await openNpz(numpyBytes).array("train_average_embedding");
    const ours = writeNpz({ train_average_embedding: embedding });
    const member = "train_average_embedding.npy";
    expect(await readZip(ours).read(member)).toEqual(await readZip(numpyBytes).read(member));
  });
});
