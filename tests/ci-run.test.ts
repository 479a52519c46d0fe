// .ci/run on a fresh Debian 12 image (issue 16, section 4): such an image has no
// /etc/apt/sources.list, only deb822 files under sources.list.d. The script's apt-sources block
// runs here as .ci/run runs it (bash -euo pipefail), against a temporary /etc/apt.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { installCommand, packageLines, type Need } from './requirements.js';
import { summary } from './setup/skip-summary.js';

const script = readFileSync(join(import.meta.dirname, '../.ci/run'), 'utf8');

/** Runs the apt-sources block of .ci/run with `etc` as /etc/apt; returns the exit code and stderr. */
function runBlock(etc: string): { status: number | null; stderr: string } {
  const block = script.match(/^# --- apt sources[^\n]*\n([\s\S]*?)^# --- end of apt sources ---$/m);
  expect(block, 'the apt sources block of .ci/run').not.toBeNull();
  const body = block![1].replace(/^apt_etc=\/etc\/apt$/m, `apt_etc=${etc}`);
  expect(body).toContain(`apt_etc=${etc}`);
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', `SUDO=""\nbackports_packages=(mesa-vulkan-drivers)\n${body}`], {
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

const DEB822 =
  'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n';

describe('.ci/run on a fresh Debian 12 image', () => {
  it('with no /etc/apt/sources.list, adds bookworm-backports on the mirror of the deb822 sources', () => {
    const etc = tempDir('flux-apt-');
    mkdirSync(join(etc, 'sources.list.d'));
    writeFileSync(join(etc, 'sources.list.d/debian.sources'), DEB822);
    const r = runBlock(etc);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(etc, 'sources.list.d/flux-backports.sources'), 'utf8')).toMatch(
      /^URIs: http:\/\/mirror\.example\/debian$\nSuites: bookworm-backports$/m,
    );
  });

  it('with no sources at all, falls back to deb.debian.org; with backports present, writes nothing', () => {
    const bare = tempDir('flux-apt-');
    mkdirSync(join(bare, 'sources.list.d'));
    expect(runBlock(bare).status).toBe(0);
    expect(readFileSync(join(bare, 'sources.list.d/flux-backports.sources'), 'utf8')).toContain('URIs: http://deb.debian.org/debian\n');
    const has = tempDir('flux-apt-');
    mkdirSync(join(has, 'sources.list.d'));
    writeFileSync(join(has, 'sources.list'), 'deb http://mirror.example/debian bookworm-backports main\n');
    expect(runBlock(has).status).toBe(0);
    expect(existsSync(join(has, 'sources.list.d/flux-backports.sources'))).toBe(false);
  });
});

describe('the packages the tests need (.ci/packages, one list for .ci/run and the skip summary)', () => {
  const NEEDS: Need[] = ['webgpu', 'test-msgs', 'python3', 'brian2', 'cmake', 'socat', 'chromium', 'simavr', 'dds', 'dds-peers'];

  it('names every requirement a suite can declare, each with packages; .ci/run installs the same list', () => {
    const lines = packageLines();
    expect(lines.map((l) => l.need).sort()).toEqual([...NEEDS].sort());
    for (const l of lines) expect(l.packages.length, l.need).toBeGreaterThan(0);
    expect(lines.find((l) => l.need === 'webgpu')).toMatchObject({ suite: 'bookworm-backports', packages: ['mesa-vulkan-drivers'] });
    expect(script).toContain('done < .ci/packages');
    expect(script).not.toMatch(/apt-get install[^\n]*\b(socat|chromium|cmake)\b/);
  });

  it('the summary names each skipped requirement once, its files, and one install command for all of them', () => {
    const text = summary([
      { need: 'socat', reason: 'socat not found', file: 'tests/serial.test.ts' },
      { need: 'socat', reason: 'socat not found', file: 'tests/bridge-devices.test.ts' },
      { need: 'cmake', reason: 'cmake not found', file: 'tests/launch.test.ts' },
    ]);
    expect(text).toContain(
      '  cmake: cmake not found -- tests/launch.test.ts\n  socat: socat not found -- tests/bridge-devices.test.ts, tests/serial.test.ts\n',
    );
    expect(text).toContain('  sudo apt-get install -y --no-install-recommends cmake ament-cmake socat\n');
    expect(summary([])).toBe('');
    expect(installCommand(['webgpu'])).toMatch(
      /^sudo apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers\n# bookworm-backports must be in the apt sources/,
    );
  });
});
