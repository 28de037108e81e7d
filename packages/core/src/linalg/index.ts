export * from "./cholesky.js";
export * from "./matrix.js";
export * from "./qr.js";
export * from "./svd.js";
