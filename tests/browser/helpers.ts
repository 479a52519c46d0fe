/// <reference types="vite/client" />
// tests/helpers.ts in a page (the browser project of vitest.config.ts puts this module in its place):
// the same functions over the page's documents (engine/platform/browser-host.ts) instead of files, so
// that a suite runs unchanged in Node and in Chromium. Only what the suites that run in both use.
import { join } from 'pathe';
import { provideFiles } from '../../engine/platform/browser-host.js';

/** The repository as the page sees it: its examples are documents under /flux/examples (setup.ts). */
export const ROOT = '/flux';
export const example = (name: string) => join(ROOT, 'examples', name);

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
