import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Nothing for oidc-rp-wasm: Vite 8 copies its .wasm into the build (and serves it in dev) by itself.
export default defineConfig({
  plugins: [react()],
});
