// The IDE's files in a Flux process: the machine's file system (see files.ts). A browser build puts
// files-page.ts in this module's place (package.json "browser").
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { IdeFiles, StagedWrite } from './files-api.js';

/** A temporary file's name next to `target`: random, so nobody can plant a link at it in advance. */
export function randomTempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(12).toString('hex')}.tmp`);
}

/**
 * The text written and synced to a temporary file in the target's folder; committing renames it onto
 * the target. The temporary file is created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW): whatever already
 * sits at its name, a symbolic link planted by someone else included, is never opened or followed;
 * another name is tried.
 */
function stage(plan: { file: string; text: string }, tempName: (target: string) => string = randomTempName): StagedWrite {
  // Through a symbolic link (a colcon --symlink-install share folder) the file it points to is the one
  // to update, keeping its mode; renaming onto the link would replace the link with a copy. A file that
  // does not exist yet (a bridge document flux edit started in memory) is created with the usual mode.
  let target = plan.file;
  let mode = 0o644;
  try {
    target = realpathSync(plan.file);
    mode = statSync(target).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${plan.file}: ${(e as Error).message}`, { cause: e });
  }
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  for (let attempt = 0; attempt < 8; attempt++) {
    const tmp = tempName(target);
    let fd: number;
    try {
      fd = openSync(tmp, flags, mode);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ELOOP') continue;
      throw new Error(`${plan.file}: cannot create a temporary file next to it: ${(e as Error).message}`, { cause: e });
    }
    const remove = () => {
      try {
        unlinkSync(tmp);
      } catch {
        // gone already
      }
    };
    let open = true;
    try {
      const data = Buffer.from(plan.text, 'utf8');
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
      open = false;
      closeSync(fd);
    } catch (e) {
      // Closed once only: a number closed twice may by then be another file's.
      if (open) closeSync(fd);
      remove();
      throw new Error(`${plan.file}: cannot write it: ${(e as Error).message}`, { cause: e });
    }
    return {
      commit: () => {
        try {
          renameSync(tmp, target);
        } catch (e) {
          remove();
          throw new Error(`${plan.file}: cannot write it: ${(e as Error).message}`, { cause: e });
        }
      },
      abort: remove,
    };
  }
  throw new Error(`${plan.file}: every temporary name tried next to it was taken; nothing written`);
}

export const ideFiles: IdeFiles = {
  exists: (path) => existsSync(path),
  realpath: (path) => realpathSync(path),
  isCharacterDevice: (path) => statSync(path).isCharacterDevice(),
  list(path) {
    try {
      return readdirSync(path);
    } catch (e) {
      // No folder there: nothing in it. Anything else (no permission) is a failure to say.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
  },
  create: (path, text) => writeFileSync(path, text, { flag: 'wx' }),
  remove: (path) => unlinkSync(path),
  stage,
};
