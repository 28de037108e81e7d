import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesSource, fusion, type LoraAdapter, numpy, peft } from "@semla/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../app.js";
import { type RunningServer, startServer } from "../server.js";
import { type E2eStack, startE2eStack } from "../testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, tinyAdapterFiles } from "../testing/fixtures.js";

/**
 * Reads a safetensors file with Python's standard library (not the project's reader): every tensor's
 * name, dtype and shape, and the __metadata__.
 */
const PY_SAFETENSORS = `
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
meta = header.pop('__metadata__', {})
print(json.dumps({'tensors': {k: [v['dtype'], v['shape']] for k, v in header.items()}, 'metadata': meta}))
`;

/** POST /v1/fuse through the real HTTP API (PostgreSQL + pgvector, s3rver, the reference endpoint). */
describe("a fused adapter to take away (POST /v1/fuse)", () => {
  let stack: E2eStack;
  let key: string;
  let libraryId: string;
  let dimension: number;
  const sources: Record<string, { id: string; files: peft.PeftFiles; adapter: LoraAdapter }> = {};
  const post = (path: string, body: unknown, url = stack.url) =>
    fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const errorOf = async (response: Response) => {
    const body = (await response.json()) as { error: { code: string; message: string; details: Record<string, unknown> } };
    return [response.status, body.error.code, body.error];
  };
  /** The zip's two files, the adapter read back by core's PEFT reader, and the safetensors as Python reads it. */
  async function unzip(response: Response) {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="fused-adapter.zip"');
    const zip = numpy.readZip(new Uint8Array(await response.arrayBuffer()));
    expect(zip.names()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    const config = JSON.parse(new TextDecoder().decode(await zip.read("adapter_config.json"))) as Record<string, unknown>;
    const weights = await zip.read("adapter_model.safetensors");
    const adapter = await peft.readLoraAdapter({ config, weights: bytesSource(weights) });
    const file = join(mkdtempSync(join(tmpdir(), "semla-fuse-")), "adapter_model.safetensors");
    writeFileSync(file, weights);
    const python = spawnSync("/usr/bin/python3", ["-c", PY_SAFETENSORS, file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(python.stderr).toBe("");
    const read = JSON.parse(python.stdout) as { tensors: Record<string, [string, number[]]>; metadata: Record<string, string> };
    return { config, adapter, ...read };
  }

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint") });
    ({ key } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await post("/v1/libraries", { name: "fuse", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension });
    libraryId = ((await created.json()) as { id: string }).id;
    for (const [name, seed, rank] of [
      ["fog", 1, 2],
      ["rain", 2, 3],
      ["snow", 3, 2],
    ] as const) {
      const files = tinyAdapterFiles(stack.models, seed, rank);
      const response = await fetch(`${stack.url}/v1/adapters`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: adapterForm({ libraryId, name, files, centroid: JSON.stringify(axis(dimension, seed)) }),
      });
      expect(response.status).toBe(201);
      const { adapter } = (await response.json()) as { adapter: { id: string } };
      sources[name] = { id: adapter.id, files, adapter: await peft.readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) }) };
    }
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("fog:0.7 and rain (by id):0.3, cat, answer a PEFT folder: keys base_model.model.<module>.lora_A.weight [r, in] and lora_B.weight [out, r], equal to the in-process fusion", async () => {
    const fused = await unzip(
      await post("/v1/fuse", {
        libraryId,
        adapters: [
          { adapter: "fog", weight: 0.7 },
          { adapter: sources.rain!.id, weight: 0.3 },
        ],
      }),
    );
    const expected = fusion.fuseAdapters(
      [
        { adapter: sources.fog!.adapter, weight: 0.7 },
        { adapter: sources.rain!.adapter, weight: 0.3 },
      ],
      { combination: "cat" },
    );
    // cat: rank 2 + 3, each source's alpha/r and weight folded into the factors, so lora_alpha = r.
    expect(fused.config).toMatchObject({ peft_type: "LORA", r: 5, lora_alpha: 5, use_rslora: false, bias: "none", fan_in_fan_out: false, base_model_name_or_path: BASE_MODEL });
    expect(fused.config.target_modules).toEqual(expected.config.target_modules);
    const modules = stack.models.segmenter!.loraModules;
    expect(Object.keys(fused.tensors).sort()).toEqual(modules.flatMap((m) => [`base_model.model.${m.name}.lora_A.weight`, `base_model.model.${m.name}.lora_B.weight`]).sort());
    for (const m of modules) {
      expect(fused.tensors[`base_model.model.${m.name}.lora_A.weight`]).toEqual(["F32", [5, m.inFeatures]]);
      expect(fused.tensors[`base_model.model.${m.name}.lora_B.weight`]).toEqual(["F32", [m.outFeatures, 5]]);
    }
    expect(fused.adapter.modules.map((m) => [m.name, m.rank, m.scaling, [...m.a], [...m.b]])).toEqual(expected.modules.map((m) => [m.name, m.rank, 1, [...m.a], [...m.b]]));
    expect(fused.metadata.format).toBe("pt");
    expect(JSON.parse(fused.metadata["semla.plan"]!)).toEqual({
      libraryId,
      fusion: { combination: "cat" },
      adapters: [
        { id: sources.fog!.id, name: "fog", version: 1, weight: 0.7, distance: null, similarity: null },
        { id: sources.rain!.id, name: "rain", version: 1, weight: 0.3, distance: null, similarity: null },
      ],
      plan: null,
    });
    expect(fused.metadata["semla.mixture"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an embedding routes as /v1/route routes it: the plan in the metadata is the route's, and svd with rank 2 gives rank 2", async () => {
    const embedding = axis(dimension, 2).map((x, i) => x + (i === 1 ? 0.5 : 0));
    const options = { k: 2, temperature: 0.5 };
    const routed = (await (await post("/v1/route", { libraryId, embedding, options })).json()) as { plan: { adapters: { id: string; weight: number }[] } };
    expect(routed.plan.adapters.map((a) => a.id)).toEqual([sources.rain!.id, sources.fog!.id]);
    const fused = await unzip(await post("/v1/fuse", { libraryId, embedding, options: { ...options, fusion: { combination: "svd", rank: 2 } } }));
    const metadata = JSON.parse(fused.metadata["semla.plan"]!) as { plan: unknown; fusion: unknown; adapters: { id: string; weight: number }[] };
    expect(metadata.plan).toEqual(routed.plan);
    expect(metadata.fusion).toEqual({ combination: "svd", rank: 2 });
    expect(metadata.adapters.map((a) => [a.id, a.weight])).toEqual(routed.plan.adapters.map((a) => [a.id, a.weight]));
    expect(fused.config).toMatchObject({ r: 2, lora_alpha: 2 });
  });

  it.each([
    ["nothing to fuse", {}, "api.invalid-request"],
    ["an embedding and adapters", { embedding: axis(16, 0), adapters: [{ adapter: "fog", weight: 1 }] }, "api.invalid-request"],
    ["routing options with given adapters", { adapters: [{ adapter: "fog", weight: 1 }], options: { k: 2 } }, "api.invalid-request"],
    ["a weight over the limit", { adapters: [{ adapter: "fog", weight: 1001 }] }, "api.invalid-request"],
    ["an unknown combination", { adapters: [{ adapter: "fog", weight: 1 }], options: { fusion: { combination: "mean" } } }, "api.invalid-request"],
    [
      "the same adapter twice",
      {
        adapters: [
          { adapter: "fog", weight: 0.5 },
          { adapter: "fog", weight: 0.5 },
        ],
      },
      "pipeline.invalid-options",
    ],
  ])("%s answers 400 %s", async (_label, body, code) => {
    const [status, actual] = await errorOf(await post("/v1/fuse", { libraryId, ...body }));
    expect([status, actual]).toEqual([400, code]);
  });

  it("a routed fusion with every adapter excluded answers 400 pipeline.nothing-to-fuse", async () => {
    const [status, code] = await errorOf(await post("/v1/fuse", { libraryId, embedding: axis(dimension, 1), options: { exclude: ["fog", "rain", "snow"] } }));
    expect([status, code]).toEqual([400, "pipeline.nothing-to-fuse"]);
  });

  it("an unknown adapter name answers 404 registry.unknown-adapter, and another tenant's library 404 too", async () => {
    const [status, code] = await errorOf(await post("/v1/fuse", { libraryId, adapters: [{ adapter: "hail", weight: 1 }] }));
    expect([status, code]).toEqual([404, "registry.unknown-adapter"]);
    const other = await stack.tenant();
    const response = await fetch(`${stack.url}/v1/fuse`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.key}`, "content-type": "application/json" },
      body: JSON.stringify({ libraryId, adapters: [{ adapter: "fog", weight: 1 }] }),
    });
    expect(response.status).toBe(404);
  });

  it("over the host's answer limit (Lambda's) answers 413 api.answer-too-large naming the size, the rank and the ways out", async () => {
    let small: RunningServer | undefined;
    try {
      small = await startServer(createApp({ ...stack.services, answerLimitBytes: 10_000 }), { port: 0 });
      const [status, code, error] = await errorOf(await post("/v1/fuse", { libraryId, adapters: [{ adapter: "fog", weight: 1 }] }, small.url));
      const size = (await (await post("/v1/fuse", { libraryId, adapters: [{ adapter: "fog", weight: 1 }] })).arrayBuffer()).byteLength;
      expect([status, code]).toEqual([413, "api.answer-too-large"]);
      expect(error).toMatchObject({ details: { bytes: size, limit: 10_000, rank: 2 } });
      expect((error as { message: string }).message).toContain(`the fused adapter is ${size} bytes (rank 2, `);
      expect((error as { message: string }).message).toContain("options.fusion");
    } finally {
      await small?.close();
    }
  });
});
