// Shared test helpers: circuits from inline YAML, run-and-record.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi, expect } from 'vitest';
import { Engine } from '../engine/engine.js';
import { loadFlat, resolveModulePath } from '../engine/circuit/resolve.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const example = (name: string) => join(ROOT, 'examples', name);
/**
 * A circuit of the repository's library by its package path (`braitenberg/braitenberg` is
 * `@flux-library/braitenberg/braitenberg`), resolved as an include would: through node_modules.
 */
export const libraryCircuit = (name: string) => resolveModulePath(`@flux-library/${name}`, join(ROOT, 'package.json'));

export function tempDir(prefix = 'flux-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files (name -> text) into a fresh temp dir and returns its path. */
export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function engineFromText(yaml: string, options: ConstructorParameters<typeof Engine>[1] = {}): Engine {
  const dir = writeFiles({ 'circuit.yaml': yaml });
  return new Engine(loadFlat(join(dir, 'circuit.yaml')), options);
}

export function spikeCounts(e: Engine): Record<string, number> {
  return Object.fromEntries(Object.entries(e.backend.recording().populations).map(([k, p]) => [k, p.spikeSteps.length]));
}

/** How long and how often vi.waitFor polls for an event a test waits on (a loaded 2-core machine is slow). */
export const EVENTUALLY = { timeout: 10_000, interval: 5 };

/**
 * Resolves once `n` more ticks of a running bridge have passed: a window counted in the loop's own
 * work rather than in wall-clock milliseconds, so a loaded machine stretches it instead of shortening it.
 */
export async function ticksPass(stats: { readonly ticks: number }, n: number, timeout = 20_000): Promise<void> {
  const from = stats.ticks;
  await vi.waitFor(() => expect(stats.ticks - from).toBeGreaterThanOrEqual(n), { timeout, interval: 2 });
}
