/// <reference types="vite/client" />
// The documents a page ships, as an installed Flux has them: the examples (circuits, bridge documents,
// arenas) under /flux/examples/, and the library's packages under /flux/node_modules/<name>/, where a
// bridge document's package circuit ('@flux-library/braitenberg/braitenberg') is found as Node finds it.

/** The page's own folder for Flux's files (paths are POSIX paths in the page's namespace). */
export const FLUX = '/flux';

// (Vite reads the options as they are written: they must be literals here.)
const examples = import.meta.glob<string>('../examples/**/*.{yaml,yml,json}', { query: '?raw', import: 'default', eager: true });
const library = import.meta.glob<string>(['../library/*/package.json', '../library/*/**/*.{yaml,yml}'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** Every shipped document by its path in the page. */
export function shippedDocuments(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, text] of Object.entries(examples)) out[`${FLUX}/${path.slice('../'.length)}`] = text;
  // A library folder is installed under its package name.
  const names = new Map<string, string>();
  for (const [path, text] of Object.entries(library)) {
    const m = /^\.\.\/library\/([^/]+)\/package\.json$/.exec(path);
    if (m) names.set(m[1], (JSON.parse(text) as { name: string }).name);
  }
  for (const [path, text] of Object.entries(library)) {
    const [, folder, rest] = /^\.\.\/library\/([^/]+)\/(.+)$/.exec(path)!;
    const name = names.get(folder);
    if (name) out[`${FLUX}/node_modules/${name}/${rest}`] = text;
  }
  return out;
}
