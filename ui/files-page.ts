// The IDE's files in a browser tab: the page's documents (engine/platform/browser-host.ts), the
// namespace its engine reads from. Save replaces a document whole; the page's Share carries them.
// package.json "browser" puts this module in files-node.ts's place.
import { resolve } from 'pathe';
import { pageDocuments } from '../engine/platform/browser-host.js';
import type { IdeFiles } from './files-api.js';

const docs = pageDocuments();

function missing(path: string): Error {
  return Object.assign(new Error(`no such document in this page: ${path}`), { code: 'ENOENT' });
}

/** Whether `path` is a folder: some document lies under it. */
function isFolder(path: string): boolean {
  const prefix = path === '/' ? '/' : `${path}/`;
  for (const k of docs.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

export const ideFiles: IdeFiles = {
  exists: (path) => docs.has(resolve('/', path)) || isFolder(resolve('/', path)),
  realpath(path) {
    const p = resolve('/', path);
    if (!docs.has(p) && !isFolder(p)) throw missing(path);
    return p;
  },
  // A page has no devices.
  isCharacterDevice: () => false,
  list(path) {
    const p = resolve('/', path);
    const prefix = p === '/' ? '/' : `${p}/`;
    const names = new Set<string>();
    for (const k of docs.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]);
    return [...names];
  },
  create(path, text) {
    const p = resolve('/', path);
    if (docs.has(p) || isFolder(p)) throw new Error(`${path} exists already`);
    docs.set(p, text);
  },
  remove(path) {
    if (!docs.delete(resolve('/', path))) throw missing(path);
  },
  stage(plan) {
    const p = resolve('/', plan.file);
    return { commit: () => void docs.set(p, plan.text), abort: () => undefined };
  },
};
