// The built-in compute nodes and the recorder, against their definitions: options schemas (ajv),
// filter cut-offs and time constants, PID step responses and anti-windup, clamp, lookup tables,
// hysteresis and the recorder's files. The expression language is unit-tested beside it
// (extensions/builtin/expression.test.ts).
import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { ComputeExtension, ComputeInstance, Extension, ExtensionContext, PortValue } from '../extensions/api.js';
import { BUILTIN_EXTENSIONS } from '../extensions/builtin/index.js';
import { lowpass, highpass, movingAverage } from '../extensions/builtin/filters.js';
import { pid } from '../extensions/builtin/pid.js';
import { gain } from '../extensions/builtin/arith.js';
import { lookup } from '../extensions/builtin/lookup.js';
import { threshold } from '../extensions/builtin/threshold.js';
import { readColumnar, recorder } from '../extensions/builtin/recorder.js';
import { tempDir } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));
/** Polls `f` until it is true (a loaded machine may be slow to write), up to 5 s. */
async function waitFor(f: () => boolean): Promise<boolean> {
  for (let k = 0; k < 500 && !f(); k++) await sleep(10);
  return f();
}

function ctxOf(dir = tempDir('flux-ext-')): ExtensionContext & { logs: string[] } {
  const logs: string[] = [];
  return { name: 'node1', dir, logs, log: (l: string) => logs.push(l) };
}

/** Options as the runtime gives them: validated by ajv with defaults filled in (ajv's check is the type guard). */
function validated<O>(ext: Extension<O>, options: Record<string, unknown>): O {
  const v = new Ajv({ strict: true, useDefaults: true, allErrors: true }).compile<O>(ext.options);
  const o: unknown = structuredClone(options);
  if (!v(o)) throw new Error(`${ext.name}: ${JSON.stringify(v.errors)}`);
  return o;
}

function make<O>(ext: ComputeExtension<O>, options: Record<string, unknown>, ctx = ctxOf()): ComputeInstance {
  return ext.create(validated(ext, options), ctx);
}

/** Steps a single-input node (port x) and returns output y (NaN where the node left it out). */
const y1 = (node: ComputeInstance, x: PortValue | undefined, dt = 1) => {
  const out = node.step({ x }, dt);
  return 'y' in out ? out.y : NaN;
};

/** Peak |y| of a first-order filter over the last `periods` periods of a unit sinusoid at f Hz. */
function amplitude(node: ComputeInstance, f: number, dtMs: number, seconds: number, periods = 2): number {
  const n = Math.round((seconds * 1000) / dtMs);
  const tail = Math.round((periods * 1000) / f / dtMs);
  let peak = 0;
  for (let k = 0; k < n; k++) {
    const y = y1(node, Math.sin((2 * Math.PI * f * k * dtMs) / 1000), dtMs) as number;
    if (k >= n - tail) peak = Math.max(peak, Math.abs(y));
  }
  return peak;
}

// ---------------------------------------------------------------------------------------------

// For each node: options that validate, and options that must not.
const GOOD: Record<string, Record<string, unknown>> = {
  lowpass: { cutoff: 5 },
  highpass: { cutoff: 5 },
  moving_average: {},
  pid: { kp: 2, ki: 1, min: -1, max: 1 },
  gain: { gain: 2, max: 3 },
  expression: { expression: 'a + b', inputs: ['a', 'b'] },
  lookup: {
    points: [
      [0, 0],
      [1, 1],
    ],
  },
  threshold: { on: 1, off: 0 },
  recorder: { path: 'x.csv' },
};
const BAD: Record<string, Record<string, unknown>[]> = {
  lowpass: [{}, { cutoff: 0 }, { cutoff: -5 }, { cutoff: '5 Hz' }, { cutoff: 5, order: 2 }],
  highpass: [{}, { cutoff: 0 }, { cutoff: 5, cuttoff: 5 }],
  moving_average: [{ window: 0 }, { window: 2.5 }, { window: '10' }, { samples: 3 }],
  pid: [{ kp: 'high' }, { anti_windup: 'clamp' }, { derivative_cutoff: -1 }, { tracking_tau: 0 }, { kP: 1 }],
  gain: [{ gain: '2' }, { scale: 2 }, { min: null }],
  expression: [
    {},
    { expression: '' },
    { expression: 'x', inputs: ['1a'] },
    { expression: 'x', inputs: ['x', 'x'] },
    { expression: 1 },
    { expression: 'x', vars: [] },
  ],
  lookup: [
    {},
    { points: [[0, 0]] },
    { points: [[0, 0], [1]] },
    {
      points: [
        [0, 0],
        [1, 2, 3],
      ],
    },
    {
      points: [
        [0, 0],
        [1, 1],
      ],
      outside: 'wrap',
    },
  ],
  threshold: [{ on: 1 }, { off: 0 }, { on: 1, off: 0, initial: 'on' }, { on: 1, off: 0, hi: 1 }],
  recorder: [
    {},
    { path: '' },
    { path: 'x.csv', format: 'parquet' },
    { path: 'x.csv', flush_interval: 0 },
    { path: 'x.csv', max_rows: 1.5 },
  ],
};

