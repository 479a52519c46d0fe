// A vitest reporter (vitest.config.ts) that prints, once at the end of the run, what the suites
// skipped because the machine lacks something (tests/requirements.ts records each skip in the file
// FLUX_SKIP_LOG) and the one command that installs it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';
import { installCommand } from '../requirements.js';

interface Skip {
  need: string;
  reason: string;
  file: string;
}

function readSkips(file: string): Skip[] {
  if (!existsSync(file)) return [];
  const out: Skip[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as Skip);
    } catch {
      // a line cut by a worker that died mid-write: the rest still counts
    }
  }
  return out;
}

/** The summary text for a list of skips ('' when nothing was skipped). */
export function summary(skips: Skip[]): string {
  if (skips.length === 0) return '';
  const byNeed = new Map<string, { reason: string; files: Set<string> }>();
  for (const s of skips) {
    const e = byNeed.get(s.need) ?? { reason: s.reason, files: new Set<string>() };
    e.files.add(s.file);
    byNeed.set(s.need, e);
  }
  const lines = ['', 'Skipped because this machine lacks what they need (CI=true makes these failures):'];
  for (const [need, e] of [...byNeed].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${need}: ${e.reason} -- ${[...e.files].sort().join(', ')}`);
  lines.push(
    'Install all of it with:',
    ...installCommand(byNeed.keys())
      .split('\n')
      .map((l) => `  ${l}`),
    '',
  );
  return lines.join('\n');
}

export default class SkipSummary implements Reporter {
  private readonly file = process.env.FLUX_SKIP_LOG ?? '';

  onInit(): void {
    if (this.file) writeFileSync(this.file, '');
  }

  onTestRunStart(): void {
    if (this.file) writeFileSync(this.file, '');
  }

  onTestRunEnd(): void {
    if (!this.file) return;
    const text = summary(readSkips(this.file));
    if (text) process.stdout.write(`${text}\n`);
    rmSync(this.file, { force: true });
  }
}
