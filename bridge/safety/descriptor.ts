// Writing a safe frame to a device's descriptor from a thread that does not own it: the guard thread
// (guard-worker.ts) and the loop's last resort (guard.ts emitNow) write the same way.
import { fstatSync, writeSync } from 'node:fs';
import type { GuardChannel } from './protocol.js';

/**
 * Writes the channel's whole frame, or nothing while the descriptor is no longer the device it was
 * given as (the loop's thread owns it and may have closed it; the number may belong to another file).
 * A non-blocking tty may take part of a frame (EAGAIN): the rest follows within a few milliseconds, so
 * that a frame is never left cut for the next one to be glued onto. Throws what the write throws.
 */
export function writeSafeFrame(c: Extract<GuardChannel, { kind: 'fd' }>): boolean {
  const st = fstatSync(c.fd);
  if (st.dev !== c.dev || st.ino !== c.ino) return false;
  let at = 0;
  const until = performance.now() + 5;
  while (at < c.bytes.byteLength) {
    try {
      at += writeSync(c.fd, c.bytes, at, c.bytes.byteLength - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || performance.now() > until) throw e;
    }
  }
  return true;
}
