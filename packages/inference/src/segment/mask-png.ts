import sharp from "sharp";

/** An 8-bit single-channel (greyscale) PNG of a label mask: pixel value = class index. */
export async function encodeMaskPng(mask: { readonly labels: Uint8Array; readonly width: number; readonly height: number }): Promise<Uint8Array> {
  const png = await sharp(mask.labels, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace("b-w")
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
