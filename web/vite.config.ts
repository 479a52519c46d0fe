// `npm run build:web`: the page of web/ and everything it runs (engine, bridge, simulator, documents)
// as a static folder, dist/web/, that any static file host serves. Relative URLs (base './'), so the
// folder works under any path. Node's modules are replaced by their browser counterparts as package.json
// "browser" says (tools/vite-browser-field.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, defineConfig } from 'vite';
import { browserField } from '../tools/vite-browser-field.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Cross-origin isolation (SharedArrayBuffer, threads): what a host should send with the page (see
// the README); `vite preview` sends them too. Without them the engine runs on one thread, as it does now.
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Vite warns once per Node built-in a bundled module imports (~50: the guard thread, DDS, serial
// devices, extension workers, MuJoCo's Node branch). Expected: those modules touch them only where a
// page never goes (README, Flux in a browser tab). Counted here and said once, so that a new warning
// of another kind stands out.
const logger = createLogger();
const warn = logger.warn.bind(logger);
const externalized = new Set<string>();
logger.warn = (message, options) => {
  const m = /Module "([^"]+)" has been externalized for browser compatibility, imported by "([^"]+)"/.exec(message);
  if (m) externalized.add(m[2]);
  else warn(message, options);
};
const summary = {
  name: 'flux-externalized-summary',
  closeBundle() {
    if (externalized.size)
      logger.info(`${externalized.size} bundled modules import Node built-ins (empty in a page; used only where a page never goes)`);
  },
};

export default defineConfig({
  customLogger: logger,
  root: join(root, 'web'),
  base: './',
  plugins: [browserField(root), summary],
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
