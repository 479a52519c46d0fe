import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Where the suites record what they skipped for want of a package (tests/requirements.ts); the
// reporter tests/setup/skip-summary.ts prints it once at the end of the run.
process.env.FLUX_SKIP_LOG ??= join(tmpdir(), `flux-skips-${process.pid}.jsonl`);

export default defineConfig({
  test: {
    // Integration suites live in tests/; unit tests live beside their modules (bridge/limits.test.ts).
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'out/**', 'test-artifacts/**', 'library/**', 'examples/**', 'tmp/**'],
    // Suites simulate real networks (COBA is 4000 neurons for 1 s); two cores, so keep workers at two.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './tests/setup/skip-summary.ts'],
    env: { FLUX_SKIP_LOG: process.env.FLUX_SKIP_LOG },
  },
});
