import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIND } from './layout.js';
import { bindingsSource, kernelSource } from './shaders.js';

describe('WGSL bindings', () => {
  it('shaders/bindings.wgsl declares every buffer of layout.ts BIND at its number, prm alone read-only', () => {
    const declared = [...bindingsSource().matchAll(/@binding\((\d+)\) var<storage, (read|read_write)> (\w+):/g)].map((m) => ({
      binding: Number(m[1]),
      access: m[2],
      name: m[3],
    }));
    expect(Object.fromEntries(declared.map((d) => [d.name, d.binding]))).toEqual(BIND);
    expect(declared.filter((d) => d.access === 'read').map((d) => d.name)).toEqual(['prm']);
  });

  it('kernel files declare no bindings of their own: every kernel gets the one list', () => {
    const dir = join(import.meta.dirname, '../../../shaders');
    const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl') && f !== 'bindings.wgsl');
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/@binding\(/);
    const kernel = kernelSource('propagate.wgsl', 'work.wgsl', 'propagate-step.wgsl', 'modulators.wgsl', 'end-step.wgsl');
    expect(kernel.match(/@binding\(/g)).toHaveLength(Object.keys(BIND).length);
  });
});
