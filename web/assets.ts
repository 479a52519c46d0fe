/// <reference types="vite/client" />
// The engine's built assets in a page: the WebAssembly kernels (fetched from `kernelsUrl`), every WGSL
// file of shaders/ (bundled) and its worker scripts (bundled), handed to the browser host before
// anything is built.
import { provideAssets } from '../engine/platform/browser-host.js';

const wgsl = import.meta.glob<string>('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

export async function provideEngineAssets(kernelsUrl: string): Promise<void> {
  const wasm = await fetch(kernelsUrl);
  provideAssets({
    kernelsWasm: wasm.ok ? new Uint8Array(await wasm.arrayBuffer()) : null,
    shaders: Object.fromEntries(Object.entries(wgsl).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text])),
    // Written out per script: Vite finds a worker only in this form, and bundles it (with the browser
    // host for host.ts: web/vite.config.ts) as a module chunk of its own.
    workers: {
      'kernel-thread': () =>
        new Worker(new URL('../engine/backends/wasm/worker.ts', import.meta.url), { type: 'module', name: 'flux kernel thread' }),
      wiring: () => new Worker(new URL('../engine/compile/wiring-worker.ts', import.meta.url), { type: 'module', name: 'flux wiring' }),
    },
  });
}
