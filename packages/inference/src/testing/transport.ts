// Test fixtures (not exported from the package): a PNG. Small adapters: @semla/adapters/testing.

/** A 1x1 greyscale PNG (valid signature and chunks). */
export const ONE_PIXEL_PNG = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UWCgAAAABJRU5ErkJggg==", "base64"));
