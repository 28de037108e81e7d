export * from "./matrix.js";
export * from "./qr.js";
export * from "./svd.js";
export * from "./cholesky.js";
