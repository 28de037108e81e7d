export { parsePreprocessorConfig } from "./hugging-face.js";
export { type ImagePreprocessing, ImagePreprocessingSchema, preprocessedSize } from "./image-preprocessing.js";
