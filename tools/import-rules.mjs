#!/usr/bin/env node
// The import-rule check (`npm run lint:imports`): dependency-cruiser with .dependency-cruiser.cjs for
// the rules on modules (engine self-contained, the browser code, no test code in the product, no
// module cycles), and cycles between folders, which dependency-cruiser's per-module `circular` cannot
// see: two folders may depend on each other through modules that form no cycle (a/x -> b/y, b/z -> a/w).
// One cruise serves both.
//
//   node tools/import-rules.mjs [folder...]     (default: the product folders)
//
// Folder cycles are checked between sibling folders at every level: the top-level folders (bridge,
// engine, ...) and the subfolders of each folder (bridge/io, bridge/safety, ...), each folder taken
// with everything below it. Files directly in a folder are not a node of its subfolders' graph:
// engine/engine.ts composes engine/circuit and engine/compile, which may use engine/units.ts.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

export const PRODUCT_FOLDERS = ['bin', 'bridge', 'cli', 'drivers', 'engine', 'extensions', 'interop', 'sharing', 'sim', 'ui', 'web'];

/** Test code (the suites, the benchmarks, unit tests beside modules): it may import anything and is no folder's dependency. */
const TEST_CODE = /^(tests|bench)\/|\.test\.ts$/;

/**
 * Cruises `folders` under `cwd` with the repository's rules (`config`, default the one beside this
 * script's folder). Returns the module-rule violations, the folder cycles and a printable report.
 */
export async function checkImports({
  cwd = process.cwd(),
  folders = PRODUCT_FOLDERS,
  config = new URL('../.dependency-cruiser.cjs', import.meta.url),
} = {}) {
  const started = performance.now();
  const options = await extractDepcruiseOptions(config instanceof URL ? fileURLToPath(config) : config);
  const tsConfigFile = resolve(cwd, options.tsConfig?.fileName ?? 'tsconfig.json');
  const { output } = await cruise(folders, { ...options, baseDir: cwd, tsConfig: { fileName: tsConfigFile } }, undefined, {
    tsConfig: extractTSConfig(tsConfigFile),
  });
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered with text, not a result: ${output.slice(0, 200)}`);
  const violations = output.summary.violations.map((v) => ({
    rule: v.rule.name,
    severity: v.rule.severity,
    from: v.from,
    to: v.to,
    cycle: v.cycle?.map((c) => c.name),
  }));
  const unresolved = output.modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve).map((d) => ({ from: m.source, module: d.module })),
  );
  const folderCycles = findFolderCycles(output.modules);
  const errors = violations.filter((v) => v.severity === 'error').length + folderCycles.length + unresolved.length;
  const lines = [];
  if (violations.length) lines.push((await format(output, { outputType: 'err' })).output.trimEnd());
  for (const u of unresolved) lines.push(`  error unresolved-import: ${u.from} → ${u.module} (not found: a rule cannot judge it)`);
  for (const c of folderCycles) {
    lines.push(
      `  error no-folder-cycles: ${c.parent === '.' ? 'top-level folders' : `subfolders of ${c.parent}/`} ${c.folders.join(' ⇄ ')}`,
    );
    for (const e of c.edges) lines.push(`      ${e.from} → ${e.to}   (${e.example})`);
  }
  const ms = Math.round(performance.now() - started);
  lines.push(
    errors
      ? `✘ ${errors} import-rule error(s) (${output.summary.totalCruised} modules, ${output.summary.totalDependenciesCruised} dependencies, ${ms} ms)`
      : `✔ import rules hold: no violations, no folder cycles (${output.summary.totalCruised} modules, ${output.summary.totalDependenciesCruised} dependencies, ${ms} ms)`,
  );
  return { errors, violations, unresolved, folderCycles, modules: output.summary.totalCruised, ms, report: lines.join('\n') };
}

/**
 * Cycles between sibling folders: every import between two modules is an edge between the children
 * of their deepest common folder that hold them (none when one of them sits directly in that folder).
 * Returns each strongly connected set of two or more siblings, with one import per edge as the example.
 */
export function findFolderCycles(modules) {
  /** parent folder -> child -> child it imports -> one import that makes the edge */
  const graphs = new Map();
  for (const m of modules) {
    if (TEST_CODE.test(m.source)) continue;
    for (const d of m.dependencies) {
      if (d.coreModule || d.couldNotResolve || d.resolved.startsWith('node_modules/')) continue;
      const a = m.source.split('/');
      const b = d.resolved.split('/');
      let i = 0;
      while (i < a.length - 1 && i < b.length - 1 && a[i] === b[i]) i++;
      if (i === a.length - 1 || i === b.length - 1) continue;
      const parent = a.slice(0, i).join('/') || '.';
      if (!graphs.has(parent)) graphs.set(parent, new Map());
      const g = graphs.get(parent);
      if (!g.has(a[i])) g.set(a[i], new Map());
      if (!g.get(a[i]).has(b[i])) g.get(a[i]).set(b[i], `${m.source} → ${d.resolved}`);
    }
  }
  const cycles = [];
  for (const [parent, g] of [...graphs].sort(([x], [y]) => x.localeCompare(y))) {
    for (const set of stronglyConnected(g)) {
      const folders = [...set].sort();
      const edges = folders.flatMap((from) =>
        [...(g.get(from) ?? [])].filter(([to]) => set.has(to)).map(([to, example]) => ({ from, to, example })),
      );
      cycles.push({ parent, folders, edges });
    }
  }
  return cycles;
}

/** Tarjan's algorithm: the strongly connected sets of two or more nodes of `g` (node -> successors). */
function stronglyConnected(g) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const set = new Set();
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      set.add(w);
    } while (w !== v);
    if (set.size > 1) found.push(set);
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const folders = process.argv.slice(2);
  const result = await checkImports(folders.length ? { folders } : {});
  console.log(result.report);
  process.exitCode = result.errors ? 1 : 0;
}
