import { createPrng, numpy, type Prng } from "@semla/core";
import { hostileString, int, type Mutated, mutateSafetensors, nestedJson, pick, wrongValue } from "./mutate.js";

/**
 * The fuzz suite's cases: seeded requests over every upload and JSON route of the API. Each case is
 * a short script of requests sent through `send`, which checks every answer (no 5xx, bounded time,
 * the JSON error shape); a case's label names what it mutated, and its number replays it.
 */
export interface FuzzRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** A path on the API, or an absolute URL (a presigned PUT). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | FormData;
  /** Whether to send the API key (default true; presigned PUTs carry their own authorisation). */
  readonly auth?: boolean;
}

export interface FuzzReply {
  readonly status: number;
  readonly body: unknown;
}

export type Send = (request: FuzzRequest) => Promise<FuzzReply>;

/** What the cases mutate: a library with adapters, and valid files to start from. */
export interface FuzzWorld {
  readonly libraryId: string;
  readonly dimension: number;
  readonly adapterIds: readonly string[];
  readonly adapterNames: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly weights: Uint8Array;
  readonly centroid: readonly number[];
  readonly image: Uint8Array;
  /** Adapters the cases registered (2xx): each must be readable afterwards. */
  readonly registered: string[];
  /** Uploads granted and then left unused, as a client may: the bucket's lifecycle rule expires them. */
  readonly abandonedUploads: string[];
}

export interface FuzzCase {
  readonly route: string;
  readonly label: string;
  run(send: Send): Promise<void>;
}

type Generator = (prng: Prng, world: FuzzWorld) => FuzzCase;

