// A browser tab's host (host.ts), which a browser build puts in place of default-host.ts (package.json
// "browser"). A page has no files: it gives the engine its built assets (kernels.wasm, the WGSL files)
// and its documents (a circuit with the files it includes) before it builds a circuit, with
// provideAssets and provideFiles. Paths are POSIX paths in the page's own namespace ('/circuit.yaml');
// packages are documents under a node_modules folder there, found as Node finds them.
// Threads: the kernel thread and the wiring workers run as module Web Workers over shared memory,
// which a page has only when it is cross-origin isolated (the headers isolation.ts names); without
// them the engine runs on the page's thread alone.
import { dirname, isAbsolute, join, resolve } from 'pathe';
import type { Host, HostWorker, Transfer, WorkerScript, WorkerSide } from './host-api.js';
import { isolationHeaderLines } from './isolation.js';

let kernels: Uint8Array<ArrayBuffer> | null = null;
const shaders = new Map<string, string>();
const files = new Map<string, string>();

/**
 * The engine's built assets, as the page fetched or bundled them. `workers` start its worker scripts
 * (web/assets.ts): the page names them, not this module, which the workers import themselves (a
 * bundler refuses a worker that starts itself). Without them the engine runs on one thread.
 */
export function provideAssets(assets: {
  kernelsWasm: Uint8Array<ArrayBuffer> | null;
  shaders: Record<string, string>;
  workers?: WorkerStarters;
}): void {
  kernels = assets.kernelsWasm;
  starters = assets.workers ?? null;
  for (const [name, text] of Object.entries(assets.shaders)) shaders.set(name, text);
}

/** Documents the engine may read, by path (a circuit, the files it includes and the models it names). */
export function provideFiles(documents: Record<string, string>): void {
  for (const [path, text] of Object.entries(documents)) files.set(resolve('/', path), text);
}

/**
 * The page's documents as the IDE edits them (ui/files-page.ts): what the engine reads is what Save
 * wrote. The map itself, by resolved path: the page has one namespace of documents.
 */
export function pageDocuments(): Map<string, string> {
  return files;
}

/** Shared memory, and so threads: only in a cross-origin isolated page (or a worker of one). */
const isolated = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

/** A worker scope, where Atomics.wait is allowed (a window's main thread may not block). */
const inWorker = (): boolean => typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** Starts one of the engine's worker scripts as the page bundled it. */
export type WorkerStarters = Record<WorkerScript, () => Worker>;

let starters: WorkerStarters | null = null;

function pageWorker(w: Worker): HostWorker {
  return {
    postMessage: (m, transfer) => w.postMessage(m, (transfer ?? []) as Transferable[]),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError(f) {
      w.addEventListener('error', (e) => f(new Error(e.message || 'the worker script failed to load or threw')));
      w.addEventListener('messageerror', () => f(new Error('a message from the worker could not be read in the page')));
    },
    // A Web Worker has no exit event: it ends only when terminated (or with the page).
    onExit: () => undefined,
    unref: () => undefined,
    terminate: () => Promise.resolve(w.terminate()),
  };
}

let side: WorkerSide | undefined;

/** This worker's side: the first message is its data (startWorker sends it before anything else). */
function pageWorkerSide(): WorkerSide {
  let give: (data: unknown) => void = () => undefined;
  let refuse: (e: Error) => void = () => undefined;
  const data = new Promise<unknown>((resolve, reject) => {
    give = resolve;
    refuse = reject;
  });
  let first = true;
  const listeners: ((m: unknown) => void)[] = [];
  const early: unknown[] = [];
  // In a worker, the global scope is the worker's: its messages are the ones its starter posts.
  globalThis.addEventListener('message', (e: MessageEvent) => {
    if (first) {
      first = false;
      give(e.data);
    } else if (listeners.length) for (const f of listeners) f(e.data);
    else early.push(e.data);
  });
  // Data that cannot be read here (a message that does not deserialize) fails the script's start,
  // which its starter hears as the worker's error, instead of a start that never comes.
  globalThis.addEventListener('messageerror', () => {
    if (!first) return;
    first = false;
    refuse(new Error('the worker could not read the data it was started with'));
  });
  return {
    data: () => data,
    onMessage(f) {
      listeners.push(f);
      for (const m of early.splice(0)) f(m);
    },
    postMessage: (m) => globalThis.postMessage(m),
  };
}

export const defaultHost: Host = {
  cores: () => (isolated() ? Math.max(1, navigator.hardwareConcurrency || 1) : 1),
  kernelsWasm: () => kernels,
  shader(name) {
    const text = shaders.get(name);
    if (text === undefined) throw new Error(`shader ${name} was not given to the engine (provideAssets)`);
    return text;
  },
  cannotStart(script) {
    if (!isolated()) return `the ${script} worker needs shared memory: serve the page cross-origin isolated (${isolationHeaderLines()})`;
    if (!starters) return `the ${script} worker was not given to the engine (provideAssets)`;
    return null;
  },
  startWorker(script, data, transfer?: readonly Transfer[]) {
    const why = this.cannotStart(script);
    if (why !== null || !starters) throw new Error(why ?? 'internal');
    const w = starters[script]();
    w.postMessage(data, (transfer ?? []) as Transferable[]);
    return pageWorker(w);
  },
  workerSide: () => (side ??= pageWorkerSide()),
  canBlock: inWorker,
  readText(path) {
    const text = files.get(resolve('/', path));
    if (text === undefined) throw new Error(`no such document in this page: ${path}`);
    return text;
  },
  resolve: (...segments) => resolve('/', ...segments),
  dirname: (path) => dirname(path),
  join: (...segments) => join(...segments),
  isAbsolute: (path) => isAbsolute(path),
  // As Node looks: node_modules/<name> in the document's folder and each one above it, among the
  // documents the page was given (a package's package.json and files, under /…/node_modules/<name>/).
  packageDir(name, fromFile) {
    for (let dir = dirname(resolve('/', fromFile)); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (files.has(join(candidate, 'package.json'))) return candidate;
      if (dir === '/') return undefined;
    }
  },
};
