import { defineConfig } from "vite";

/** Built to dist/ and served by the API under /console/: relative URLs (a path prefix in front of the API keeps working), no inline scripts, nothing from elsewhere. */
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, modulePreload: { polyfill: false }, assetsInlineLimit: 0, target: "es2022" },
});
