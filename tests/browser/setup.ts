/// <reference types="vite/client" />
// Before each suite of the page project (vitest.config.ts): the engine's assets and the documents a
// page ships (the examples under /flux/examples, the library's packages under /flux/node_modules), as
// the run page loads them (web/run.ts).
import kernelsUrl from '../../dist/engine/backends/wasm/kernels.wasm?url';
import { provideEngineAssets } from '../../web/assets.js';
import { provideFiles } from '../../engine/platform/browser-host.js';
import { shippedDocuments } from '../../web/documents.js';

await provideEngineAssets(kernelsUrl);
provideFiles(shippedDocuments());
