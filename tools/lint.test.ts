// The house style holds on the whole repository: ESLint (eslint.config.js) reports nothing and Prettier
// (.prettierrc.json) would change nothing. They run here, as tests, rather than before vitest: the
// suites spend much of their time waiting on child processes and real time, and two cores shared that
// way finish the lint in the gaps (run first, it added 12-15 s to npm test; see issue 17's note).
// `npm run lint` runs the same checks on their own.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a tool from node_modules/.bin in the repository; resolves with its exit code and output. */
function run(tool: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(repo, 'node_modules', '.bin', tool), args, { cwd: repo, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('house style', () => {
  it('ESLint finds no problem (function length, line width, type-lie casts, the recommended rules)', async () => {
    const r = await run('eslint', ['.']);
    expect(r.out.trim(), 'ESLint output').toBe('');
    expect(r.code).toBe(0);
  });

  it('every file is formatted as Prettier formats it', async () => {
    const r = await run('prettier', ['--check', '.']);
    expect(r.out, 'prettier --check output').toContain('All matched files use Prettier code style!');
    expect(r.code).toBe(0);
  });
});
