import { libraryPrefix } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";

/**
 * Issue 11's adapter-config findings, each as the exact request through the real HTTP API (PostgreSQL
 * + pgvector, s3rver, the reference endpoint): hostile PEFT patterns, patterns RE2 cannot run, configs
 * nested thousands deep and a negative lora_alpha are 400s, refused before anything is stored, and
 * the server keeps answering. No timings are asserted: a hang is caught by vitest's timeout.
 */
describe("adapter configs through the HTTP API (issue 11)", () => {
  let stack: E2eStack;
  let key: string;
  let libraryId: string;
  let dimension: number;
  const call = async (method: string, path: string, options: { body?: unknown; raw?: FormData | string; contentType?: string } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    let body: FormData | string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (options.contentType ?? (options.body !== undefined ? "application/json" : undefined)) headers["content-type"] = options.contentType ?? "application/json";
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const errorOf = (reply: { status: number; body?: Record<string, any> }) => [reply.status, reply.body?.error?.code];
  const baseConfig = () => JSON.parse(new TextDecoder().decode(asBytes(tinyAdapterFiles(stack.models, 1).config))) as Record<string, unknown>;
  const upload = (name: string, config: Record<string, unknown> | string, seed = 1) => {
    const files = tinyAdapterFiles(stack.models, seed);
    return call("POST", "/v1/adapters", {
      raw: adapterForm({
        libraryId,
        name,
        files: { config: typeof config === "string" ? config : JSON.stringify(config), weights: files.weights },
        centroid: JSON.stringify(axis(dimension, seed % dimension)),
      }),
    });
  };
  const beginUpload = (name: string, config: unknown) =>
    call("POST", "/v1/adapters/uploads", { body: { libraryId, name, config, centroid: axis(dimension, 0), weightsBytes: tinyAdapterFiles(stack.models, 1).weights.byteLength } });
  /** Nothing stored: no adapter row of any status under `name`, no object in the library, no upload. */
  const expectNothingStored = async (name: string) => {
    expect((await call("GET", `/v1/adapters?libraryId=${libraryId}&name=${name}`)).body!.items).toEqual([]);
    // Pending rows are never listed: ask the registry, as the sweep does.
    expect((await stack.services.index.stalePending(new Date(Date.now() + 3_600_000))).filter((row) => row.name === name)).toEqual([]);
    expect(await keysUnder(stack.store, libraryPrefix(libraryId))).toEqual([]);
    expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
  };

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint") });
    ({ key } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { body: { name: "patterns", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension } });
    expect(created.status).toBe(201);
    libraryId = created.body!.id;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('an upload whose target_modules is "(?:[a-z_.]+)+Y" answers 400 and the server still answers /healthz', async () => {
    const [reply, health] = await Promise.all([upload("hostile", { ...baseConfig(), target_modules: "(?:[a-z_.]+)+Y" }), call("GET", "/healthz")]);
    // RE2 runs it in linear time: it matches none of the modules the weights hold.
    expect(errorOf(reply)).toEqual([400, "adapter.untargeted-module"]);
    expect(reply.body!.error.details.module).toBe("sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.k_proj");
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await call("GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    await expectNothingStored("hostile");
  });

  it.each([
    ["an invalid regex", "(", "not a valid regular expression: missing closing ): ("],
    ["a{1000000000}", "a{1000000000}", "repeat count {1000000000} is over RE2's limit of 1000"],
    ["a lookahead", "^(?!.*mlp).*_proj", "negative lookahead ((?!…) is not supported: patterns run on a linear-time (RE2) engine, which cannot look around"],
  ])("the start of a presigned upload with %s as target_modules answers 400 adapter.pattern: no pending row, no upload", async (_label, pattern, reason) => {
    const reply = await beginUpload("presigned", { ...baseConfig(), target_modules: pattern });
    expect(errorOf(reply)).toEqual([400, "adapter.pattern"]);
    expect(reply.body!.error.details).toEqual({ rule: "pattern", field: "target_modules", pattern, reason });
    await expectNothingStored("presigned");
  });

  it("a backreference in a rank_pattern key is refused at the start of a presigned upload and in a direct upload", async () => {
    const config = { ...baseConfig(), rank_pattern: { "(attn)\\.\\1": 4 } };
    for (const reply of [await beginUpload("backref", config), await upload("backref", config)]) {
      expect(errorOf(reply)).toEqual([400, "adapter.pattern"]);
      expect(reply.body!.error.details).toMatchObject({ field: "rank_pattern", pattern: "(attn)\\.\\1", reason: expect.stringMatching(/^backreferences/) });
    }
    await expectNothingStored("backref");
  });

  it("a config nested 10,000 deep answers 400 adapter.config-too-deep, uploaded or declared for a presigned upload", async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const text = JSON.stringify(baseConfig()).replace(/}$/, `,"extra":${deep}}`);
    const direct = await upload("deep", text);
    expect(errorOf(direct)).toEqual([400, "adapter.config-too-deep"]);
    expect(direct.body!.error.details).toEqual({ rule: "config-too-deep", depth: 33, limit: 32 });
    const presigned = await call("POST", "/v1/adapters/uploads", {
      raw: `{"libraryId":${JSON.stringify(libraryId)},"name":"deep","config":${text},"centroid":${JSON.stringify(axis(dimension, 0))},"weightsBytes":100}`,
      contentType: "application/json",
    });
    expect(errorOf(presigned)).toEqual([400, "adapter.config-too-deep"]);
    await expectNothingStored("deep");
  });

  it("a negative lora_alpha answers 400 adapter.config-invalid naming lora_alpha", async () => {
    for (const reply of [await upload("negative", { ...baseConfig(), lora_alpha: -4 }), await beginUpload("negative", { ...baseConfig(), lora_alpha: -4 })]) {
      expect(errorOf(reply)).toEqual([400, "adapter.config-invalid"]);
      expect(reply.body!.error.details.issues).toEqual([{ path: "lora_alpha", message: "lora_alpha must be a positive number (the update is scaled by alpha / r)" }]);
    }
    await expectNothingStored("negative");
  });

  it("a matching variant of the hostile pattern (in target_modules, rank_pattern and alpha_pattern) registers, and the adapter loads for a segment", async () => {
    // On a backtracking engine the first alternative of each never returns on these module names.
    const config = {
      ...baseConfig(),
      target_modules: "(?:[a-z_.]+)+Y|(?:[a-z0-9_.]+)+(?:proj|c_fc)",
      rank_pattern: { "(?:[a-z_.]+)+Y": 8, "(?:[a-z0-9_]+\\.?)+_proj": 2 },
      alpha_pattern: { "(?:[a-z_.]+)+Y": 1, "(?:[a-z0-9_]+\\.?)+c_fc": 4 },
    };
    const registered = await upload("variant", config, 3);
    expect(registered).toMatchObject({ status: 201, body: { created: true, adapter: { name: "variant", rank: 2, status: "active" } } });
    const image = Buffer.from(await pngImage(32, 24, [90, 140, 60])).toString("base64");
    for (let i = 0; i < 2; i++) {
      const segment = await call("POST", "/v1/segment", { body: { libraryId, image, classNames: ["field", "sky"], options: { mode: "adapter", adapter: "variant" } } });
      expect(segment).toMatchObject({ status: 200, body: { mode: "adapter", contributions: [{ name: "variant", weight: 1 }] } });
    }
    expect(await call("GET", "/healthz")).toMatchObject({ status: 200 });
  });
});

function asBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === "string" ? new TextEncoder().encode(value) : value;
}