const json = (body: unknown): Pick<FuzzRequest, "headers" | "body"> => ({ headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

const HOSTILE_PATTERNS = [
  "(?:[a-z_.]+)+Y",
  "(a+)+$",
  "(a|a)*b",
  "(?:(?:(?:.*)*)*)*Z",
  "a{1000000000}",
  "(?<=x)q_proj",
  "(q)\\1",
  "(?=q)q_proj",
  "[",
  "*",
  "(",
  "x".repeat(20_000),
  `${"(".repeat(2000)}a${")".repeat(2000)}`,
  ".*",
];

/** A valid config with one field broken: wrong types, hostile patterns, bad numbers, deep nesting. */
function mutateConfig(prng: Prng, valid: Readonly<Record<string, unknown>>): Mutated<unknown> {
  const config: Record<string, unknown> = structuredClone(valid) as Record<string, unknown>;
  const kind = int(prng, 0, 11);
  if (kind === 0) {
    config.target_modules = pick(prng, HOSTILE_PATTERNS);
    return { value: config, label: `target_modules ${String(config.target_modules).slice(0, 40)}` };
  }
  if (kind === 1) {
    config.rank_pattern = { [pick(prng, HOSTILE_PATTERNS)]: 4 };
    return { value: config, label: "hostile rank_pattern key" };
  }
  if (kind === 2) {
    config.alpha_pattern = { [pick(prng, HOSTILE_PATTERNS)]: pick(prng, [4, -4, 0]) };
    return { value: config, label: "hostile alpha_pattern" };
  }
  if (kind === 3) {
    config.lora_alpha = pick(prng, [-8, 0, -0.5, 1e308, "8", null]);
    return { value: config, label: `lora_alpha ${JSON.stringify(config.lora_alpha)}` };
  }
  if (kind === 4) {
    config.r = pick(prng, [0, -2, 1.5, 1e9, 2 ** 31, "2", null]);
    return { value: config, label: `r ${JSON.stringify(config.r)}` };
  }
  if (kind === 5) {
    const field = pick(prng, Object.keys(config));
    const wrong = wrongValue(prng);
    config[field] = wrong.value;
    return { value: config, label: `${field}: ${wrong.label}` };
  }
  if (kind === 6) {
    const field = pick(prng, Object.keys(config));
    delete config[field];
    return { value: config, label: `${field} removed` };
  }
  if (kind === 7) {
    config.target_modules = Array.from({ length: int(prng, 1, 5) }, () => hostileString(prng).value);
    return { value: config, label: "target_modules list of hostile strings" };
  }
  if (kind === 8) {
    config[pick(prng, ["use_dora", "modules_to_save", "layers_to_transform", "bias"])] = pick(prng, [true, ["x"], [0], "all"]);
    return { value: config, label: "unsupported LoRA feature" };
  }
  if (kind === 9) {
    config.rank_pattern = Object.fromEntries(Array.from({ length: int(prng, 100, 5000) }, (_, i) => [`m${i}`, 2]));
    return { value: config, label: "thousands of rank_pattern keys" };
  }
  if (kind === 10) {
    config.base_model_name_or_path = hostileString(prng).value;
    return { value: config, label: "hostile base model name" };
  }
  return { value: pick(prng, [null, [], "config", 42]), label: "config not an object" };
}

/** The config as file text: usually JSON, sometimes not (deep nesting, BOM, truncation, binary). */
function configText(prng: Prng, valid: Readonly<Record<string, unknown>>): Mutated<string | Uint8Array> {
  const kind = int(prng, 0, 9);
  if (kind === 0) return { value: nestedJson(int(prng, 1000, 100_000), pick(prng, ["array", "object"])), label: "deeply nested config" };
  if (kind === 1) return { value: JSON.stringify(valid).slice(0, int(prng, 0, 40)), label: "truncated config JSON" };
  if (kind === 2) return { value: `\ufeff${JSON.stringify(valid)}`, label: "config with BOM" };
  if (kind === 3) return { value: new Uint8Array(int(prng, 1, 256)).map(() => int(prng, 0, 255)), label: "binary config" };
  if (kind === 4) return { value: `{"target_modules": ${nestedJson(int(prng, 1000, 50_000), "array")}, "r": 2, "lora_alpha": 2, "peft_type": "LORA"}`, label: "config with a deep field" };
  const mutated = mutateConfig(prng, valid);
  return { value: JSON.stringify(mutated.value), label: mutated.label };
}

function centroidField(prng: Prng, world: FuzzWorld): Mutated<string | { name: string; bytes: Uint8Array }> {
  const d = world.dimension;
  const kind = int(prng, 0, 9);
  if (kind === 0) return { value: JSON.stringify(world.centroid.slice(0, int(prng, 0, d - 1))), label: "centroid too short" };
  if (kind === 1) return { value: JSON.stringify([...world.centroid, ...world.centroid]), label: "centroid too long" };
  if (kind === 2) return { value: pick(prng, ["[NaN]", "[1e309]", "null", "{}", '"x"', "[[1]]", "[]", ""]), label: "centroid not numbers" };
  if (kind === 3) return { value: nestedJson(int(prng, 1000, 100_000), "array"), label: "centroid deeply nested" };
  if (kind === 4) return { value: JSON.stringify(new Array(d).fill(0)), label: "zero centroid" };
  if (kind === 5) {
    const npy = numpy.writeNpy([d], Float32Array.from(world.centroid));
    const out = npy.slice(0, int(prng, 0, npy.length - 1));
    return { value: { name: "centroid.npy", bytes: out }, label: "truncated .npy" };
  }
  if (kind === 6) {
    const npy = numpy.writeNpy([d], Float32Array.from(world.centroid)).slice();
    for (let i = 0; i < 4; i++) npy[int(prng, 0, 127)] = int(prng, 0, 255);
    return { value: { name: "centroid.npy", bytes: npy }, label: "corrupted .npy header" };
  }
  if (kind === 7) return { value: { name: "centroid.npz", bytes: new Uint8Array(int(prng, 0, 512)).map(() => int(prng, 0, 255)) }, label: "random .npz" };
  return { value: JSON.stringify(world.centroid.map((v) => v * (1 + (prng.next() - 0.5) * 0.01))), label: "valid centroid" };
}

function multipart(
  world: FuzzWorld,
  fields: {
    libraryId?: string;
    name: string;
    config: string | Uint8Array;
    weights: Uint8Array;
    centroid?: string | { name: string; bytes: Uint8Array };
    images?: readonly { name: string; bytes: Uint8Array }[];
  },
): FormData {
  const form = new FormData();
  form.set("libraryId", fields.libraryId ?? world.libraryId);
  form.set("name", fields.name);
  form.set("config", new Blob([fields.config]), "adapter_config.json");
  form.set("weights", new Blob([fields.weights]), "adapter_model.safetensors");
  if (typeof fields.centroid === "string") form.set("centroid", fields.centroid);
  else if (fields.centroid) form.set("centroid", new Blob([fields.centroid.bytes]), fields.centroid.name);
  for (const image of fields.images ?? []) form.append("images", new Blob([image.bytes]), image.name);
  return form;
}

/** Remembers a registration the API acknowledged, to check it afterwards. */
function acknowledge(world: FuzzWorld, reply: FuzzReply): void {
  if (reply.status !== 200 && reply.status !== 201) return;
  const id = (reply.body as { adapter?: { id?: string } } | undefined)?.adapter?.id;
  if (id) world.registered.push(id);
}

const uniqueName = (prng: Prng) => `fuzz-${Math.floor(prng.next() * 2 ** 32).toString(16)}`;

/** Sample images for a centroid: mostly broken ones, sometimes more than the bound. */
function sampleImages(prng: Prng, world: FuzzWorld): Mutated<{ name: string; bytes: Uint8Array }[]> {
  const count = pick(prng, [1, 2, 3, int(prng, 60, 70)]);
  const images = Array.from({ length: count }, (_, i) => {
    const field = imageField(prng, world).value;
    const bytes = typeof field === "string" ? Buffer.from(field, "base64") : world.image;
    return { name: pick(prng, [`s${i}.png`, hostileString(prng).value]), bytes: new Uint8Array(bytes) };
  });
  return { value: images, label: `${count} sample images` };
}

const uploadAdapter: Generator = (prng, world) => {
  const part = int(prng, 0, 4);
  const weights = part === 0 ? mutateSafetensors(prng, world.weights) : { value: world.weights, label: "valid weights" };
  const config = part === 1 ? configText(prng, world.config) : { value: JSON.stringify(world.config), label: "valid config" };
  const centroid = part === 2 ? centroidField(prng, world) : { value: JSON.stringify(world.centroid), label: "valid centroid" };
  const name = part === 3 ? hostileString(prng) : { value: uniqueName(prng), label: "" };
  const images = part === 4 ? sampleImages(prng, world) : undefined;
  return {
    route: "POST /v1/adapters",
    label: [weights.label, config.label, images ? images.label : centroid.label, name.label].filter(Boolean).join(", "),
    async run(send) {
      const fields = { name: name.value, config: config.value, weights: weights.value, ...(images ? { images: images.value } : { centroid: centroid.value }) };
      const reply = await send({ method: "POST", path: "/v1/adapters", body: multipart(world, fields) });
      acknowledge(world, reply);
    },
  };
};

const presignedUpload: Generator = (prng, world) => {
  const part = int(prng, 0, 4);
  const config = part === 0 ? mutateConfig(prng, world.config) : { value: world.config, label: "" };
  const name = part === 1 ? hostileString(prng) : { value: uniqueName(prng), label: "" };
  const weights = part === 3 ? mutateSafetensors(prng, world.weights) : { value: world.weights, label: "" };
  // The signature fixes the size, so the body PUT is always of the declared size.
  const declaredBytes = part === 2 ? wrongValue(prng) : { value: weights.value.length, label: "" };
  const centroid = part === 4 ? pick(prng, [[], [Number.MAX_VALUE], world.centroid.slice(1), "x", null]) : world.centroid;
  const label = [config.label, name.label, declaredBytes.label && `weightsBytes ${declaredBytes.label}`, weights.label, part === 4 ? "bad centroid" : ""].filter(Boolean).join(", ");
  return {
    route: "POST /v1/adapters/uploads",
    label: label || "valid",
    async run(send) {
      const begun = await send({
        method: "POST",
        path: "/v1/adapters/uploads",
        ...json({ libraryId: world.libraryId, name: name.value, config: config.value, centroid, weightsBytes: declaredBytes.value }),
      });
      if (begun.status !== 201) return;
      const grant = begun.body as { uploadId: string; upload: { url: string; headers: Record<string, string> } };
      if (part === 2) {
        // Granted for an odd size: the client never sends it.
        world.abandonedUploads.push(grant.uploadId);
        return;
      }
      const put = await send({ method: "PUT", path: grant.upload.url, headers: grant.upload.headers, body: weights.value, auth: false });
      const completed = await send({ method: "POST", path: `/v1/adapters/uploads/${grant.uploadId}/complete` });
      acknowledge(world, completed);
      if (put.status >= 300 && completed.status === 400) {
        // The file never arrived (the store refused a body of another size): the client gives up.
        world.abandonedUploads.push(grant.uploadId);
      }
    },
  };
};

/** A PNG whose header declares the given size, with no pixel data (for header-first size checks). */
export function pngHeader(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, numpy.crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function imageField(prng: Prng, world: FuzzWorld): Mutated<unknown> {
  const kind = int(prng, 0, 7);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  if (kind === 0) {
    const [w, h] = pick(prng, [
      [39_000_000, 1],
      [1, 39_000_000],
      [100_000, 100_000],
      [0, 10],
      [65_535, 65_535],
      [2 ** 31 - 1, 1],
    ]) as [number, number];
    return { value: b64(pngHeader(w, h)), label: `PNG header ${w}×${h}` };
  }
  if (kind === 1) {
    const bytes = world.image.slice(0, int(prng, 0, world.image.length - 1));
    return { value: b64(bytes), label: "truncated PNG" };
  }
  if (kind === 2) {
    const bytes = world.image.slice();
    for (let i = 0; i < 8; i++) {
      const at = int(prng, 0, bytes.length - 1);
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    }
    return { value: b64(bytes), label: "corrupted PNG" };
  }
  if (kind === 3) return { value: pick(prng, ["", "!!!!", "a", "====", "YQ", `${b64(world.image)}!`, "\u0000"]), label: "not base64" };
  if (kind === 4) return wrongValue(prng);
  if (kind === 5) return { value: b64(new Uint8Array(int(prng, 1, 4096)).map(() => int(prng, 0, 255))), label: "random bytes" };
  if (kind === 6) return { value: b64(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg' width='99999' height='99999'/>")), label: "SVG" };
  return { value: b64(world.image), label: "valid image" };
}

function routeOptions(prng: Prng, world: FuzzWorld): Mutated<unknown> {
  const options: Record<string, unknown> = {};
  const field = pick(prng, ["k", "temperature", "metric", "exclude", "exact", "efSearch", "unknown", "whole"]);
  if (field === "whole") return { value: pick(prng, [null, [], "semla", 5]), label: "options not an object" };
  if (field === "exclude") {
    options.exclude = pick(prng, [[hostileString(prng).value], Array.from({ length: int(prng, 1000, 20_000) }, (_, i) => `a${i}`), [world.adapterIds[0], world.adapterNames[0]], [1, 2], "all"]);
    return { value: options, label: "exclude" };
  }
  const wrong = pick(prng, [wrongValue(prng), { value: pick(prng, [1e-12, 1e12, 64, 65, 100_000, 0.05, 5]), label: "edge number" }]);
  options[field] = wrong.value;
  return { value: options, label: `${field}: ${wrong.label}` };
}

const route: Generator = (prng, world) => {
  const part = int(prng, 0, 3);
  const embedding = part === 0 ? pick(prng, [world.centroid.slice(1), [...world.centroid, 0], new Array(world.dimension).fill(0), [], "x", [[1]], new Array(100_000).fill(0.5)]) : world.centroid;
  const options = part === 1 ? routeOptions(prng, world) : { value: { k: int(prng, 1, 6) }, label: "" };
  const image = part === 2 ? imageField(prng, world) : undefined;
  const libraryId = part === 3 ? hostileString(prng).value : world.libraryId;
  return {
    route: "POST /v1/route",
    label: [part === 0 ? "bad embedding" : "", options.label, image ? `image: ${image.label}` : "", part === 3 ? "hostile libraryId" : ""].filter(Boolean).join(", ") || "valid",
    async run(send) {
      await send({ method: "POST", path: "/v1/route", ...json({ libraryId, ...(image ? { image: image.value } : { embedding }), options: options.value }) });
    },
  };
};

function fusionOptions(prng: Prng): Mutated<unknown> {
  const combination = pick(prng, ["cat", "linear", "ties", "dare_linear", "dare_ties", "magnitude_prune", "svd", "nope", ""]);
  const kind = int(prng, 0, 3);
  if (kind === 0) return { value: { combination: "svd", rank: pick(prng, [300_000, 1_000_000, 2 ** 31, 0, -1, 1.5, 64, 8]) }, label: "svd rank" };
  if (kind === 1) return { value: { combination, density: pick(prng, [-1, 0, 1, 2, 0.5, "0.5"]) }, label: `${combination} density` };
  if (kind === 2) return { value: { combination, seed: pick(prng, [-1, 2 ** 40, 7]), majoritySign: pick(prng, ["total", "x"]), clamp: pick(prng, [0, 1, 0.99]) }, label: `${combination} options` };
  return { value: pick(prng, [null, "cat", { combination: { $ne: 1 } }]), label: "fusion not an object" };
}

const segment: Generator = (prng, world) => {
  const part = int(prng, 0, 4);
  const classNames =
    part === 0
      ? pick(prng, [
          [],
          ["road", "road"],
          ["road", ""],
          [hostileString(prng).value, "sky"],
          Array.from({ length: int(prng, 256, 5000) }, (_, i) => `class ${i}`),
          ["x".repeat(100_000)],
          "road",
          [1, 2],
        ])
      : ["road", "sky", "car"];
  const options =
    part === 1
      ? { value: { mode: pick(prng, ["semla", "uniform", "zeroshot", "adapter", "oracle"]), fusion: fusionOptions(prng).value }, label: "fusion" }
      : part === 2
        ? { value: { mode: "adapter", adapter: pick(prng, [hostileString(prng).value, world.adapterNames[0], world.adapterIds[0], "00000000-0000-0000-0000-000000000000"]) }, label: "adapter mode" }
        : part === 3
          ? routeOptions(prng, world)
          : { value: { k: 2 }, label: "" };
  const image = part === 4 ? imageField(prng, world) : { value: Buffer.from(world.image).toString("base64"), label: "" };
  return {
    route: "POST /v1/segment",
    label: [part === 0 ? "classNames" : "", options.label, image.label && `image: ${image.label}`].filter(Boolean).join(", ") || "valid",
    async run(send) {
      await send({ method: "POST", path: "/v1/segment", ...json({ libraryId: world.libraryId, image: image.value, classNames, options: options.value }) });
    },
  };
};

const embed: Generator = (prng, world) => {
  const image = imageField(prng, world);
  return {
    route: "POST /v1/embed",
    label: image.label,
    async run(send) {
      await send({ method: "POST", path: "/v1/embed", ...json({ image: image.value }) });
    },
  };
};

const library: Generator = (prng) => {
  const valid = { name: `lib-${Math.floor(prng.next() * 2 ** 32).toString(16)}`, baseModelId: "semla/segmentation-tiny", embeddingModelId: "clip-tiny", dimension: 16, metric: "euclidean" };
  const field = pick(prng, Object.keys(valid));
  const value = pick(prng, [wrongValue(prng), hostileString(prng)]);
  return {
    route: "POST /v1/libraries",
    label: `${field}: ${value.label}`,
    async run(send) {
      await send({ method: "POST", path: "/v1/libraries", ...json({ ...valid, [field]: value.value }) });
    },
  };
};

const imageUpload: Generator = (prng, world) => {
  const bytes = pick(prng, [wrongValue(prng), { value: pick(prng, [1, 1e12, 64 * 1024 * 1024 + 1]), label: "edge size" }]);
  const use = hostileString(prng);
  return {
    route: "POST /v1/uploads/images",
    label: `bytes ${bytes.label}, then imageUpload ${use.label}`,
    async run(send) {
      const granted = await send({ method: "POST", path: "/v1/uploads/images", ...json({ bytes: bytes.value }) });
      const uploadId = (granted.body as { uploadId?: string } | undefined)?.uploadId;
      if (granted.status === 201 && uploadId) world.abandonedUploads.push(uploadId);
      await send({ method: "POST", path: "/v1/embed", ...json({ imageUpload: use.value }) });
    },
  };
};

/** Percent-encoded; a lone surrogate becomes the bytes of its (invalid) UTF-8 encoding. */
function uriComponent(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text.replace(/[\ud800-\udfff]/g, "%ED%A0%80").replace(/[^%\w-]/g, (c) => encodeURIComponent(c));
  }
}

const query: Generator = (prng, world) => {
  const raw = pick(prng, [hostileString(prng), wrongValue(prng)]).value;
  const value = uriComponent(typeof raw === "string" ? raw : JSON.stringify(raw));
  const path = pick(prng, [
    `/v1/adapters?limit=${value}`,
    `/v1/adapters?cursor=${value}`,
    `/v1/adapters?status=${value}`,
    `/v1/adapters?name=${value}&libraryId=${world.libraryId}`,
    `/v1/adapters?libraryId=${value}`,
    `/v1/adapters/${value}`,
    `/v1/libraries/${value}`,
    `/v1/stats/contributions?libraryId=${value}`,
    `/v1/stats/contributions?libraryId=${world.libraryId}&since=${value}`,
    `/v1/adapters?name=${"n".repeat(int(prng, 1, 3)) + value}&cursor=${"c".repeat(int(prng, 1000, 20_000))}`,
  ]);
  const method = path.startsWith("/v1/adapters/") && prng.next() < 0.3 ? "DELETE" : "GET";
  return {
    route: `${method} ${path.split("?")[0]?.replace(value, "{x}")}`,
    label: path.length > 100 ? `${path.slice(0, 100)}… (${path.length} chars)` : path,
    async run(send) {
      await send({ method, path });
    },
  };
};

const malformedBody: Generator = (prng) => {
  const path = pick(prng, ["/v1/libraries", "/v1/route", "/v1/segment", "/v1/embed", "/v1/adapters/uploads", "/v1/uploads/images"]);
  const body = pick(prng, [
    { value: nestedJson(int(prng, 1000, 200_000), pick(prng, ["array", "object"])), label: "deeply nested JSON" },
    { value: '{"libraryId": "x", ', label: "truncated JSON" },
    { value: "\u0000\u0001", label: "binary" },
    { value: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}', label: "prototype keys" },
    { value: JSON.stringify({ libraryId: "\ud800", classNames: ["\u0000"], name: "\u0000" }), label: "lone surrogate and NUL" },
  ]);
  const contentType = pick(prng, ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]);
  return {
    route: `POST ${path}`,
    label: `${body.label} as ${contentType}`,
    async run(send) {
      await send({ method: "POST", path, headers: { "content-type": contentType }, body: body.value });
    },
  };
};

/** Weighted: uploads and segments, where most of the parsing is, come up most often. */
const GENERATORS: readonly [Generator, number][] = [
  [uploadAdapter, 30],
  [presignedUpload, 10],
  [segment, 15],
  [route, 12],
  [embed, 8],
  [library, 6],
  [imageUpload, 5],
  [query, 8],
  [malformedBody, 6],
];

/** `count` cases from `seed`: case i is the same for the same seed and world, whatever ran before it. */
export function fuzzCases(seed: number, count: number, world: FuzzWorld): FuzzCase[] {
  const total = GENERATORS.reduce((n, [, w]) => n + w, 0);
  return Array.from({ length: count }, (_, i) => {
    const prng = createPrng(seed, `case ${i}`);
    let roll = prng.next() * total;
    const generator =
      GENERATORS.find(([, w]) => {
        roll -= w;
        return roll < 0;
      })?.[0] ?? uploadAdapter;
    return generator(prng, world);
  });
}
