// TEMPORARY stand-in until the preprocessing slice lands (replaced on merge).
export type { ImagePreprocessing } from "../pack/image-preprocessing.js";

import type { ImagePreprocessing } from "../pack/image-preprocessing.js";

export function parsePreprocessorConfig(_json: unknown, _options: { file: string }): ImagePreprocessing {
  throw new Error("preprocessor_config.json support lands with the preprocessing slice");
}
