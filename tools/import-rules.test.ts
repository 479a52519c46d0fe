// The import-rule check holds on the repository and fails, naming each rule, on a planted tree that
// breaks every rule once (and keeps the one allowed exception, the browser's shared types file).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImports, type ImportCheck } from './import-rules.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each file of the planted tree and what it imports. */
const PLANTED: Record<string, string[]> = {
  // engine-self-contained
  'engine/core.ts': ['../bridge/io.js', './units.js'],
  // engine-core-isomorphic: a Node built-in in the core; Node's host may have them
  'engine/units.ts': ['node:fs'],
  'engine/platform/default-host.ts': ['node:fs', 'node:worker_threads'],
  // top-level folders bridge and ui import each other, with no module cycle
  'bridge/io.ts': ['../ui/view.js'],
  'bridge/link.ts': [],
  'ui/view.ts': [],
  'ui/panel.ts': ['../bridge/link.js'],
  // subfolders of sim/ import each other, with no module cycle
  'sim/x/one.ts': ['../y/two.js'],
  'sim/y/two.ts': [],
  'sim/y/three.ts': ['../x/four.js'],
  'sim/x/four.ts': [],
  // a module cycle inside one folder
  'extensions/a.ts': ['./b.js'],
  'extensions/b.ts': ['./a.js'],
  // the browser code: the shared types file is allowed, the server is not
  'ui/web/page.ts': ['../../sharing/catalog.js', '../panel.js'],
  'sharing/catalog.ts': [],
  // product code importing test code
  'cli/main.ts': ['../tests/helper.js'],
  'tests/helper.ts': ['../engine/units.js'],
};

describe('import rules', () => {
  let planted: string;
  let result: ImportCheck;

  beforeAll(async () => {
    planted = mkdtempSync(join(tmpdir(), 'flux-import-rules-'));
    for (const [file, imports] of Object.entries(PLANTED)) {
      mkdirSync(join(planted, dirname(file)), { recursive: true });
      writeFileSync(
        join(planted, file),
        imports.map((i, k) => `import * as m${k} from '${i}';\nexport const x${k} = m${k};\n`).join('') + 'export {};\n',
      );
    }
    writeFileSync(
      join(planted, 'tsconfig.check.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true },
        include: ['**/*.ts'],
      }),
    );
    result = await checkImports({ cwd: planted, folders: ['bridge', 'cli', 'engine', 'extensions', 'sharing', 'sim', 'ui'] });
  });

  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  it('hold on the repository', async () => {
    const repoResult = await checkImports({ cwd: repo });
    expect(repoResult.report).toMatch(/✔ import rules hold/);
    expect(repoResult.errors).toBe(0);
    expect(repoResult.unresolved).toEqual([]);
    // Every product folder was read (a wrong tsconfig or resolution would show as few modules).
    expect(repoResult.modules).toBeGreaterThan(100);
  });

  it('name each planted module violation', () => {
    const found = result.violations
      .map((v) => (v.cycle ? `${v.rule}: ${[...v.cycle].sort().join(' ')}` : `${v.rule}: ${v.from} -> ${v.to}`))
      .sort();
    expect(found).toEqual([
      'browser-code-self-contained: ui/web/page.ts -> ui/panel.ts',
      'engine-core-isomorphic: engine/units.ts -> fs',
      'engine-self-contained: engine/core.ts -> bridge/io.ts',
      // a cycle is reported once, with the modules around it
      'no-module-cycles: extensions/a.ts extensions/b.ts',
      'no-test-code-in-product: cli/main.ts -> tests/helper.ts',
    ]);
    expect(result.unresolved).toEqual([]);
  });

  it('name the folder cycles, top-level and between subfolders', () => {
    expect(result.folderCycles.map((c) => ({ parent: c.parent, folders: c.folders }))).toEqual([
      // engine -> bridge -> ui -> bridge: the top-level cycle is bridge and ui; engine only reaches it
      { parent: '.', folders: ['bridge', 'ui'] },
      { parent: 'sim', folders: ['x', 'y'] },
    ]);
    expect(result.folderCycles[0].edges.map((e) => e.example).sort()).toEqual([
      'bridge/io.ts → ui/view.ts',
      'ui/panel.ts → bridge/link.ts',
    ]);
    expect(result.errors).toBe(7);
    expect(result.report).toMatch(/error no-folder-cycles: top-level folders bridge ⇄ ui/);
    expect(result.report).toMatch(/error no-folder-cycles: subfolders of sim\/ x ⇄ y/);
  });
});
