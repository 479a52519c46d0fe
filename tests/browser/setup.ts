/// <reference types="vite/client" />
// Before each suite of the browser project (vitest.config.ts): the engine's assets, as a page loads
// them (web/assets.ts), and the repository's examples as the page's documents under /flux/examples.
import kernelsUrl from '../../dist/engine/backends/wasm/kernels.wasm?url';
import { provideEngineAssets } from '../../web/assets.js';
import { provideFiles } from '../../engine/platform/browser-host.js';

const examples = import.meta.glob<string>('../../examples/*.yaml', { query: '?raw', import: 'default', eager: true });

await provideEngineAssets(kernelsUrl);
provideFiles(Object.fromEntries(Object.entries(examples).map(([path, text]) => [`/flux/examples/${path.slice(path.lastIndexOf('/') + 1)}`, text])));
