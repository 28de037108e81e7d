import { createHash } from "node:crypto";
import type { peft } from "@semla/core";
import { describe, expect, it } from "vitest";
import { sourceObjectKey } from "../testing/fixtures.js";
import type { AdapterSource } from "../types.js";
import { catManifestSha256, mixtureSha256 } from "./names.js";

/** A config written out by hand, so the manifest's canonical JSON below is a specification. */
const config: peft.PeftLoraConfig = {
  peft_type: "LORA",
  r: 2,
  lora_alpha: 4,
  target_modules: ["q"],
  use_rslora: false,
  fan_in_fan_out: false,
  base_model_name_or_path: null,
  rank_pattern: {},
  alpha_pattern: {},
  use_dora: false,
  bias: "none",
  lora_bias: false,
  modules_to_save: null,
};
const canonicalConfig =
  '{"alpha_pattern":{},"base_model_name_or_path":null,"bias":"none","fan_in_fan_out":false,"lora_alpha":4,"lora_bias":false,' +
  '"modules_to_save":null,"peft_type":"LORA","r":2,"rank_pattern":{},"target_modules":["q"],"use_dora":false,"use_rslora":false}';
const manifest: AdapterSource[] = [
  { sha256: "a".repeat(64), objectKey: sourceObjectKey("a".repeat(64)), config, weight: 0.5 },
  { sha256: "b".repeat(64), objectKey: sourceObjectKey("b".repeat(64)), config, weight: 0.25 },
];

describe("cat manifest sha256", () => {
  it("is the sha256 of a canonical JSON of the sources in order (stable across runs)", () => {
    const canonical =
      `{"combination":"cat","sources":[{"config":${canonicalConfig},"sha256":"${"a".repeat(64)}","weight":0.5},` +
      `{"config":${canonicalConfig},"sha256":"${"b".repeat(64)}","weight":0.25}],"version":1}`;
    expect(catManifestSha256(manifest)).toBe(createHash("sha256").update(canonical).digest("hex"));
    expect(catManifestSha256(manifest)).toBe("a5fb883d7bf52613fd256ad86039aa9ecb03ddb6c69554d9e5b5410425ee3178");
  });

  it("depends on the order of the sources and their weights, not on key order or object keys", () => {
    const sha = catManifestSha256(manifest);
    expect(catManifestSha256([manifest[1]!, manifest[0]!])).not.toBe(sha);
    expect(catManifestSha256([manifest[0]!, { ...manifest[1]!, weight: 0.26 }])).not.toBe(sha);
    const reordered = Object.fromEntries(Object.entries(config).reverse()) as peft.PeftLoraConfig;
    expect(catManifestSha256(manifest.map((s) => ({ ...s, config: reordered })))).toBe(sha);
    expect(catManifestSha256(manifest.map((s) => ({ ...s, objectKey: `elsewhere/${s.sha256}.safetensors` })))).toBe(sha);
  });
});

describe("mixture sha256", () => {
  it("names a cat mixture as its manifest, and tells the fusion options and configs apart", () => {
    const sha = catManifestSha256(manifest);
    expect(mixtureSha256({ sources: manifest, options: { combination: "cat" } })).toBe(sha);
    expect(mixtureSha256({ sources: manifest, options: { combination: "linear" } })).not.toBe(sha);
    const ties = mixtureSha256({ sources: manifest, options: { combination: "ties", density: 0.5, majoritySign: "total" } });
    expect(mixtureSha256({ sources: manifest, options: { combination: "ties", density: 0.6, majoritySign: "total" } })).not.toBe(ties);
    expect(mixtureSha256({ sources: manifest.map((s) => ({ ...s, config: { ...config, lora_alpha: 8 } })), options: { combination: "cat" } })).not.toBe(sha);
  });
});
