/// <reference types="vite/client" />
// tests/helpers.ts in a page (the browser project of vitest.config.ts puts this module in its place):
// the same functions over the page's documents (engine/platform/browser-host.ts) instead of files, so
// that a suite runs unchanged in Node and in Chromium. Only what the suites that run in both use.
import { join } from 'pathe';
import { provideFiles } from '../../engine/platform/browser-host.js';
import { Engine } from '../../engine/engine.js';
import { loadFlat, resolveModulePath } from '../../engine/circuit/resolve.js';
import { FLUX } from '../../web/documents.js';

/** The repository as the page sees it: the documents a page ships (setup.ts), under /flux. */
export const ROOT = FLUX;
export const example = (name: string) => join(ROOT, 'examples', name);
/** A circuit of the library by its package path, found through the page's /flux/node_modules as an include finds it. */
export const libraryCircuit = (name: string) => resolveModulePath(`@flux-library/${name}`, join(ROOT, 'package.json'));

let made = 0;

/** A fresh folder of the page's documents, as a temp dir in Node. */
export function tempDir(prefix = 'flux-test-'): string {
  return `/tmp/${prefix}${++made}`;
}

/** Writes documents (name -> text) into a fresh folder and returns its path. */
export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  provideFiles(Object.fromEntries(Object.entries(files).map(([name, text]) => [join(dir, name), text])));
  return dir;
}

export function engineFromText(yaml: string, options: ConstructorParameters<typeof Engine>[1] = {}): Engine {
  const dir = writeFiles({ 'circuit.yaml': yaml });
  return new Engine(loadFlat(join(dir, 'circuit.yaml')), options);
}
