// What the engine needs from the program it runs in (issue 21: the same engine in Node and in a
// browser tab): the core (compiler, CPU and WebGPU backends, generated models) reaches files, built
// assets, cores and threads only through this interface. default-host.ts is Node's; a browser build
// maps that one module to its own (package.json "browser").
// tools/import-rules.mjs refuses a Node built-in anywhere else in engine/ (the worker scripts aside,
// which are Node's own entry points).
import { defaultHost } from './default-host.js';
import type { Host } from './host-api.js';

export type { Host, HostWorker, WorkerScript, WorkerSide } from './host-api.js';

/** The host the engine runs in. */
export const host = (): Host => defaultHost;

/** What a run read through the host, for a share link that must carry it (sharing/link.ts). */
export interface DocumentsRead {
  /** Every document read, by its path as the host resolves it. */
  documents: Map<string, string>;
  /** Every package found: its folder (as the host resolves it) and its name. */
  packages: Map<string, string>;
}

let recording = false;

/**
 * Records the documents and packages read through the host from now until the returned function is
 * called, which stops recording and gives them. One recording at a time (a second one throws): the
 * host's functions are wrapped while it lasts.
 */
export function recordDocuments(): () => DocumentsRead {
  if (recording) throw new Error('internal: documents are already being recorded');
  recording = true;
  const h = host();
  const { readText, packageDir } = h;
  const seen: DocumentsRead = { documents: new Map(), packages: new Map() };
  h.readText = (path) => {
    const text = readText.call(h, path);
    seen.documents.set(h.resolve(path), text);
    return text;
  };
  h.packageDir = (name, fromFile) => {
    const dir = packageDir.call(h, name, fromFile);
    if (dir !== undefined) seen.packages.set(h.resolve(dir), name);
    return dir;
  };
  let stopped = false;
  return () => {
    if (!stopped) {
      stopped = true;
      h.readText = readText;
      h.packageDir = packageDir;
      recording = false;
    }
    return seen;
  };
}
