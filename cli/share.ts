// `flux share`: a link that opens a circuit, or a bridge document driving the simulated robot, in
// Flux's page (`npm run build:web`), carrying every document it reads (sharing/link.ts): the same
// documents the process would run, in the page with nothing installed.
import { join, relative, resolve, sep } from 'node:path';
import { recordDocuments } from '../engine/platform/host.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { checkCircuit } from '../engine/circuit/check.js';
import { loadBridge } from '../bridge/config.js';
import { arenaDir, findArena } from '../sim/arena.js';
import { encodeShareLink } from '../sharing/link.js';
import { isBridge } from './inspect.js';

/** Where a shared run's files go in the page: apart from the page's own (/flux/). */
export const SHARED = '/shared';

export interface ShareOptions {
  /** The page's address (where dist/web is served). */
  page: string;
  /** A bridge document's arena: a built-in name or a file (default: 'default'). */
  arena?: string;
  seed?: number;
}

/** The link, and the documents it carries by their path in the page. */
export async function shareLink(file: string, o: ShareOptions): Promise<{ link: string; documents: Record<string, string> }> {
  const bridge = isBridge(file);
  const arena = o.arena ?? 'default';
  // The arena as the simulator finds it: a file, or a built-in one by name.
  const arenaFile = /[\\/]|\.(ya?ml|json)$/i.test(arena) ? resolve(arena) : join(arenaDir(), `${arena}.yaml`);
  const stop = recordDocuments();
  let read: ReturnType<typeof stop>;
  try {
    if (bridge) {
      loadBridge(file);
      findArena(arena, o.seed);
    } else checkCircuit(loadFlat(file));
  } finally {
    read = stop();
  }
  const paths = pagePaths([...read.documents.keys()], read.packages);
  const documents = Object.fromEntries([...read.documents].map(([path, text]) => [paths(path), text]));
  const fragment = await encodeShareLink({
    document: paths(resolve(file)),
    ...(bridge ? { arena: paths(arenaFile) } : {}),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    documents,
  });
  return { link: `${o.page.replace(/#.*$/, '')}#${fragment}`, documents };
}

/**
 * Node's paths as the page's: a package's files under /shared/node_modules/<name>/ (where the page
 * finds a package as Node does, from any document under /shared), the rest under /shared/ relative
 * to the folder they all share, so that relative includes still meet.
 */
export function pagePaths(files: string[], packages: ReadonlyMap<string, string>): (path: string) => string {
  const inPackage = (f: string) => [...packages].find(([, dir]) => f.startsWith(dir + sep));
  const own = files.filter((f) => !inPackage(f));
  let common = own.length ? own[0].slice(0, own[0].lastIndexOf(sep)) : '';
  for (const f of own) while (!f.startsWith(common + sep)) common = common.slice(0, common.lastIndexOf(sep));
  return (f) => {
    const pkg = inPackage(f);
    const rel = pkg ? `node_modules/${pkg[0]}/${relative(pkg[1], f)}` : relative(common, f);
    return `${SHARED}/${rel.split(sep).join('/')}`;
  };
}
