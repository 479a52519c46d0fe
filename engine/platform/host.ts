// What the engine needs from the program it runs in (issue 21: the same engine in Node and in a
// browser tab): the core (compiler, CPU and WebGPU backends, generated models) reaches files, built
// assets, cores and threads only through this interface. default-host.ts is Node's; a browser build
// maps that one module to its own (package.json "browser").
// tools/import-rules.mjs refuses a Node built-in anywhere else in engine/ (the worker scripts aside,
// which are Node's own entry points).
import { defaultHost } from './default-host.js';
import type { Host } from './host-api.js';

export type { Host, HostWorker, WorkerScript } from './host-api.js';

/** The host the engine runs in. */
export const host = (): Host => defaultHost;
