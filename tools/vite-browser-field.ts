// package.json "browser" for Flux's own sources: a bundler honours the field for the built package
// (dist/…/default-host.js -> dist/…/browser-host.js); a page built from the sources (dist/web, the
// browser tests) needs the same replacements for the .ts files. One list, package.json's, read here.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';

/** The module a replacement names, in the sources: ./dist/engine/x.js -> <root>/engine/x.ts. */
function source(root: string, distPath: string): string {
  const m = /^\.\/dist\/(.+)\.js$/.exec(distPath);
  if (!m) throw new Error(`package.json "browser": ${distPath} is not a module of dist/`);
  return resolve(root, `${m[1]}.ts`);
}

/**
 * Vite's `worker` option for a page of the engine: its worker scripts (the kernel thread, the wiring
 * workers; web/assets.ts starts them) as module chunks, with the same replacements, so that in them too
 * host.ts is the browser's.
 */
export const browserWorkers = (root: string) => ({ format: 'es' as const, plugins: () => [browserField(root)] });

/** A Vite plugin that resolves each module package.json "browser" replaces to its browser counterpart. */
export function browserField(root: string): Plugin {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { browser?: Record<string, string> };
  const replace = new Map(Object.entries(pkg.browser ?? {}).map(([from, to]) => [source(root, from), source(root, to)]));
  return {
    name: 'flux-browser-field',
    enforce: 'pre',
    async resolveId(id, importer, options) {
      const found = await this.resolve(id, importer, { ...options, skipSelf: true });
      return found && replace.get(found.id) ? replace.get(found.id) : null;
    },
  };
}
