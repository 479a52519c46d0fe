// Share links (issue 21): a run's documents carried in the URL fragment, which the browser never sends
// to a server, so a link that runs needs no server that could see (or lose) the circuit. The fragment
// is `flux=1.<base64url of deflate-raw of JSON>`. Everything in it is hostile until checked: sizes are
// bounded before anything is allocated for them (a few hundred bytes of deflate can expand to
// gigabytes), the JSON's shape is checked field by field on own properties, and paths are confined to
// the page's namespace. Isomorphic: CompressionStream and atob/btoa exist in Node >= 18 and in browsers.

/** What a link runs: documents by path in the page's namespace, and which of them to run how. */
export interface SharedRun {
  /** The document to run, a circuit or a bridge document (a path in the page; among `documents` or shipped with the page). */
  document: string;
  /** A bridge document's arena: a path in the page, or a built-in arena's name (default: the default arena). */
  arena?: string;
  /** Places the arena's random obstacles and seeds sensor noise (a circuit's own seed is in its document). */
  seed?: number;
  /** Documents that replace or add to the page's own, by absolute POSIX path. */
  documents: Record<string, string>;
}

export class ShareLinkError extends Error {
  /** `where`: what carried the run (a share link, the page's address). */
  constructor(message: string, where = 'share link') {
    super(`${where}: ${message}`);
  }
}

const PREFIX = 'flux=1.';
/** Longer fragments are refused before decoding (Chromium takes URLs up to 2 MB). */
export const MAX_FRAGMENT = 1_500_000;
/** The JSON inflated from a link may not exceed this (bytes). */
export const MAX_INFLATED = 8 * 1024 * 1024;
export const MAX_DOCUMENTS = 256;
const MAX_PATH = 512;

/** The fragment (without '#') that carries `run`. */
export async function encodeShareLink(run: SharedRun): Promise<string> {
  checkSharedRun(run);
  const json = new TextEncoder().encode(JSON.stringify(run));
  // What a page would refuse to inflate is refused here, with the size.
  if (json.length > MAX_INFLATED)
    throw new ShareLinkError(`the documents are too large for a link (${json.length} bytes, at most ${MAX_INFLATED})`);
  const packed = await pipeBounded(json, new CompressionStream('deflate-raw'), Infinity);
  const text = `${PREFIX}${toBase64Url(packed)}`;
  if (text.length > MAX_FRAGMENT)
    throw new ShareLinkError(`the documents are too large for a link (${text.length} characters, at most ${MAX_FRAGMENT})`);
  return text;
}

