import { classColour, hex } from "@semla/console/palette";
import sharp from "sharp";

/** A class of the legend: its name and its share of the mask's pixels (the answer's scores, in mask-index order). */
export interface LegendEntry {
  readonly className: string;
  readonly pixelFraction: number;
}

/** The legend panel's row height and width (pixels); the image keeps its size to its left. */
const ROW = 20;
const LEGEND_WIDTH = 220;

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The mask's class indices (its first channel) and size. */
async function maskIndices(maskPng: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const mask = await sharp(maskPng).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: mask.data, width: mask.info.width, height: mask.info.height };
}

/** The mask in the console's colours (RGB PNG): each pixel its class's palette colour. */
export async function colourMaskPng(maskPng: Uint8Array): Promise<Uint8Array> {
  const { data, width, height } = await maskIndices(maskPng);
  const out = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) out.set(classColour(data[p]!), p * 3);
  return new Uint8Array(
    await sharp(out, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** The legend as SVG: a swatch, the class name and its pixel share per row. */
function legendSvg(legend: readonly LegendEntry[], height: number): string {
  const rows = legend.map(
    (entry, i) =>
      `<rect x="8" y="${8 + i * ROW}" width="14" height="14" fill="${hex(classColour(i))}" stroke="#000" stroke-opacity="0.3"/>` +
      `<text x="28" y="${19 + i * ROW}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#1b1f24">${escapeXml(entry.className)} ${(entry.pixelFraction * 100).toFixed(1)}%</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${LEGEND_WIDTH}" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/>${rows.join("")}</svg>`;
}

/**
 * The image at the mask's size with each pixel tinted by its class's colour (`alpha` of the colour,
 * the console's palette), and the legend (class, colour, pixel share) in a white panel to its right.
 */
export async function overlayPng(image: Uint8Array, maskPng: Uint8Array, legend: readonly LegendEntry[], alpha = 0.5): Promise<Uint8Array> {
  const { data, width, height } = await maskIndices(maskPng);
  // rotate(): the mask is at the EXIF-oriented size, as the service decoded the image.
  const rgb = await sharp(image).rotate().resize(width, height, { fit: "fill" }).removeAlpha().toColourspace("srgb").raw().toBuffer();
  const tinted = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const colour = classColour(data[p]!);
    for (let c = 0; c < 3; c++) tinted[p * 3 + c] = Math.round((1 - alpha) * rgb[p * 3 + c]! + alpha * colour[c]!);
  }
  const panelHeight = Math.max(height, 16 + legend.length * ROW);
  return new Uint8Array(
    await sharp({ create: { width: width + LEGEND_WIDTH, height: panelHeight, channels: 3, background: "#ffffff" } })
      .composite([
        { input: tinted, raw: { width, height, channels: 3 }, left: 0, top: 0 },
        { input: Buffer.from(legendSvg(legend, panelHeight)), left: width, top: 0 },
      ])
      .removeAlpha()
      .png()
      .toBuffer(),
  );
}
