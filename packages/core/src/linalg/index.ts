export * from "./cholesky.js";
export * from "./matrix.js";
export * from "./normalize.js";
export * from "./qr.js";
export * from "./svd.js";
