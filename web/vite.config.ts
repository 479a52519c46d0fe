// `npm run build:web`: the page of web/ and everything it runs (engine, bridge, simulator, documents)
// as a static folder, dist/web/, that any static file host serves. Relative URLs (base './'), so the
// folder works under any path. Node's modules are replaced by their browser counterparts as package.json
// "browser" says (tools/vite-browser-field.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserField } from '../tools/vite-browser-field.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Cross-origin isolation (SharedArrayBuffer, threads): what a host should send with the page (see
// the README); `vite preview` sends them too. Without them the engine runs on one thread, as it does now.
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: join(root, 'web'),
  base: './',
  plugins: [browserField(root)],
  build: {
    outDir: join(root, 'dist', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    // The page is one program: the simulator (10 MB of WebAssembly) and the engine load together.
    chunkSizeWarningLimit: 20_000,
    // Dawn's Node addon: a page has navigator.gpu instead.
    rollupOptions: { external: ['webgpu'] },
  },
  preview: { headers: ISOLATION_HEADERS },
  server: { headers: ISOLATION_HEADERS },
});
