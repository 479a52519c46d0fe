import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import type { Plugin } from 'vite';
import { playwright } from '@vitest/browser-playwright';
import { browserField } from './tools/vite-browser-field.js';
import { CHROMIUM, chromiumSuitesRun } from './tools/chromium.js';
import { exclusive } from './tests/fixtures/exclusive.js';

const root = dirname(fileURLToPath(import.meta.url));

// Where the suites record what they skipped for want of a package (tests/requirements.ts); the
// reporter tests/setup/skip-summary.ts prints it once at the end of the run.
process.env.FLUX_SKIP_LOG ??= join(tmpdir(), `flux-skips-${process.pid}.jsonl`);

/**
 * Suites that run unchanged in Node and in a page (issue 21: the same parity tests in both). In the
 * page their Node-only helpers are replaced by tests/browser/'s, and the engine's host by the
 * browser's, as package.json "browser" says.
 */
const IN_BOTH = [
  // CPU against WebGPU (the page's: Chromium's SwiftShader here), every feature.
  'tests/parity.test.ts',
  // Numerics: the Izhikevich patterns against Brian2, the models, STDP, modulators and reward learning.
  'tests/izhikevich.test.ts',
  'tests/models.test.ts',
  'tests/stdp.test.ts',
  'tests/modulators.test.ts',
  'tests/reward.test.ts',
];

/** The suites' Node-only helpers, replaced in a page by tests/browser/'s modules of the same name. */
const IN_PAGE: Record<string, string> = {
  './helpers.js': join(root, 'tests/browser/helpers.ts'),
  './requirements.js': join(root, 'tests/browser/requirements.ts'),
};

const testSupportInPage: Plugin = {
  name: 'flux-test-support-in-page',
  enforce: 'pre',
  resolveId(id, importer) {
    // Only the suites' own imports (tests/*.test.ts): a dependency may have a ./helpers.js of its own.
    if (importer && dirname(importer) === join(root, 'tests') && Object.hasOwn(IN_PAGE, id)) return IN_PAGE[id];
    return null;
  },
};

let releaseBusy: (() => void) | null = null;

/**
 * Run in this (Node) process at a page suite's request (tests/browser/setup.ts): a suite in Chromium
 * takes the cores the timing suites need, so it takes their lock as the Node suites that drive a
 * browser do (tests/fixtures/exclusive.ts).
 */
const pageCommands = {
  async busyLock(): Promise<void> {
    const release = await exclusive('busy');
    releaseBusy = release;
  },
  busyUnlock(): void {
    releaseBusy?.();
    releaseBusy = null;
  },
};

const exclude = ['**/node_modules/**', 'dist/**', 'out/**', 'test-artifacts/**', 'library/**', 'examples/**', 'tmp/**'];

const node: TestProjectInlineConfiguration = {
  extends: true,
  // Integration suites live in tests/; unit tests live beside their modules (bridge/limits.test.ts).
  test: { name: 'node', include: ['**/*.test.ts'], exclude },
};

const page: TestProjectInlineConfiguration = {
  plugins: [browserField(root), testSupportInPage],
  // A page has no process: what the suites read of its environment, written in at build time.
  define: { 'process.env.CI': JSON.stringify(process.env.CI ?? '') },
  resolve: {
    // Node's path module is POSIX paths in a page (its documents' namespace), as web/vite.config.ts says.
    alias: { 'node:path': 'pathe', path: 'pathe' },
  },
  test: {
    name: 'page',
    include: IN_BOTH,
    // The slowest parity case (COBA, 200 ms) takes about 50 s on SwiftShader here.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    setupFiles: [join(root, 'tests/browser/setup.ts')],
    browser: {
      enabled: true,
      headless: true,
      // WebGPU is behind a flag in Chromium on Linux; with it, headless Chromium offers SwiftShader's adapter.
      provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu'] } }),
      instances: [{ browser: 'chromium' }],
      commands: pageCommands,
    },
  },
};

// Without Debian's chromium the page project is left out (the Node suites that drive Chromium say so
// in the skip summary); under CI=true it runs, and fails without the browser.
const withPage = chromiumSuitesRun();

export default defineConfig({
  test: {
    exclude,
    // Suites simulate real networks (COBA is 4000 neurons for 1 s); two cores, so keep workers at two.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './tests/setup/skip-summary.ts'],
    env: { FLUX_SKIP_LOG: process.env.FLUX_SKIP_LOG },
    projects: withPage ? [node, page] : [node],
  },
});
