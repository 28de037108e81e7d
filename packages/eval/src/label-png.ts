import sharp from "sharp";

export interface LabelMap {
  readonly labels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Decodes an 8-bit label PNG (pixel value = class index, 255 = ignore), as datasets ship them and as
 * the service returns its mask. Colour PNGs are refused: a palette rendering is not a label map.
 */
export async function decodeLabelPng(bytes: Uint8Array): Promise<LabelMap> {
  const image = sharp(bytes, { failOn: "error" });
  const meta = await image.metadata();
  if (meta.format !== "png") throw new TypeError(`a label map must be a PNG, got ${meta.format ?? "an unknown format"}`);
  if (meta.depth !== "uchar") throw new TypeError(`a label map must have 8-bit values, got ${meta.depth}`);
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  // Grey, or grey+alpha, or palette PNGs that sharp expands: the index is the first channel only when every channel agrees.
  const labels = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const v = data[i * info.channels]!;
    for (let c = 1; c < Math.min(info.channels, 3); c++) {
      if (data[i * info.channels + c] !== v) throw new TypeError("a label map must be greyscale (one class index per pixel), not a colour image");
    }
    labels[i] = v;
  }
  return { labels, width: info.width, height: info.height };
}
