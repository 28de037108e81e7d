import { describe, expect, it } from "vitest";
import * as names from "./tensor-names.js";

// The one place the literal names appear outside tensor-names.ts: they are a Hugging Face / optimum
// export's, and a real model only fits if they stay so.
describe("tensor names", () => {
  it("are a standard export's, the segmentation model sharing the image and text names", () => {
    expect(names.CLIP_VISION_INPUT).toBe("pixel_values");
    expect(names.CLIP_VISION_OUTPUT).toBe("image_embeds");
    expect(names.TEXT_ENCODER_INPUT_IDS).toBe("input_ids");
    expect(names.TEXT_ENCODER_ATTENTION_MASK).toBe("attention_mask");
    expect(names.TEXT_ENCODER_OUTPUT).toBe("text_embeds");
    expect(names.SEGMENTATION_PIXELS).toBe("pixel_values");
    expect(names.SEGMENTATION_TEXT).toBe("text_embeds");
    expect(names.SEGMENTATION_OUTPUT).toBe("logits");
    expect(names.SEGMENTATION_FEATURES).toBe("patch_features");
  });

  it("name a module's LoRA inputs as PEFT names its weights, less the base_model.model. prefix", () => {
    expect(names.loraInputNames("blocks.0.attn.q_proj")).toEqual({
      a: "blocks.0.attn.q_proj.lora_A.weight",
      b: "blocks.0.attn.q_proj.lora_B.weight",
      rank: "blocks.0.attn.q_proj.rank",
    });
  });
});
