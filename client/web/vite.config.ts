import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = path.resolve(__dirname);

// The SDK modules the portal imports are browser-safe except for file helpers they also export
// (keystore files, bid salts); those Node modules resolve to a stub that throws if ever called.
const nodeStub = path.join(here, "src", "lib", "node-stub.ts");

export default defineConfig({
  root: here,
  base: "/",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^node:(fs|fs\/promises|path|os|crypto)$/, replacement: nodeStub }],
  },
  build: {
    outDir: path.join(here, "dist"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // siwe's dependency apg-js starts its modules with a misspelt 'use strict;' that bundling drops.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  server: { port: 5173 },
});
