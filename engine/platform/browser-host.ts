// A browser tab's host (host.ts), which a browser build puts in place of default-host.ts (package.json
// "browser"). A page has no files: it gives the engine its built assets (kernels.wasm, the WGSL files)
// and its documents (a circuit with the files it includes) before it builds a circuit, with
// provideAssets and provideFiles. Paths are POSIX paths in the page's own namespace ('/circuit.yaml');
// packages are documents under a node_modules folder there, found as Node finds them.
// One thread for now: the kernel thread and the wiring workers are Node worker scripts.
import { dirname, isAbsolute, join, resolve } from 'pathe';
import type { Host } from './host-api.js';

let kernels: Uint8Array<ArrayBuffer> | null = null;
const shaders = new Map<string, string>();
const files = new Map<string, string>();

/** The engine's built assets, as the page fetched or bundled them. */
export function provideAssets(assets: { kernelsWasm: Uint8Array<ArrayBuffer> | null; shaders: Record<string, string> }): void {
  kernels = assets.kernelsWasm;
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

export const defaultHost: Host = {
  cores: () => 1,
  kernelsWasm: () => kernels,
  shader(name) {
    const text = shaders.get(name);
    if (text === undefined) throw new Error(`shader ${name} was not given to the engine (provideAssets)`);
    return text;
  },
  canStart: () => false,
  startWorker(script) {
    throw new Error(`the ${script} worker does not run in a browser yet`);
  },
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
