export * from "./depth.js";
