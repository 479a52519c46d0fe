// What the page was opened to run: a share link's documents (#flux=1.…), a circuit named by the query
// (?circuit= a raw file URL, a path in the page, or a package circuit such as @flux-library/wta/wta),
// a bridge document (?bridge=), or by default the Braitenberg bridge driving the robot. Whatever comes
// from outside is checked before use: a fetched file's size is bounded while it arrives.
import { resolveModulePath } from '../engine/circuit/resolve.js';
import { checkSharedRun, decodeShareLink, isShareLink, readBounded, type SharedRun } from '../sharing/link.js';
import { FLUX } from './documents.js';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/engine.js';

/** A fetched or opened document may not be larger than this (bytes). */
export const MAX_DOCUMENT = 4 * 1024 * 1024;
/** A fetch that has not answered in this long is given up (ms). */
const FETCH_TIMEOUT_MS = 30_000;

export const DEFAULT_BRIDGE = `${FLUX}/examples/bridges/braitenberg.yaml`;

/** A problem with what the page was asked to run, said to the person who asked. */
export class RequestError extends Error {}

export async function requested(location: { search: string; hash: string }): Promise<SharedRun> {
  if (isShareLink(location.hash)) return decodeShareLink(location.hash);
  const q = new URLSearchParams(location.search);
  const seedText = q.get('seed');
  // Checked as a link's seed is (checkSharedRun); a number from text only when it is all digits.
  const seed = seedText === null ? undefined : /^\d{1,10}$/.test(seedText) ? Number(seedText) : seedText;
  const circuit = q.get('circuit');
  const arena = q.get('arena');
  const run = {
    ...(circuit !== null ? await circuitDocument(circuit) : { document: q.get('bridge') ?? DEFAULT_BRIDGE, documents: {} }),
    ...(arena === null ? {} : { arena }),
    ...(seed === undefined ? {} : { seed }),
  };
  // What the address asks for obeys a link's rules: whatever runs can be shared.
  return checkSharedRun(run, 'the page address');
}

/** ?backend=: where the engine runs (as flux run's --backend): auto (the default), cpu or webgpu. */
export function requestedBackend(search: string): BackendChoice {
  const text = new URLSearchParams(search).get('backend') ?? 'auto';
  const choice = BACKEND_CHOICES.find((b) => b === text);
  if (choice) return choice;
  throw new RequestError(`?backend=${text.slice(0, 40)}: expected ${BACKEND_CHOICES.slice(0, -1).join(', ')} or ${BACKEND_CHOICES.at(-1)}`);
}

/** ?threads=: the CPU backend's kernel threads (as flux run's --threads): auto (the default: measured), 1 or 2. */
export function requestedThreads(search: string): 1 | 2 | undefined {
  const text = new URLSearchParams(search).get('threads') ?? 'auto';
  if (text === 'auto') return undefined;
  if (text === '1' || text === '2') return Number(text) as 1 | 2;
  throw new RequestError(`?threads=${text.slice(0, 40)}: expected auto, 1 or 2`);
}

/** What the address asks of the engine: its backend and kernel threads. */
export const requestedEngine = (search: string): { backend: BackendChoice; threads?: 1 | 2 } => ({
  backend: requestedBackend(search),
  threads: requestedThreads(search),
});

/** ?seconds=: how long to run (simulated s), or until stopped. */
export function requestedSeconds(search: string): number {
  const text = new URLSearchParams(search).get('seconds');
  if (text === null) return Infinity;
  const s = Number(text);
  if (text.trim() === '' || !(s > 0 && s <= 1e6))
    throw new RequestError(`?seconds=${text.slice(0, 40)}: expected simulated seconds, more than 0 and at most 1000000`);
  return s;
}

async function circuitDocument(spec: string): Promise<{ document: string; documents: Record<string, string> }> {
  if (/^https?:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new RequestError(`?circuit=${spec.slice(0, 200)}: not a URL`);
    }
    const text = await fetchText(url);
    // The file keeps its name; what it includes by relative path is not fetched (a share link carries everything).
    const name = fileName(url.pathname.split('/').pop() ?? '', 'circuit.yaml');
    const path = `/url/${name}`;
    return { document: path, documents: { [path]: text } };
  }
  if (spec.startsWith('/')) return { document: spec, documents: {} };
  // A package circuit, found as an include in the page's own folder finds it.
  try {
    return { document: resolveModulePath(spec, `${FLUX}/page.yaml`), documents: {} };
  } catch (e) {
    throw new RequestError(`?circuit=${spec.slice(0, 200)}: ${(e as Error).message}`);
  }
}

async function fetchText(url: URL): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new RequestError(`${url.href}: no answer in ${FETCH_TIMEOUT_MS / 1000} s`);
    throw new RequestError(`${url.href}: ${(e as Error).message} (a file on another site must allow this page to read it: CORS)`);
  }
  if (!res.ok || !res.body) throw new RequestError(`${url.href}: ${res.status} ${res.statusText}`);
  return boundedText(res.body, url.href);
}

/** The text of a stream of bytes, refused once it passes MAX_DOCUMENT (before it is all held). */
export async function boundedText(body: ReadableStream<Uint8Array>, name: string): Promise<string> {
  return new TextDecoder().decode(
    await readBounded(body, MAX_DOCUMENT, () => new RequestError(`${name}: larger than ${MAX_DOCUMENT} bytes`)),
  );
}

/** A file name for the page's namespace: letters, digits, `_ . -` only, not hidden, at most 100 characters. */
export function fileName(raw: string, fallback: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    name = raw;
  }
  return (
    name
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(-100) || fallback
  );
}
