import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { pagePaths } from './share.js';

describe('pagePaths (flux share)', () => {
  it('keeps relative places under /shared/ and puts packages where the page finds them', () => {
    const files = ['/home/u/robot/bridge.yaml', '/home/u/robot/circuits/brain.yaml', '/home/u/lib/part.yaml', '/opt/pkgs/cpg/half.yaml'];
    const map = pagePaths(files, new Map([['/opt/pkgs/cpg', '@lab/cpg']]), path.posix);
    expect(files.map(map)).toEqual([
      '/shared/robot/bridge.yaml',
      '/shared/robot/circuits/brain.yaml',
      '/shared/lib/part.yaml',
      '/shared/node_modules/@lab/cpg/half.yaml',
    ]);
  });

  it('takes a single file as its own folder', () => {
    expect(pagePaths(['/a/b/c.yaml'], new Map(), path.posix)('/a/b/c.yaml')).toBe('/shared/c.yaml');
  });

  it('maps files that share only the root below it, without ".."', () => {
    const map = pagePaths(['/tmp/x/main.yaml', '/work/y/coba.yaml'], new Map(), path.posix);
    expect(map('/tmp/x/main.yaml')).toBe('/shared/tmp/x/main.yaml');
    expect(map('/work/y/coba.yaml')).toBe('/shared/work/y/coba.yaml');
  });

  it('puts a file in the innermost package that holds it', () => {
    const packages = new Map([
      ['/repo/lib/outer', '@x/outer'],
      ['/repo/lib/outer/inner', '@x/inner'],
    ]);
    const map = pagePaths(['/repo/b.yaml', '/repo/lib/outer/o.yaml', '/repo/lib/outer/inner/i.yaml'], packages, path.posix);
    expect(map('/repo/lib/outer/inner/i.yaml')).toBe('/shared/node_modules/@x/inner/i.yaml');
    expect(map('/repo/lib/outer/o.yaml')).toBe('/shared/node_modules/@x/outer/o.yaml');
  });

  it('refuses files on different Windows drives, and two files in one place', () => {
    expect(() => pagePaths(['C:\\u\\bridge.yaml', 'D:\\lib\\c.yaml'], new Map(), path.win32)).toThrow('share no folder');
    const map = pagePaths(['C:\\u\\r\\bridge.yaml', 'C:\\u\\c.yaml'], new Map(), path.win32);
    expect(map('C:\\u\\r\\bridge.yaml')).toBe('/shared/r/bridge.yaml');
    expect(() => pagePaths(['/a/x.yaml', '/p/x.yaml'], new Map([['/p', 'x.yaml']]), path.posix)).not.toThrow();
    const clash = new Map([
      ['/p1', '@s/pkg'],
      ['/p2', '@s/pkg'],
    ]);
    expect(() => pagePaths(['/p1/c.yaml', '/p2/c.yaml'], clash, path.posix)).toThrow('would both be /shared/node_modules/@s/pkg/c.yaml');
  });
});
