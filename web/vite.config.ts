// `npm run build:web`: the page of web/ and everything it runs (engine, bridge, simulator, documents)
// as a static folder, dist/web/, that any static file host serves. Relative URLs (base './'), so the
// folder works under any path. Node's modules are replaced by their browser counterparts as package.json
// "browser" says (tools/vite-browser-field.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { browserField, browserWorkers } from '../tools/vite-browser-field.js';
import { ISOLATION_HEADERS } from '../engine/platform/isolation.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Vite warns once per Node built-in a bundled module imports (the guard thread, DDS, serial devices,
// extension workers, MuJoCo's Node branch: about fifty lines). These modules are meant to touch them
// only where a page never goes, which tests/browser-page.test.ts checks by running the page. Said
// once with the importers' count, so that a warning of another kind stands out; --logLevel still holds.
const externalized = new Set<string>();
const quietExternals: Plugin = {
  name: 'flux-externalized-summary',
  configResolved(config) {
    const warn = config.logger.warn.bind(config.logger);
    config.logger.warn = (message, options) => {
      const m = /Module "([^"]+)" has been externalized for browser compatibility, imported by "([^"]+)"/.exec(message);
      if (m) externalized.add(m[2]);
      else warn(message, options);
    };
  },
  closeBundle() {
    if (externalized.size)
      this.warn?.(`${externalized.size} bundled modules import Node built-ins, bundled empty (see README: Flux in a browser tab)`);
  },
};

export default defineConfig({
  root: join(root, 'web'),
  base: './',
  plugins: [browserField(root), quietExternals],
  // Node's path module is POSIX paths in a page (its documents' namespace): pathe is that module for browsers.
  resolve: { alias: { 'node:path': 'pathe', path: 'pathe' } },
  build: {
    outDir: join(root, 'dist', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    // The page is one program: the simulator (10 MB of WebAssembly) and the engine load together.
    chunkSizeWarningLimit: 20_000,
    // Dawn's Node addon: a page has navigator.gpu instead.
    // Two pages: the IDE (index.html, web/ide.ts) and the plain run (run.html, web/run.ts).
    rollupOptions: { external: ['webgpu'], input: { index: join(root, 'web', 'index.html'), run: join(root, 'web', 'run.html') } },
  },
  worker: browserWorkers(root),
  preview: { headers: ISOLATION_HEADERS },
  server: { headers: ISOLATION_HEADERS },
});
