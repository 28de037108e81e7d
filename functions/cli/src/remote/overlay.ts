import sharp from "sharp";

/** Distinct colours for class indices (a fixed palette, so a class keeps its colour across images). */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
];

/** The image with each pixel tinted by its class's colour (half and half), as a PNG at the mask's size. */
export async function overlayPng(image: Uint8Array, maskPng: Uint8Array, alpha = 0.5): Promise<Uint8Array> {
  const mask = await sharp(maskPng).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const { width, height } = mask.info;
  // rotate(): the mask is at the EXIF-oriented size, as the service decoded the image.
  const rgb = await sharp(image).rotate().resize(width, height, { fit: "fill" }).removeAlpha().toColourspace("srgb").raw().toBuffer();
  const out = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const colour = PALETTE[mask.data[p]! % PALETTE.length]!;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((1 - alpha) * rgb[p * 3 + c]! + alpha * colour[c]!);
  }
  return new Uint8Array(
    await sharp(out, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}
