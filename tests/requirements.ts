// What a suite needs from the machine (Debian packages that .ci/run installs), declared in one place.
//
//   const socat = requires('socat');            // the default probe for that requirement
//   const dds = requires('dds', ddsUnavailable()); // or the suite's own probe: null = available
//   describe.skipIf(socat.skip)('...', ...)
//
// Without CI=true a missing requirement skips what depends on it, and the skip is recorded for the
// summary that tests/setup/skip-summary.ts prints once at the end of the run (what was skipped, and
// the one command that installs it). Under CI=true, where .ci/run has installed everything, a missing
// requirement is a failure: requires() adds a failing test naming it, in the suite that declared it.
// Call requires() while the file's tests are collected (module scope or a describe body), not in a test.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

export type Need = 'webgpu' | 'test-msgs' | 'python3' | 'brian2' | 'cmake' | 'socat' | 'chromium' | 'simavr' | 'dds' | 'dds-peers';

export interface Requirement {
  /** Skip what depends on it (missing, and not a CI run). */
  skip: boolean;
  /** Why it is missing; null when present. */
  reason: string | null;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the Debian packages are listed, by requirement (.ci/run installs the same list). */
export const PACKAGES_FILE = join(ROOT, '.ci/packages');

export interface PackageLine {
  need: string;
  packages: string[];
  /** The Debian suite they come from when not the machine's default (bookworm-backports). */
  suite: string | null;
}

/** .ci/packages: `<requirement> [suite]: <packages>` lines, # comments. */
export function packageLines(text = readFileSync(PACKAGES_FILE, 'utf8')): PackageLine[] {
  const out: PackageLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = line.match(/^([a-z0-9-]+)\s*(?:\[([a-z0-9-]+)\])?\s*:\s*(.*)$/);
    if (m) out.push({ need: m[1], suite: m[2] ?? null, packages: m[3].split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** The one command line that installs what `needs` stand for (and the note for other suites). */
export function installCommand(needs: Iterable<string>, lines = packageLines()): string {
  const wanted = new Set(needs);
  const chosen = lines.filter((l) => wanted.has(l.need));
  const main = [...new Set(chosen.filter((l) => !l.suite).flatMap((l) => l.packages))];
  const other = chosen.filter((l) => l.suite);
  const parts: string[] = [];
  if (main.length) parts.push(`sudo apt-get install -y --no-install-recommends ${main.join(' ')}`);
  for (const l of other) parts.push(`sudo apt-get install -y --no-install-recommends -t ${l.suite} ${l.packages.join(' ')}`);
  if (other.length)
    parts.push(
      `# ${other.map((l) => l.suite).join(', ')} must be in the apt sources: \`sudo bash .ci/run\` adds it and installs everything`,
    );
  if (wanted.has('dds')) parts.push('npm run build:dds   # rebuilds the DDS addon against the installed Cyclone DDS');
  return parts.join('\n');
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The default probes: null when present, else why not. */
const PROBES: Partial<Record<Need, () => string | null>> = {
  socat: () => (has('socat') ? null : 'socat not found'),
  python3: () => (has('python3') ? null : 'python3 not found'),
  cmake: () => (has('cmake') ? null : 'cmake not found'),
  // Debian's Brian2 for Debian's Python (a python3 earlier on the PATH, e.g. pyenv's, may lack it).
  brian2: () =>
    // What the scripts use, not just `import brian2` (an empty brian2 folder imports as a namespace package).
    spawnSync('/usr/bin/python3', ['-c', 'from brian2 import NeuronGroup, Synapses; import brian2.units.allunits'], { stdio: 'ignore' })
      .status === 0
      ? null
      : 'Brian2 not importable by /usr/bin/python3 (Debian package python3-brian)',
  chromium: () => (has('chromium') || has('chromium-browser') ? null : 'chromium not found'),
  'test-msgs': () =>
    existsSync('/usr/share/test_interface_files/msg')
      ? null
      : "ROS 2's test interface files not found (/usr/share/test_interface_files/msg)",
};

/** A test file's path relative to the repository, from the stack of the requires() call. */
function callerFile(): string {
  const here = fileURLToPath(import.meta.url);
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = line.match(/(?:file:\/\/)?(\/[^:)\s]+\.test\.ts)/);
    if (m && m[1] !== here) return relative(ROOT, m[1]);
  }
  return 'a test file';
}

const failed = new Set<string>();

/**
 * Declares that the calling suite needs `need`. `probe` is the suite's own check (null: present; a
 * string: why not); without it the default probe for `need` runs.
 */
export function requires(need: Need, probe?: string | null | (() => string | null)): Requirement {
  const check = typeof probe === 'function' ? probe : probe !== undefined ? () => probe : PROBES[need];
  if (!check) throw new Error(`requires('${need}'): no default probe; pass the suite's own`);
  const reason = check();
  if (reason === null) return { skip: false, reason: null };
  const file = callerFile();
  if (process.env.CI === 'true') {
    // Once per file and requirement: the failure names it and the command that installs it.
    if (!failed.has(need)) {
      failed.add(need);
      it(`needs ${need} (CI=true: missing requirements fail instead of skipping)`, () => {
        throw new Error(`${need} is missing: ${reason}\ninstall it with:\n${installCommand([need])}`);
      });
    }
    return { skip: true, reason };
  }
  const log = process.env.FLUX_SKIP_LOG;
  if (log) appendFileSync(log, JSON.stringify({ need, reason, file }) + '\n');
  return { skip: true, reason };
}