describe('built-in extensions: definitions and options schemas', () => {
  it('are the nine documented nodes, with unique names and the right kinds', () => {
    expect(BUILTIN_EXTENSIONS.map((e) => e.name)).toEqual([
      'lowpass',
      'highpass',
      'moving_average',
      'pid',
      'gain',
      'expression',
      'lookup',
      'threshold',
      'recorder',
    ]);
    expect(BUILTIN_EXTENSIONS.filter((e) => e.kind === 'compute').length).toBe(8);
    expect(recorder.kind).toBe('output');
    for (const e of BUILTIN_EXTENSIONS) expect(e.doc.length, e.name).toBeGreaterThan(80);
  });

  it('every schema compiles under ajv strict mode, closes its properties and describes each one', () => {
    for (const e of BUILTIN_EXTENSIONS) {
      expect(() => new Ajv({ strict: true }).compile(e.options), e.name).not.toThrow();
      expect(e.options.type, e.name).toBe('object');
      expect(e.options.additionalProperties, e.name).toBe(false);
      const props = e.options.properties as Record<string, { description?: string }>;
      expect(Object.keys(props).length, e.name).toBeGreaterThan(0);
      for (const [k, p] of Object.entries(props)) expect(p.description?.length ?? 0, `${e.name}.${k}`).toBeGreaterThan(15);
    }
  });

  it('valid options pass, get the documented defaults, and create a node', () => {
    for (const e of BUILTIN_EXTENSIONS) {
      const o = validated(e, GOOD[e.name]);
      // Every default the schema documents is filled in, and `defaults` lists exactly them.
      for (const [k, v] of Object.entries(e.defaults ?? {})) if (!(k in GOOD[e.name])) expect(o[k], `${e.name}.${k}`).toEqual(v);
      const withDefaults = Object.entries(e.options.properties as Record<string, { default?: unknown }>).filter(
        ([, p]) => p.default !== undefined,
      );
      expect(Object.keys(e.defaults ?? {}).sort(), e.name).toEqual(withDefaults.map(([k]) => k).sort());
      expect(() => e.create(o, ctxOf()), e.name).not.toThrow();
    }
    expect(validated(pid, {})).toEqual({ kp: 1, ki: 0, kd: 0, anti_windup: 'back_calculation', derivative_cutoff: 0 });
    expect(validated(threshold, { on: 1, off: 0 })).toEqual({ on: 1, off: 0, high: 1, low: 0, initial: 'low' });
  });

  it('wrong options fail schema validation, naming the offending property', () => {
    for (const e of BUILTIN_EXTENSIONS) {
      const v = new Ajv({ strict: true, useDefaults: true, allErrors: true }).compile(e.options);
      for (const bad of BAD[e.name]) {
        expect(v(structuredClone(bad)), `${e.name} ${JSON.stringify(bad)}`).toBe(false);
        expect(v.errors?.length, e.name).toBeGreaterThan(0);
      }
    }
    const v = new Ajv({ strict: true, allErrors: true }).compile(lowpass.options);
    v({ cutoff: 5, order: 2 });
    expect(v.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'order' } });
    v({ cutoff: -1 });
    expect(v.errors?.[0]).toMatchObject({ instancePath: '/cutoff', keyword: 'exclusiveMinimum' });
  });

  it('create() refuses values that would give NaN even when the schema is bypassed, naming the option', () => {
    const ctx = ctxOf();
    const create = (e: Extension, o: Record<string, unknown>) => () => e.create(o, ctx);
    expect(create(lowpass, { cutoff: -1 })).toThrow(/lowpass: option "cutoff" must be > 0, got -1/);
    expect(create(lowpass, { cutoff: NaN })).toThrow(/option "cutoff" must be a finite number/);
    expect(create(highpass, { cutoff: Infinity })).toThrow(/highpass: option "cutoff"/);
    expect(create(movingAverage, { window: 0 })).toThrow(/moving_average: option "window" must be > 0/);
    expect(create(movingAverage, { window: 2.5 })).toThrow(/option "window" must be a whole number/);
    expect(create(pid, { kp: NaN })).toThrow(/pid: option "kp"/);
    expect(create(pid, { min: 2, max: 1 })).toThrow(/pid: option "min" \(2\) must not exceed "max" \(1\)/);
    expect(create(pid, { ki: 1, tracking_tau: 0 })).toThrow(/option "tracking_tau" must be > 0/);
    expect(create(pid, { derivative_cutoff: -3 })).toThrow(/option "derivative_cutoff" must be >= 0/);
    expect(create(gain, { gain: 1, min: 3, max: -3 })).toThrow(/gain: option "min"/);
    expect(create(threshold, { on: 0, off: 1 })).toThrow(/threshold: option "on" \(0\) must be greater than "off" \(1\)/);
    expect(create(threshold, { on: 1, off: 1 })).toThrow(/must be greater than "off"/);
    expect(create(lookup, { points: [[0, 0]] })).toThrow(/lookup: option "points" must list at least two/);
    expect(create(recorder, { path: 'x.txt' })).toThrow(/recorder: option "format"/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('lowpass', () => {
  it('attenuates a sinusoid at the cut-off to 1/sqrt(2) (within 2%) and one a decade above to ~1/sqrt(101)', () => {
    const fc = 5;
    expect(Math.abs(amplitude(make(lowpass, { cutoff: fc }), fc, 0.1, 2) / Math.SQRT1_2 - 1)).toBeLessThan(0.02);
    expect(Math.abs(amplitude(make(lowpass, { cutoff: fc }), 10 * fc, 0.05, 1) / (1 / Math.sqrt(101)) - 1)).toBeLessThan(0.03);
    // Well below the cut-off it passes.
    expect(amplitude(make(lowpass, { cutoff: fc }), fc / 20, 1, 100, 1)).toBeGreaterThan(0.99);
  });

  it('a step reaches 1 - 1/e after one time constant 1/(2π fc), exactly at every step size', () => {
    const fc = 10;
    const tauMs = 1000 / (2 * Math.PI * fc);
    for (const dt of [0.1, 1, 5, 20]) {
      const f = make(lowpass, { cutoff: fc });
      expect(y1(f, 0, dt)).toBe(0); // the first sample initialises the state
      let y = 0;
      const n = 50;
      for (let k = 1; k <= n; k++) {
        y = y1(f, 1, dt) as number;
        expect(y, `dt ${dt} step ${k}`).toBeCloseTo(1 - Math.exp((-k * dt) / tauMs), 12);
      }
      expect(y).toBeLessThanOrEqual(1);
    }
    // Crossing 1 - 1/e happens within a step of tau.
    const f = make(lowpass, { cutoff: fc });
    y1(f, 0, 0.1);
    let t = 0;
    while ((y1(f, 1, 0.1) as number) < 1 - 1 / Math.E) t += 0.1;
    expect(Math.abs(t + 0.1 - tauMs)).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('starts at its first sample, holds on a missing input, filters vectors element-wise, and reconfigures live', () => {
    const f = make(lowpass, { cutoff: 1 });
    expect(y1(f, 7)).toBe(7);
    expect(f.step({}, 1)).toEqual({});
    expect(f.step({ x: NaN }, 1)).toEqual({});
    const v = make(lowpass, { cutoff: 10 });
    expect(y1(v, [0, 10])).toEqual([0, 10]);
    const out = y1(v, [1, 0], 5) as number[];
    const a = 1 - Math.exp((-2 * Math.PI * 10 * 5) / 1000);
    expect(out[0]).toBeCloseTo(a, 12);
    expect(out[1]).toBeCloseTo(10 * (1 - a), 12);
    // A faster cut-off applies from the next sample, state kept.
    const r = make(lowpass, { cutoff: 1 });
    y1(r, 0);
    const slow = y1(r, 1, 10) as number;
    r.reconfigure!({ cutoff: 100 });
    const fast = y1(r, 1, 10) as number;
    expect(fast - slow).toBeCloseTo((1 - slow) * (1 - Math.exp((-2 * Math.PI * 100 * 10) / 1000)), 12);
    expect(() => r.reconfigure!({ cutoff: 0 })).toThrow(/cutoff/);
    r.reset!();
    expect(y1(r, 3)).toBe(3);
  });
});

describe('highpass', () => {
  it('rejects DC: a constant gives 0 from the start, and a step decays to 0', () => {
    const f = make(highpass, { cutoff: 2 });
    for (let k = 0; k < 100; k++) expect(y1(f, 3)).toBe(0);
    const first = y1(f, 4, 1) as number;
    expect(first).toBeGreaterThan(0.98);
    let y = first;
    for (let k = 0; k < 2000; k++) y = y1(f, 4, 1) as number;
    expect(Math.abs(y)).toBeLessThan(1e-9);
  });

  it('passes 1/sqrt(2) (within 2%) at its cut-off and nearly all of a decade above', () => {
    expect(Math.abs(amplitude(make(highpass, { cutoff: 5 }), 5, 0.1, 2) / Math.SQRT1_2 - 1)).toBeLessThan(0.02);
    expect(amplitude(make(highpass, { cutoff: 5 }), 50, 0.05, 1)).toBeGreaterThan(0.99);
    expect(amplitude(make(highpass, { cutoff: 5 }), 0.25, 1, 20, 1)).toBeLessThan(0.06);
  });

  it('is the complement of lowpass: lowpass + highpass = input', () => {
    const lp = make(lowpass, { cutoff: 3 });
    const hp = make(highpass, { cutoff: 3 });
    for (let k = 0; k < 500; k++) {
      const x = Math.sin(k / 7) + (k % 13 === 0 ? 2 : 0);
      expect((y1(lp, x, 2) as number) + (y1(hp, x, 2) as number)).toBeCloseTo(x, 12);
    }
  });
});

describe('moving_average', () => {
  it('is the mean of the last `window` samples (of the samples so far before the window fills)', () => {
    const f = make(movingAverage, { window: 4 });
    expect([1, 2, 3, 4, 5, 6].map((x) => y1(f, x))).toEqual([1, 1.5, 2, 2.5, 3.5, 4.5]);
    // A missing sample is not a sample.
    expect(f.step({}, 1)).toEqual({});
    expect(y1(f, 7)).toBe(5.5);
    // Default window 10.
    const d = make(movingAverage, {});
    let y = 0;
    for (let k = 1; k <= 20; k++) y = y1(d, k) as number;
    expect(y).toBe(15.5);
  });

  it('removes an alternating disturbance exactly and does not drift (the sum is redone every lap)', () => {
    const f = make(movingAverage, { window: 2 });
    y1(f, 5);
    for (let k = 0; k < 100; k++) expect(y1(f, 5 + (k % 2 ? 1 : -1))).toBe(k === 0 ? 4.5 : 5);
    // A running sum alone would keep the rounding error of a huge sample after it left the window.
    const g = make(movingAverage, { window: 4 });
    for (let k = 0; k < 4; k++) y1(g, 1e15 + k);
    let y = 0;
    const xs: number[] = [];
    for (let k = 0; k < 1000; k++) {
      xs.push(0.1 * (k % 10) + 0.03);
      y = y1(g, xs[k]) as number;
    }
    expect(y).toBeCloseTo(xs.slice(-4).reduce((a, b) => a + b, 0) / 4, 12);
  });

  it('averages vectors element-wise and keeps the latest samples when the window is resized', () => {
    const f = make(movingAverage, { window: 3 });
    y1(f, [1, 10]);
    y1(f, [2, 20]);
    expect(y1(f, [3, 30])).toEqual([2, 20]);
    const r = make(movingAverage, { window: 5 });
    for (const x of [1, 2, 3, 4, 5]) y1(r, x);
    r.reconfigure!({ window: 2 });
    expect(y1(r, 6)).toBe(5.5); // (5 + 6) / 2: the latest sample survived the resize
    r.reconfigure!({ window: 4 });
    expect(y1(r, 7)).toBe(6); // (5 + 6 + 7) / 3
  });
});

// ---------------------------------------------------------------------------------------------

/** A first-order plant dy/dt = (K u - y) / T, exactly discretised; returns the trajectory. */
function closedLoop(
  node: ComputeInstance,
  opts: { setpoint: (t: number) => number; seconds: number; dtMs?: number; K?: number; T?: number; y0?: number },
) {
  const dt = opts.dtMs ?? 1;
  const K = opts.K ?? 1;
  const T = (opts.T ?? 0.5) * 1000;
  let y = opts.y0 ?? 0;
  let u = 0;
  const ys: number[] = [];
  const us: number[] = [];
  for (let t = 0; t < opts.seconds * 1000; t += dt) {
    const out = node.step({ setpoint: opts.setpoint(t), measured: y }, dt);
    if (typeof out.u === 'number') u = out.u;
    us.push(u);
    y = K * u + (y - K * u) * Math.exp(-dt / T);
    ys.push(y);
  }
  return { ys, us, y };
}

describe('pid', () => {
  it('settles a first-order plant to the setpoint with no steady-state error when ki > 0', () => {
    const r = closedLoop(make(pid, { kp: 2, ki: 4 }), { setpoint: () => 1, seconds: 10 });
    expect(Math.abs(r.y - 1)).toBeLessThan(1e-4);
    // Proportional only: the textbook steady-state error 1 / (1 + kp K).
    const p = closedLoop(make(pid, { kp: 2 }), { setpoint: () => 1, seconds: 10 });
    expect(1 - p.y).toBeCloseTo(1 / 3, 6);
    // Output limits hold throughout.
    const lim = closedLoop(make(pid, { kp: 5, ki: 5, min: -0.5, max: 1.5 }), { setpoint: (t) => (t < 5000 ? 1 : -0.3), seconds: 20 });
    expect(Math.max(...lim.us)).toBeLessThanOrEqual(1.5);
    expect(Math.min(...lim.us)).toBeGreaterThanOrEqual(-0.5);
    expect(lim.y).toBeCloseTo(-0.3, 3);
  });

  it('anti-windup: with the output saturated, back-calculation and conditional integration remove the overshoot that plain integration gives', () => {
    // PI zero on the plant pole: unsaturated, the loop is first-order (no overshoot at all). With the
    // output limited to 1.1 the plant rises slowly, and a plain integral winds up meanwhile.
    const run = (o: Record<string, unknown>) => {
      const r = closedLoop(make(pid, { kp: 2, ki: 2, ...o }), { setpoint: () => 1, seconds: 20, T: 1 });
      return { overshoot: Math.max(...r.ys) - 1, final: r.y };
    };
    const linear = run({});
    const none = run({ min: -1.1, max: 1.1, anti_windup: 'none' });
    const bc = run({ min: -1.1, max: 1.1, anti_windup: 'back_calculation' });
    const cond = run({ min: -1.1, max: 1.1, anti_windup: 'conditional' });
    expect(linear.overshoot).toBeLessThan(1e-3);
    expect(none.overshoot).toBeGreaterThan(0.05);
    expect(bc.overshoot).toBeLessThan(1e-3);
    expect(cond.overshoot).toBeLessThan(1e-3);
    for (const r of [linear, none, bc, cond]) expect(r.final).toBeCloseTo(1, 4);
  });

  it('anti-windup: after a long saturation the integral has not wound up (the output leaves the limit at once)', () => {
    const stepsToLeave = (anti_windup: string) => {
      const c = make(pid, { kp: 1, ki: 5, max: 1, min: -1, anti_windup });
      // A blocked plant: the measurement stays at 0 for 5 s while the output is saturated.
      for (let k = 0; k < 5000; k++) expect(c.step({ setpoint: 1, measured: 0 }, 1).u).toBe(1);
      // Then the measurement overshoots: the output should come off its limit.
      for (let k = 0; k < 100_000; k++) if ((c.step({ setpoint: 1, measured: 1.2 }, 1).u as number) < 1) return k;
      return Infinity;
    };
    expect(stepsToLeave('back_calculation')).toBeLessThan(5);
    expect(stepsToLeave('conditional')).toBeLessThan(5);
    expect(stepsToLeave('none')).toBeGreaterThan(1000);
  });

  it('takes the derivative of the measurement: no kick on a setpoint step, -kd·slope on a ramp', () => {
    const c = make(pid, { kp: 1, kd: 0.5 });
    expect(c.step({ setpoint: 0, measured: 0 }, 1).u).toBe(0);
    expect(c.step({ setpoint: 1, measured: 0 }, 1).u).toBe(1); // kp · 1, no kd/dt spike
    // measured ramps at 2 units/s: D = -0.5 · 2 = -1.
    let u = 0;
    for (let k = 1; k <= 10; k++) u = c.step({ setpoint: 1, measured: (2 * k) / 1000 }, 1).u as number;
    expect(u).toBeCloseTo(1 - 0.02 - 1, 9);
  });

  it('low-passes the derivative when derivative_cutoff is set: a smaller spike, the same area', () => {
    const response = (derivative_cutoff: number) => {
      const c = make(pid, { kp: 0, kd: 0.1, derivative_cutoff });
      c.step({ setpoint: 0, measured: 0 }, 1);
      const us: number[] = [];
      for (let k = 0; k < 2000; k++) us.push(c.step({ setpoint: 0, measured: 1 }, 1).u as number);
      return { peak: Math.min(...us), area: us.reduce((a, b) => a + b, 0) / 1000 };
    };
    const raw = response(0);
    const filtered = response(10);
    expect(raw.peak).toBeCloseTo(-100, 9); // -kd · 1 / 1 ms
    expect(Math.abs(filtered.peak)).toBeLessThan(0.1 * Math.abs(raw.peak));
    expect(raw.area).toBeCloseTo(-0.1, 9);
    expect(filtered.area).toBeCloseTo(-0.1, 4);
  });

  it('reset() clears the integral; reconfigure keeps it (bumpless) and clamps it to new limits', () => {
    const c = make(pid, { kp: 1, ki: 2 });
    for (let k = 0; k < 1000; k++) c.step({ setpoint: 1, measured: 0.5 }, 1);
    expect(c.step({ setpoint: 1, measured: 1 }, 1).u).toBeCloseTo(1, 2); // I = 2 · 0.5 · 1 s
    c.reconfigure!({ kp: 3, ki: 2, kd: 0, anti_windup: 'back_calculation', derivative_cutoff: 0 });
    expect(c.step({ setpoint: 1, measured: 1 }, 1).u).toBeCloseTo(1, 2); // same I, no bump
    c.reconfigure!({ kp: 3, ki: 2, kd: 0, anti_windup: 'back_calculation', derivative_cutoff: 0, max: 0.25 });
    expect(c.step({ setpoint: 1, measured: 1 }, 1).u).toBe(0.25);
    c.reconfigure!({ kp: 3, ki: 2, kd: 0, anti_windup: 'back_calculation', derivative_cutoff: 0 });
    expect(c.step({ setpoint: 1, measured: 1 }, 1).u).toBeCloseTo(0.25, 9); // clamped I kept
    c.reset!();
    expect(c.step({ setpoint: 1, measured: 1 }, 1).u).toBe(0);
    expect(() => c.reconfigure!({ kp: 1, min: 1, max: 0 })).toThrow(/pid: option "min"/);
  });

  it('holds its output and integral while an input is missing', () => {
    const c = make(pid, { kp: 1, ki: 1 });
    c.step({ setpoint: 1, measured: 0 }, 1000);
    expect(c.step({ setpoint: 1 }, 1000)).toEqual({});
    expect(c.step({ measured: 0 }, 1000)).toEqual({});
    // One second of integration so far (1 · 1 · 1 s), not three.
    expect(c.step({ setpoint: 0, measured: 0 }, 1).u).toBeCloseTo(1, 9);
  });
});

// ---------------------------------------------------------------------------------------------

describe('gain', () => {
  it('is clamp(gain·x + offset, min, max), element-wise on vectors', () => {
    const g = make(gain, { gain: 2, offset: 1, min: -1, max: 3 });
    expect([0, 0.5, 5, -5].map((x) => y1(g, x))).toEqual([1, 2, 3, -1]);
    expect(y1(g, [0, 5, -5])).toEqual([1, 3, -1]);
    expect(g.step({ x: undefined }, 1)).toEqual({});
    const open = make(gain, { gain: -3 });
    expect(y1(open, 1e6)).toBe(-3e6);
    const only = make(gain, { offset: 0.5, min: 0 });
    expect([-2, 2].map((x) => y1(only, x))).toEqual([0, 2.5]);
    g.reconfigure!({ gain: 1, offset: 0 });
    expect(y1(g, 10)).toBe(10);
  });
});

// ---------------------------------------------------------------------------------------------

describe('lookup', () => {
  const points = [
    [0, 0],
    [1, 10],
    [3, 30],
    [4, 0],
  ];
  it('interpolates linearly and clamps or extrapolates outside the table', () => {
    const c = make(lookup, { points });
    expect([0, 0.5, 1, 2, 3, 3.5, 4].map((x) => y1(c, x))).toEqual([0, 5, 10, 20, 30, 15, 0]);
    expect([-1, 5].map((x) => y1(c, x))).toEqual([0, 0]);
    const e = make(lookup, { points, outside: 'extrapolate' });
    expect([-1, 5, 2].map((x) => y1(e, x))).toEqual([-10, -30, 20]);
    expect(y1(c, [0.5, 2, 9])).toEqual([5, 20, 0]);
    expect(c.step({}, 1)).toEqual({});
  });

  it('agrees with a direct search on a large table', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i * 0.05 + (i % 3) * 0.01);
    const table = xs.map((x) => [x, Math.sin(x)]);
    const c = make(lookup, { points: table });
    for (let k = 0; k < 1000; k++) {
      const x = (k / 1000) * 9.9;
      const i = xs.findIndex((v, j) => v <= x && x <= xs[j + 1]);
      const want = table[i][1] + ((x - xs[i]) / (xs[i + 1] - xs[i])) * (table[i + 1][1] - table[i][1]);
      expect(y1(c, x) as number).toBeCloseTo(want, 12);
    }
  });

  it('refuses tables whose x does not strictly increase, naming the index', () => {
    expect(() =>
      make(lookup, {
        points: [
          [0, 0],
          [2, 1],
          [2, 3],
        ],
      }),
    ).toThrow(/lookup: option "points\[2\]" has x = 2, not greater than points\[1\]'s x = 2/);
    expect(() =>
      make(lookup, {
        points: [
          [0, 0],
          [1, 1],
          [0.5, 2],
          [3, 3],
        ],
      }),
    ).toThrow(/points\[2\]/);
    expect(() =>
      lookup.create(
        {
          points: [
            [0, 0],
            [1, NaN],
          ] as [number, number][],
          outside: 'clamp',
        },
        ctxOf(),
      ),
    ).toThrow(/points\[1\]" must be \[x, y\] with two finite numbers/);
    const c = make(lookup, { points });
    expect(() =>
      c.reconfigure!({
        points: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).toThrow(/points\[1\]/);
    expect(y1(c, 0.5)).toBe(5); // the old table still runs
  });
});

// ---------------------------------------------------------------------------------------------

describe('threshold', () => {
  it('switches high above `on` and low below `off`, keeping its state in between', () => {
    const t = make(threshold, { on: 1, off: -1 });
    const xs = [0, 0.9, 1, 1.1, 0, -0.9, -1, -1.1, 0, 0.99];
    expect(xs.map((x) => y1(t, x))).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('does not chatter on noise inside the band (where a plain comparator does)', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 1.98 - 0.99;
    const switches = (on: number, off: number) => {
      const t = make(threshold, { on, off });
      y1(t, 2);
      let last = y1(t, 2);
      let n = 0;
      for (let k = 0; k < 10_000; k++) {
        const y = y1(t, noise());
        if (y !== last) n++;
        last = y;
      }
      return { n, last };
    };
    expect(switches(1, -1)).toEqual({ n: 0, last: 1 });
    expect(switches(1e-9, 0).n).toBeGreaterThan(1000);
  });

  it('uses the high/low values and initial state, element-wise on vectors; reset restores the initial state', () => {
    const t = make(threshold, { on: 2, off: 1, high: 5, low: -5, initial: 'high' });
    expect(y1(t, 1.5)).toBe(5);
    expect(y1(t, 0)).toBe(-5);
    expect(y1(t, 1.5)).toBe(-5);
    expect(y1(t, [3, 1.5, 0])).toEqual([5, 5, -5]);
    expect(y1(t, [1.5, 1.5, 1.5])).toEqual([5, 5, -5]);
    t.reset!();
    expect(y1(t, 1.5)).toBe(5);
    t.reconfigure!({ on: 2, off: 1.6, high: 1, low: 0, initial: 'low' });
    expect(y1(t, 1.5)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

function recorderWith(options: Record<string, unknown>, ctx = ctxOf()) {
  const r = recorder.create(validated(recorder, options), ctx);
  return { r, ctx };
}

describe('recorder', () => {
  it('writes CSV: a header, a row per sample time, held scalars and vectors, events only in their row', async () => {
    const { r, ctx } = recorderWith({ path: 'logs/run1.csv' });
    const a = new Subject<PortValue>();
    const b = new Subject<PortValue>();
    const s = new Subject<PortValue>();
    r.consume({ a, b, spikes: s });
    await r.start!();
    a.next(1);
    b.next([1, 2]);
    await tick();
    a.next(2);
    await tick();
    s.next({ t: 1.5, indices: [3, 4] });
    b.next([3, 4]);
    await tick();
    a.next(3);
    a.next(4); // twice in one burst: two rows
    await tick();
    await r.stop!();
    const file = join(ctx.dir, 'logs/run1.csv');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('t,a,b,spikes');
    const rows = lines.slice(1).map((l) => {
      const m = /^([^,]*),([^,]*),("[^"]*"|[^,]*),(.*)$/.exec(l)!;
      return m.slice(1);
    });
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['1', '"[1,2]"', ''],
      ['2', '"[1,2]"', ''],
      ['2', '"[3,4]"', '"{""t"":1.5,""indices"":[3,4]}"'],
      ['3', '"[3,4]"', ''],
      ['4', '"[3,4]"', ''],
    ]);
    const ts = rows.map((r) => Number(r[0]));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
    expect(ts[0]).toBeGreaterThanOrEqual(0);
  });

  it('writes columnar JSON chunks (JSON Lines) that readColumnar joins', async () => {
    const { r, ctx } = recorderWith({ path: 'rec.jsonl', flush_interval: 10 });
    const a = new Subject<PortValue>();
    const b = new Subject<PortValue>();
    r.consume({ a, b });
    a.next(1);
    await sleep(40);
    b.next(-1);
    a.next(2);
    await sleep(40);
    a.next(NaN);
    await r.stop!();
    const text = readFileSync(join(ctx.dir, 'rec.jsonl'), 'utf8');
    expect(text.trimEnd().split('\n').length).toBeGreaterThanOrEqual(2); // flushed in chunks
    const cols = readColumnar(text);
    expect(Object.keys(cols)).toEqual(['t', 'a', 'b']);
    expect(cols.a).toEqual([1, 2, null]);
    expect(cols.b).toEqual([null, -1, -1]);
    expect(cols.t).toHaveLength(3);
    expect((cols.t as number[]).every((t) => typeof t === 'number' && t >= 0)).toBe(true);
  });

  it('buffers samples and appends them asynchronously: nothing before a flush, everything within flush_interval', async () => {
    const { r, ctx } = recorderWith({ path: 'buf.csv', flush_interval: 60_000 });
    const x = new Subject<PortValue>();
    r.consume({ x });
    await r.start!();
    const file = join(ctx.dir, 'buf.csv');
    for (let k = 0; k < 1000; k++) {
      x.next(k);
      await Promise.resolve();
    }
    await sleep(30);
    expect(statSync(file).size).toBe(0); // 1000 samples, no write yet
    await r.stop!();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(1001);

    // A short interval: rows reach the file while recording goes on.
    const { r: r2, ctx: c2 } = recorderWith({ path: 'live.csv', flush_interval: 20 });
    const y = new Subject<PortValue>();
    r2.consume({ y });
    y.next(42);
    const live = join(c2.dir, 'live.csv');
    expect(await waitFor(() => existsSync(live) && readFileSync(live, 'utf8').includes('42'))).toBe(true);
    expect(readFileSync(live, 'utf8')).toMatch(/^t,y\n[\d.]+,42\n$/);
    // max_rows flushes early.
    const { r: r3, ctx: c3 } = recorderWith({ path: 'rows.csv', flush_interval: 60_000, max_rows: 3 });
    const z = new Subject<PortValue>();
    r3.consume({ z });
    for (let k = 0; k < 3; k++) {
      z.next(k);
      await Promise.resolve();
    }
    const rows = join(c3.dir, 'rows.csv');
    expect(await waitFor(() => existsSync(rows) && readFileSync(rows, 'utf8').trimEnd().split('\n').length === 4)).toBe(true);
    await Promise.all([r2.stop!(), r3.stop!()]);
  });

  it('reports a path it cannot write, refuses a port named t, and stops idempotently', async () => {
    const ctx = ctxOf();
    writeFileSync(join(ctx.dir, 'afile'), 'x');
    const { r } = recorderWith({ path: 'afile/sub/x.csv' }, ctx);
    r.consume({ a: new Subject<PortValue>() });
    await expect(r.start!()).rejects.toThrow(/EEXIST|ENOTDIR/);
    await expect(r.stop!()).rejects.toThrow();
    const { r: bad } = recorderWith({ path: 'y.csv' });
    expect(() => bad.consume({ t: new Subject<PortValue>() })).toThrow(/port named "t" clashes with the time column/);
    const { r: ok, ctx: c } = recorderWith({ path: 'z.csv' });
    ok.consume({});
    await ok.stop!();
    await ok.stop!();
    expect(existsSync(join(c.dir, 'z.csv'))).toBe(true);
    expect(readFileSync(join(c.dir, 'z.csv'), 'utf8')).toBe('t\n');
  });
});
