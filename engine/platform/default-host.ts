// Node's host (host.ts): files through node:fs, assets next to this module in dist/ (or in dist/ beside
// the sources, where vitest runs them), worker_threads. A browser build replaces this module
// (package.json "browser").
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessagePort as NodePort, Worker, parentPort, workerData, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import type { Host, HostWorker, Transfer, WorkerScript, WorkerSide } from './host-api.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A built file of dist/engine, from dist/engine/platform (built) or engine/platform (sources run by vitest). */
const built = (...rel: string[]): string[] => [join(here, '..', ...rel), join(here, '..', '..', 'dist', 'engine', ...rel)];

const SCRIPTS: Record<WorkerScript, string[]> = {
  'kernel-thread': built('backends', 'wasm', 'worker.js'),
  wiring: built('compile', 'wiring-worker.js'),
};

const find = (candidates: string[]): string | undefined => candidates.find((p) => existsSync(p));

/**
 * A worker thread inherits its process's Node flags, but Node refuses to start one with `--input-type`
 * (`node --input-type=module -e '…'`), so such a process hands its workers its other flags instead.
 * Given as a list, Node refuses V8 and per-process flags too (`--expose-gc`, `--max-old-space-size`:
 * they hold for the whole process anyway, workers included); the refusal names them, and they are left
 * out. Node says which flags are supported only in that message (node:internal/errors
 * ERR_WORKER_INVALID_EXEC_ARGV: "Initiated Worker with invalid execArgv flags: a, b").
 */
function startNodeWorker(path: string, options: WorkerOptions): Worker {
  if (!process.execArgv.some((flag) => flag.startsWith('--input-type'))) return new Worker(path, options);
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  try {
    return new Worker(path, { ...options, execArgv: flags });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    const named = (e as Error).message.slice((e as Error).message.indexOf(': ') + 2);
    const refused = new Set(named.split(', '));
    try {
      return new Worker(path, { ...options, execArgv: flags.filter((flag) => !refused.has(flag)) });
    } catch {
      // The message named something else (a flag's value given as its own word): no flags, then.
      return new Worker(path, { ...options, execArgv: [] });
    }
  }
}

const notBuilt = (script: WorkerScript): string => `the ${script} worker script is not built: run \`npm run build\``;

let shaders: string | undefined;

function shaderDir(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'shaders', 'common.wgsl'))) return join(dir, 'shaders');
    dir = dirname(dir);
  }
  throw new Error('shaders/ not found next to the package (is the package installed completely?)');
}

/** The items handed over, as Node's workers take them. */
function transferList(items: readonly Transfer[] | undefined): TransferListItem[] | undefined {
  return items?.map((x) => {
    if (x instanceof ArrayBuffer || x instanceof NodePort) return x;
    throw new TypeError('only message ports and ArrayBuffers are handed over to a worker');
  });
}

function nodeWorker(w: Worker): HostWorker {
  return {
    postMessage: (m, transfer) => w.postMessage(m, transferList(transfer)),
    onMessage: (f) => void w.on('message', f),
    onError: (f) => void w.on('error', f),
    onExit: (f) => void w.on('exit', f),
    unref: () => w.unref(),
    terminate: async () => void (await w.terminate()),
  };
}

export const defaultHost: Host = {
  cores: () => availableParallelism(),
  kernelsWasm() {
    // Not kept: the engine keeps the compiled module (kernels.ts).
    const path = find(built('backends', 'wasm', 'kernels.wasm'));
    return path ? new Uint8Array(readFileSync(path)) : null;
  },
  shader: (name) => readFileSync(join((shaders ??= shaderDir()), name), 'utf8'),
  cannotStart: (script) => (find(SCRIPTS[script]) ? null : notBuilt(script)),
  startWorker(script, data, transfer) {
    const path = find(SCRIPTS[script]);
    if (!path) throw new Error(notBuilt(script));
    return nodeWorker(startNodeWorker(path, { workerData: data, transferList: transferList(transfer) }));
  },
  workerSide(): WorkerSide {
    const port = parentPort;
    if (!port) throw new Error('internal: workerSide() outside a worker thread');
    return {
      data: () => Promise.resolve(workerData),
      onMessage: (f) => void port.on('message', f),
      postMessage: (m) => port.postMessage(m),
    };
  },
  // Node lets every thread wait, its main thread too.
  canBlock: () => true,
  readText: (path) => readFileSync(path, 'utf8'),
  resolve: (...segments) => resolve(...segments),
  dirname: (path) => dirname(path),
  join: (...segments) => join(...segments),
  isAbsolute: (path) => isAbsolute(path),
  packageDir(name, fromFile) {
    try {
      return dirname(createRequire(fromFile).resolve(`${name}/package.json`));
    } catch {
      // Packages with an "exports" map may hide package.json; walk node_modules folders instead.
      let dir = dirname(resolve(fromFile));
      while (true) {
        const candidate = join(dir, 'node_modules', name);
        if (existsSync(join(candidate, 'package.json'))) return candidate;
        const up = dirname(dir);
        if (up === dir) return undefined;
        dir = up;
      }
    }
  },
};
