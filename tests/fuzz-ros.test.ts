// The remaining inputs from outside the process, fuzzed: spike-link messages from other Flux
// processes over DDS (bridge/spike-link.ts), the --ros-args a launch file passes, and ROS parameter
// files. Properties: a result or the parser's own refusal, under a second, never an allocation beyond
// what the bytes hold, never a non-finite or out-of-range value accepted, nothing polluted.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSpikeTick, encodeSpikeTick } from '../bridge/spike-link.js';
import { RosArgsError, paramsForNode, parseRosArgs } from '../bridge/node/rosargs.js';
import { flushTallies, hasNonFinite, judge, runs, HANG_MS } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'flux-fuzz-ros-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  flushTallies('ros');
});

const tick = fc.record({
  tick: fc.nat(),
  firstStep: fc.nat(),
  dt: fc.constantFrom(0.1, 1, 0.05),
  steps: fc.integer({ min: 1, max: 100 }),
  size: fc.integer({ min: 1, max: 1000 }),
  n: fc.nat({ max: 50 }),
});

/** A decoded tick is what a receiver may fire: positive finite dt, every spike inside the population and the tick. */
function sane(m: ReturnType<typeof decodeSpikeTick>): boolean {
  if (!(Number.isFinite(m.dt) && m.dt > 0 && m.steps > 0) || m.index.length !== m.offset.length) return false;
  for (let i = 0; i < m.index.length; i++) if (m.index[i] >= m.size || m.offset[i] >= m.steps) return false;
  return true;
}

describe('spike-link messages', () => {
  it('random bytes and mutated encodings: a sane tick or a refusal, at once', () => {
    const valid = tick.map((t) => {
      const index = Uint32Array.from({ length: t.n }, (_, i) => (i * 7919) % t.size);
      const offset = Uint16Array.from({ length: t.n }, (_, i) => i % t.steps);
      return encodeSpikeTick({ tick: t.tick, firstStep: t.firstStep, dt: t.dt, steps: t.steps, size: t.size, index, offset });
    });
    const mutated = fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.option(fc.nat()))
      .map(([b, flips, cut]) => {
        const c = Uint8Array.from(b);
        for (const [at, v] of flips) c[at % c.length] = v;
        return cut === null ? c : c.subarray(0, cut % (c.length + 1));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
        const r = judge(
          'spike-link: decode',
          () => decodeSpikeTick(bytes),
          (e) => e instanceof Error,
        );
        expect(r.ms).toBeLessThan(HANG_MS);
        if (!r.ok) {
          expect(r.refused).toBe(true);
          return;
        }
        expect(sane(r.value), `accepted ${JSON.stringify({ ...r.value, index: [...r.value.index], offset: [...r.value.offset] })}`).toBe(
          true,
        );
        expect(r.value.index.length * 4).toBeLessThanOrEqual(bytes.byteLength);
      }),
      { numRuns: runs(3000, 500_000), seed: 16 },
    );
  });

  it('a dt that is not a positive finite number is refused (a receiver would fire on it)', () => {
    for (const dt of [Infinity, -Infinity, NaN, 0, -1]) {
      const bytes = encodeSpikeTick({
        tick: 1,
        firstStep: 10,
        dt,
        steps: 10,
        size: 4,
        index: Uint32Array.of(1),
        offset: Uint16Array.of(2),
      });
      expect(() => decodeSpikeTick(bytes), String(dt)).toThrow(/bad dt/);
    }
  });

  it('a round trip gives the same tick', () => {
    fc.assert(
      fc.property(tick, (t) => {
        const index = Uint32Array.from({ length: t.n }, (_, i) => (i * 31) % t.size);
        const offset = Uint16Array.from({ length: t.n }, (_, i) => (i * 3) % t.steps);
        const m = decodeSpikeTick(
          encodeSpikeTick({ tick: t.tick, firstStep: t.firstStep, dt: t.dt, steps: t.steps, size: t.size, index, offset }),
        );
        expect([m.tick, m.firstStep, m.dt, m.steps, m.size]).toEqual([t.tick, t.firstStep, t.dt, t.steps, t.size]);
        expect([...m.index]).toEqual([...index]);
        expect([...m.offset]).toEqual([...offset]);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('ROS arguments and parameter files', () => {
  const word = fc.oneof(
    fc.constantFrom(
      '--ros-args',
      '-r',
      '--remap',
      '-p',
      '--param',
      '--params-file',
      '--log-level',
      '--',
      '__node:=x',
      '__ns:=/r1',
      'scan:=/front/scan',
      'a:=1e400',
      'x:=.nan',
      '__proto__:=1',
      'constructor:={a: 1}',
      'n:x:=y',
      ':=',
      'a:=[1, 2',
    ),
    fc.string({ maxLength: 20 }),
  );
  it('--ros-args: parsed or refused with a RosArgsError, fast, nothing polluted', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (argv) => {
        const r = judge(
          'ros args',
          () => parseRosArgs(argv),
          (e) => e instanceof RosArgsError,
        );
        expect(r.ms).toBeLessThan(HANG_MS);
        if (!r.ok) expect(r.refused, String((r.error as Error)?.stack)).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: runs(2000, 200_000) },
    );
  });

  it('a parameter named __proto__ is refused with the file (found by the campaign: it replaced the prototype of the parameters)', () => {
    const file = join(dir, 'proto.yaml');
    writeFileSync(file, '/**:\n  ros__parameters:\n    "": { __proto__: null }\n    __proto__: null\n');
    expect(() => paramsForNode(file, 'flux', '/')).toThrow(/proto\.yaml: parameter "__proto__": "__proto__" is not allowed/);
    writeFileSync(file, 'flux:\n  ros__parameters:\n    inputs:\n      constructor: { topic: /x }\n');
    expect(() => paramsForNode(file, 'flux', '/')).toThrow(/parameter "inputs.constructor"/);
  });

  it("parameter files: the node's parameters or a RosArgsError naming the file, nothing polluted", () => {
    const value = fc.oneof(
      fc.double(),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.constant({ polluted: 1 }),
    );
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'tick_hz', 'watchdog_ms', 'inputs.scan.topic'),
      fc.string({ maxLength: 10 }),
    );
    const section = fc.oneof(
      fc.record({ ros__parameters: fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 5 }) }),
      value,
    );
    const doc = fc.oneof(
      fc.dictionary(fc.constantFrom('/**', 'flux', '/flux', '/robot1/flux', 'other', '__proto__'), section, { maxKeys: 4 }),
      value,
    );
    let n = 0;
    fc.assert(
      fc.property(doc, (d) => {
        const file = join(dir, `p${n++ % 8}.yaml`);
        writeFileSync(file, stringify(d));
        const r = judge(
          'ros params file',
          () => paramsForNode(file, 'flux', '/'),
          (e) => e instanceof RosArgsError && e.message.includes(file),
        );
        expect(r.ms).toBeLessThan(HANG_MS);
        if (!r.ok) expect(r.refused, String((r.error as Error)?.stack)).toBe(true);
        else expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        if (r.ok) expect(hasNonFinite(r.value) ? 'non-finite values are for the parameter checks to refuse' : 'ok').toBeTruthy();
      }),
      { numRuns: runs(500, 50_000) },
    );
  });
});
