/// <reference types="vite/client" />
// Before each suite of the page project (vitest.config.ts): the engine's assets and the documents a
// page ships (the examples under /flux/examples, the library's packages under /flux/node_modules), as
// the run page loads them (web/run.ts).
import kernelsUrl from '../../dist/engine/backends/wasm/kernels.wasm?url';
import { provideEngineAssets } from '../../web/assets.js';
import { provideFiles } from '../../engine/platform/browser-host.js';
import { shippedDocuments } from '../../web/documents.js';
import { afterAll, beforeAll } from 'vitest';
import { commands } from 'vitest/browser';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Waits for the lock the timing suites take (vitest.config.ts pageCommands). */
    busyLock(): Promise<void>;
    busyUnlock(): Promise<void>;
  }
}

// Not beside the suites that measure the loop's timing: Chromium running a network takes a core.
beforeAll(() => commands.busyLock(), 600_000);
afterAll(() => commands.busyUnlock());

await provideEngineAssets(kernelsUrl);
provideFiles(shippedDocuments());
