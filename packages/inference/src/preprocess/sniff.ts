/**
 * Image format from the file's leading bytes. The decoder only hands libvips the formats it
 * accepts, so a GIF, TIFF, SVG or PDF is refused by its signature before any parser sees it
 * (SVG and PDF would otherwise be rendered by librsvg / poppler).
 */

export type AcceptedImageFormat = "jpeg" | "png" | "webp";

export const ACCEPTED_IMAGE_FORMATS: readonly AcceptedImageFormat[] = ["jpeg", "png", "webp"];

/** Formats recognised only to be refused with their name. */
export type RefusedImageFormat = "gif" | "tiff" | "bmp" | "ico" | "svg" | "pdf" | "heif" | "avif" | "jxl" | "jp2" | "psd" | "qoi";

export type SniffedFormat = AcceptedImageFormat | RefusedImageFormat;

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[offset + i] !== signature[i]) return false;
  return true;
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

// ISO-BMFF brands (bytes 8..12 after "ftyp") that mean AVIF; the other image brands are HEIF.
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

/** The format named by `bytes`' signature, or null when it is none this module knows. */
export function sniffImageFormat(bytes: Uint8Array): SniffedFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "webp";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "gif";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return "tiff";
  if (startsWith(bytes, ascii("BM"))) return "bmp";
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return "ico";
  if (startsWith(bytes, ascii("%PDF"))) return "pdf";
  if (startsWith(bytes, ascii("8BPS"))) return "psd";
  if (startsWith(bytes, ascii("qoif"))) return "qoi";
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return "jxl";
  if (startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) {
    return "jp2";
  }
  if (startsWith(bytes, ascii("ftyp"), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (AVIF_BRANDS.has(brand)) return "avif";
    if (HEIF_BRANDS.has(brand)) return "heif";
  }
  if (looksLikeSvg(bytes)) return "svg";
  return null;
}

/** SVG is text: an `<svg` element near the start (after an XML prolog, comments or a doctype). */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder("utf-8", { fatal: false })
    .decode(bytes.subarray(0, 4096))
    .replace(/^\uFEFF/, "")
    .trimStart();
  return head.startsWith("<") && /<svg[\s>]/i.test(head);
}
