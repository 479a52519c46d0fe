// The engine as a page (issue 21), for tests/browser-engine.test.ts and bench/browser.ts: the engine's
// sources bundled by Vite for the browser around tests/fixtures/browser-engine/main.ts, with Node's host
// replaced by the browser's as package.json "browser" asks, and a plain static server on loopback.
import { createServer } from 'node:http';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './networks.js';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { recordRun, type RecordedRun } from './record-run.js';
import { browserField, browserWorkers } from '../tools/vite-browser-field.js';

export { CHROMIUM } from '../tools/chromium.js';
import { CHROMIUM } from '../tools/chromium.js';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Writes the page into `dir`: index.html, engine.js (the bundle) and kernels.wasm (from the build). */
export async function buildEnginePage(dir: string): Promise<void> {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    // What package.json "browser" says for the built package, for the sources Vite bundles here.
    plugins: [browserField(ROOT)],
    worker: browserWorkers(ROOT),
    build: {
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(ROOT, 'tests/fixtures/browser-engine/main.ts'), formats: ['es'], fileName: () => 'engine.js' },
      // Dawn's Node addon: a page has navigator.gpu instead.
      rollupOptions: { external: ['webgpu'] },
    },
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><body><script type="module" src="./engine.js"></script></body>\n');
  copyFileSync(join(ROOT, 'dist/engine/backends/wasm/kernels.wasm'), join(dir, 'kernels.wasm'));
}

/** Writes what `npm run build:web` writes (web/vite.config.ts) into `dir` instead of dist/web. */
export async function buildWebPage(dir: string): Promise<void> {
  await build({
    configFile: join(ROOT, 'web/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: dir, emptyOutDir: true },
  });
}

/** Serves the files of `dir` (nothing outside it) on a loopback port, with `headers` on every answer. */
export async function serveDir(dir: string, headers: Record<string, string> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let file: string;
    try {
      file = resolve(dir, '.' + decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/\/$/, '/index.html'));
    } catch {
      return void res.writeHead(400).end();
    }
    if (relative(dir, file).startsWith('..') || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Opens the page at `url` in headless Chromium and waits until its engine is loaded (throws with the page's errors). */
export async function openEnginePage(url: string, args: string[] = []): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', ...args] });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 }).catch(async () => {
    await browser.close();
    throw new Error(`the page did not start: ${errors.join('; ') || 'no error reported'}`);
  });
  return { browser, page };
}

/** The same document run in Node, as the page runs it: the WebAssembly kernels, one thread unless asked for two. */
export async function nodeRun(file: string, text: string, steps: number, threads: 1 | 2 = 1): Promise<RecordedRun> {
  const engine = await Engine.create(loadFlat(file, text), { kernels: 'wasm', threads });
  try {
    return await recordRun(engine, steps);
  } finally {
    engine.dispose();
  }
}
