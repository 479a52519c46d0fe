/// <reference types="vite/client" />
// The engine's built assets in a page: the WebAssembly kernels (fetched from `kernelsUrl`) and every
// WGSL file of shaders/ (bundled), handed to the browser host before anything is built.
import { provideAssets } from '../engine/platform/browser-host.js';

const wgsl = import.meta.glob<string>('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

export async function provideEngineAssets(kernelsUrl: string): Promise<void> {
  const wasm = await fetch(kernelsUrl);
  provideAssets({
    kernelsWasm: wasm.ok ? new Uint8Array(await wasm.arrayBuffer()) : null,
    shaders: Object.fromEntries(Object.entries(wgsl).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text])),
  });
}