/** Whether a fragment (with or without '#') claims to be a share link. */
export function isShareLink(fragment: string): boolean {
  return fragment.replace(/^#/, '').startsWith(PREFIX);
}

/** The run a fragment carries; throws ShareLinkError saying what is wrong with it. */
export async function decodeShareLink(fragment: string): Promise<SharedRun> {
  const text = fragment.replace(/^#/, '');
  if (!text.startsWith(PREFIX)) throw new ShareLinkError(`expected a fragment starting "${PREFIX}"`);
  if (text.length > MAX_FRAGMENT) throw new ShareLinkError(`${text.length} characters, at most ${MAX_FRAGMENT}`);
  const body = text.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new ShareLinkError('it is not base64url (was it cut or altered?)');
  let packed: Uint8Array;
  try {
    packed = fromBase64Url(body);
  } catch {
    throw new ShareLinkError('it is not base64url (was it cut or altered?)');
  }
  let json: Uint8Array;
  try {
    json = await pipeBounded(packed, new DecompressionStream('deflate-raw'), MAX_INFLATED);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError('its data does not inflate (was it cut or altered?)');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw new ShareLinkError('its data is not JSON text');
  }
  return checkSharedRun(value);
}

/**
 * `value` as a SharedRun, checked on own properties; throws naming the first problem. The same rules
 * for a run asked for in another way (the page's address): `where` says which.
 */
export function checkSharedRun(value: unknown, where = 'share link'): SharedRun {
  const bad = (message: string) => new ShareLinkError(message, where);
  if (!isRecord(value)) throw bad('expected an object');
  for (const key of Object.keys(value)) if (!['document', 'arena', 'seed', 'documents'].includes(key)) throw bad(`unknown field "${key}"`);
  const document = own(value, 'document');
  const arena = own(value, 'arena');
  const seed = own(value, 'seed');
  const documents = own(value, 'documents');
  if (typeof document !== 'string') throw bad('document: expected a path');
  pathProblem('document', document, bad);
  if (arena !== undefined) {
    if (typeof arena !== 'string' || arena === '') throw bad('arena: expected a path or a built-in arena name');
    if (arena.startsWith('/')) pathProblem('arena', arena, bad);
    else if (!/^[a-z][a-z0-9_-]{0,63}$/.test(arena)) throw bad(`arena: "${arena.slice(0, 80)}" is neither a path nor an arena name`);
  }
  if (seed !== undefined && !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 0xffffffff))
    throw bad('seed: expected an integer from 0 to 4294967295');
  if (!isRecord(documents)) throw bad('documents: expected an object of path: text');
  const paths = Object.keys(documents);
  if (paths.length > MAX_DOCUMENTS) throw bad(`documents: ${paths.length} documents, at most ${MAX_DOCUMENTS}`);
  const docs: Record<string, string> = {};
  for (const path of paths) {
    pathProblem(`documents["${path.slice(0, 80)}"]`, path, bad);
    const text = own(documents, path);
    if (typeof text !== 'string') throw bad(`documents["${path}"]: expected text`);
    docs[path] = text;
  }
  const run: SharedRun = { document, documents: docs };
  if (arena !== undefined) run.arena = arena;
  if (seed !== undefined) run.seed = seed as number;
  return run;
}

/** Absolute, normalised POSIX paths of printable characters only: the page's namespace, nothing above it. */
function pathProblem(where: string, path: string, bad: (message: string) => Error): void {
  const ok =
    path.length <= MAX_PATH &&
    path.startsWith('/') &&
    ![...path].some((c) => c < ' ' || c === '\u007f' || c === '\\') &&
    path
      .slice(1)
      .split('/')
      .every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok) throw bad(`${where}: expected an absolute path like /flux/examples/coba.yaml (no "..", at most ${MAX_PATH} characters)`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** Input is written in slices this long: deflate expands at most ~1032:1, so one slice gives at most ~1 MB. */
const SLICE = 1024;

/**
 * Runs bytes through a (de)compression stream, refusing output beyond `limit` bytes as it arrives.
 * The input goes in slices, each written only once the output of the ones before it has been read:
 * Chromium inflates a whole written chunk before it hands any of it on (Node inflates as it is read),
 * so a bomb written at once would be held whole before any bound could be checked.
 */
export async function pipeBounded(
  bytes: Uint8Array,
  stream: { writable: WritableStream<BufferSource>; readable: ReadableStream<Uint8Array> },
  limit: number,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  let refused = false;
  const feed = (async () => {
    for (let at = 0; at < bytes.length && !refused; at += SLICE) {
      await writer.ready;
      await writer.write(bytes.slice(at, at + SLICE));
    }
    if (!refused) await writer.close();
  })();
  // Errors surface on the reading side; the feeding side's are only let settle.
  feed.catch(() => undefined);
  return readBounded(stream.readable, limit, () => {
    refused = true;
    return new ShareLinkError(`its data inflates to more than ${limit} bytes`);
  });
}

/** The bytes of a stream, refused with `refusal()` as soon as they pass `limit` (before they are all held). */
export async function readBounded(readable: ReadableStream<Uint8Array>, limit: number, refusal: () => Error): Promise<Uint8Array> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      const error = refusal();
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
