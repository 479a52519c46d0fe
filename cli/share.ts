// `flux share`: a link that opens a circuit, or a bridge document driving the simulated robot, in
// Flux's page (`npm run build:web`), carrying every document it reads (sharing/link.ts): the same
// documents the process would run, in the page with nothing installed.
import path from 'node:path';
import { recordDocuments } from '../engine/platform/host.js';
import { findArena, arenaFile } from '../sim/arena.js';
import { encodeShareLink } from '../sharing/link.js';
import { checkBridgeForPage, checkCircuitSize } from '../sharing/page-limits.js';
import { isBridge } from './inspect.js';

/** Where a shared run's files go in the page: apart from the page's own (/flux/). */
export const SHARED = '/shared';
/** A built-in arena, from wherever Flux is installed: a place of its own, so that it says nothing of that place. */
const BUILT_IN_ARENAS = '/flux-arenas';

export interface ShareOptions {
  /** The page's address (where dist/web is served). */
  page: string;
  /** A bridge document's arena: a built-in name or a file (default: 'default'). */
  arena?: string;
  /** A bridge document's arena seed. */
  seed?: number;
}

/** The link, and the documents it carries by their path in the page. Refuses what the page would refuse. */
export async function shareLink(document: string, o: ShareOptions): Promise<{ link: string; documents: Record<string, string> }> {
  let page: URL;
  try {
    page = new URL(o.page);
  } catch {
    throw new Error(`--page ${o.page}: not a URL (e.g. https://you.example/flux/)`);
  }
  if (page.protocol !== 'http:' && page.protocol !== 'https:') throw new Error(`--page ${o.page}: expected an http or https address`);
  const file = path.resolve(document);
  const bridge = isBridge(file);
  const arena = arenaFile(o.arena ?? 'default');
  const arenaPath = path.resolve(arena.file);
  const stop = recordDocuments();
  let read: ReturnType<typeof stop>;
  try {
    // The page's own checks (they load everything it will read), then the arena.
    if (bridge) {
      checkBridgeForPage(file);
      findArena(o.arena ?? 'default', o.seed);
    } else checkCircuitSize(file);
  } finally {
    read = stop();
  }
  const builtIn = (f: string) => bridge && arena.builtIn && f === arenaPath;
  const mapped = pagePaths(
    [...read.documents.keys()].filter((f) => !builtIn(f)),
    read.packages,
  );
  const paths = (f: string) => (builtIn(f) ? `${BUILT_IN_ARENAS}/${path.basename(f)}` : mapped(f));
  const documents: Record<string, string> = {};
  for (const [f, text] of read.documents) documents[paths(f)] = text;
  const fragment = await encodeShareLink({
    document: paths(file),
    ...(bridge ? { arena: paths(arenaPath) } : {}),
    ...(bridge && o.seed !== undefined ? { seed: o.seed } : {}),
    documents,
  });
  page.hash = '';
  return { link: `${page.href}#${fragment}`, documents };
}

/**
 * Node's paths as the page's: a package's files under /shared/node_modules/<name>/ (where the page
 * finds a package as Node does, from any document under /shared), the rest under /shared/ relative
 * to the folder they all share, so that relative includes still meet. Throws when two files map to
 * one place or share no folder (another drive). `p`: the platform's path functions (tests pass others).
 */
export function pagePaths(files: string[], packages: ReadonlyMap<string, string>, p: path.PlatformPath = path): (file: string) => string {
  const inside = (dir: string, f: string) => {
    const rel = p.relative(dir, f);
    return rel !== '' && !rel.startsWith('..') && !p.isAbsolute(rel);
  };
  // The innermost package holding a file: a package may sit in another's folder.
  const packageOf = (f: string) =>
    [...packages].filter(([dir]) => inside(dir, f)).sort((a, b) => b[0].length - a[0].length)[0] as [string, string] | undefined;
  const own = files.filter((f) => !packageOf(f));
  let common = own.length ? p.dirname(own[0]) : '';
  for (const f of own)
    while (!inside(common, f)) {
      const up = p.dirname(common);
      if (up === common) throw new Error(`${own[0]} and ${f} share no folder: a link cannot keep their relative places`);
      common = up;
    }
  const toPage = (f: string) => {
    const pkg = packageOf(f);
    const rel = pkg ? `node_modules/${pkg[1]}/${p.relative(pkg[0], f)}` : p.relative(common, f);
    return `${SHARED}/${rel.split(p.sep).join('/')}`;
  };
  const taken = new Map<string, string>();
  for (const f of files) {
    const at = toPage(f);
    const other = taken.get(at);
    if (other !== undefined && other !== f) throw new Error(`${other} and ${f} would both be ${at} in the page`);
    taken.set(at, f);
  }
  return toPage;
}
