// `npm run fuzz`: the long fuzz campaign. Runs every property suite (tests/fuzz-*.test.ts) with its
// campaign counts (tests/fuzz.ts: runs()), then prints what was tried and found per property and in
// all: inputs, crashes (exceptions that are not a proper refusal), hangs (an input over 1 s),
// non-finite values accepted, refusals, the slowest input. Exits non-zero on any crash, hang,
// non-finite acceptance or failed property. The README keeps the last campaign's counts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const report = join(root, 'out', 'fuzz', 'report.jsonl');
mkdirSync(join(root, 'out', 'fuzz'), { recursive: true });
rmSync(report, { force: true });
const suites = readdirSync(join(root, 'tests'))
  .filter((f) => /^fuzz-.*\.test\.ts$/.test(f))
  .map((f) => `tests/${f}`);
const only = process.argv.slice(2);
const chosen = only.length ? suites.filter((s) => only.some((o) => s.includes(o))) : suites;
console.log(
  `flux fuzz: ${chosen.length} suites (${chosen.join(', ')}) on ${cpus()[0]?.model ?? 'an unknown CPU'} x${cpus().length}, node ${process.version}`,
);
const started = Date.now();
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...chosen, '--testTimeout', '0', '--hookTimeout', '0'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FLUX_FUZZ_CAMPAIGN: '1', FLUX_FUZZ_REPORT: report },
  },
);
const rows = existsSync(report)
  ? readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
const sum = (k) => rows.reduce((a, t) => a + t[k], 0);
const pad = (x, n) => String(x).padStart(n);
console.log(`\nflux fuzz: ${rows.length} properties in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(
  `${'suite / property'.padEnd(64)} ${pad('inputs', 9)} ${pad('crashes', 7)} ${pad('hangs', 5)} ${pad('nonfin', 6)} ${pad('refused', 8)} ${pad('slowest', 9)}`,
);
for (const t of rows)
  console.log(
    `${`${t.suite} / ${t.name}`.slice(0, 64).padEnd(64)} ${pad(t.inputs, 9)} ${pad(t.crashes, 7)} ${pad(t.hangs, 5)} ${pad(t.nonFinite, 6)} ${pad(t.refused, 8)} ${pad(`${t.slowestMs.toFixed(1)} ms`, 9)}`,
  );
console.log(
  `${'total'.padEnd(64)} ${pad(sum('inputs'), 9)} ${pad(sum('crashes'), 7)} ${pad(sum('hangs'), 5)} ${pad(sum('nonFinite'), 6)} ${pad(sum('refused'), 8)}`,
);
const bad = sum('crashes') + sum('hangs') + sum('nonFinite');
if (r.status !== 0 || bad > 0) {
  console.log(`flux fuzz: FAILED (${r.status !== 0 ? 'a property failed; ' : ''}${bad} crashes, hangs or non-finite acceptances)`);
  process.exit(1);
}
console.log('flux fuzz: no crash, no hang, no non-finite value accepted');
