import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.js';
import { constantOf, jsStepSource } from './codegen-js.js';
import { evaluate } from './evaluate.js';
import { defineModel, type ModelDefinition, type ModelDoc } from './model-definition.js';
import { optimize } from './optimize.js';
import { symbolsOf } from './symbolic.js';

function define(doc: ModelDoc): ModelDefinition {
  const d = defineModel('m', doc);
  if (Array.isArray(d)) throw new Error(d.map((p) => p.message).join('; '));
  return d;
}

/** The new values of a plan's state variables, evaluated as the generated code computes them (uniforms, temporaries, updates). */
function step(def: ModelDefinition, values: Record<string, number>): number[] {
  const env = new Map(Object.entries(values));
  const look = (n: string): number => {
    const v = env.get(n) ?? constantOf(n, def);
    if (v === null || v === undefined) throw new Error(`no value for ${n}`);
    return v;
  };
  for (const u of def.plan.uniforms ?? []) env.set(u.name, evaluate(u.expr, look));
  for (const l of def.plan.lets) env.set(l.name, evaluate(l.expr, look));
  return def.plan.updates.map((u) => evaluate(u.expr, look));
}

const divisions = (e: Expr): number =>
  e.kind === 'binary'
    ? (e.op === '/' ? 1 : 0) + divisions(e.left) + divisions(e.right)
    : e.kind === 'unary'
      ? divisions(e.arg)
      : e.kind === 'call'
        ? e.args.reduce((a, x) => a + divisions(x), 0)
        : 0;

const COBA: ModelDoc = {
  parameters: {
    C_m: '200 pF',
    tau_m: '20 ms',
    v_rest: '-60 mV',
    v_thresh: '-50 mV',
    v_reset: '-60 mV',
    e_rev_exc: '0 mV',
    e_rev_inh: '-80 mV',
  },
  equations: 'dv/dt = (C_m/tau_m*(v_rest - v) + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v) + I_ext)/C_m : volt\n',
  threshold: 'v >= v_thresh + threshold_shift',
  reset: 'v = v_reset',
  method: 'exponential_euler',
  initial: { v: 'v_rest' },
};

describe('optimize: the CPU form of a model step', () => {
  it('hoists what is the same for the whole population and leaves one division per neuron in exponential Euler (B/A)', () => {
    const def = define(COBA);
    const o = optimize({ def, perNeuron: new Set() }).def;
    const perNeuron = [...o.plan.lets.map((l) => l.expr), ...o.plan.updates.map((u) => u.expr)];
    expect(perNeuron.reduce((a, e) => a + divisions(e), 0)).toBe(1);
    // 1/C_m cancels in B/A; C_m/tau_m*v_rest, C_m/tau_m, dt/C_m and the threshold are computed once
    expect((o.plan.uniforms ?? []).length).toBe(4);
    expect(o.plan.uniforms!.every((u) => ![...symbolsOf(u.expr)].some((s) => ['v', 'g_exc', 'g_inh', 'I_ext'].includes(s)))).toBe(true);
    // A (the total conductance) is shared by B/A and exp(A dt)
    expect(o.plan.lets.map((l) => l.name)).toEqual(['_c0', '_BA_v']);
    // the threshold compares with one hoisted value
    expect(JSON.stringify(o.threshold)).toMatch(/"_h\d+"/);
    const values = {
      v: -55,
      g_exc: 3,
      g_inh: 20,
      I_ext: 10,
      C_m: 200,
      tau_m: 20,
      v_rest: -60,
      v_thresh: -50,
      threshold_shift: 0,
      e_rev_exc: 0,
      e_rev_inh: -80,
      dt: 0.1,
    };
    const [a] = step(def, values);
    const [b] = step(o, values);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.abs(a));
  });

  it('hoists nothing that varies per neuron: a per-neuron parameter stays a division', () => {
    const def = define(COBA);
    const o = optimize({ def, perNeuron: new Set(['C_m']) }).def;
    const perNeuron = [...o.plan.lets.map((l) => l.expr), ...o.plan.updates.map((u) => u.expr)];
    expect(perNeuron.some((e) => symbolsOf(e).has('C_m'))).toBe(true);
    for (const u of o.plan.uniforms ?? []) expect(symbolsOf(u.expr).has('C_m')).toBe(false);
  });

  it('never moves or shares a random draw: rand() stays in the loop as often as written', () => {
    const def = define({
      parameters: { tau: '10 ms' },
      equations: 'dv/dt = (rand() + rand() - v)/tau : 1\n',
      method: 'euler',
    });
    const o = optimize({ def, perNeuron: new Set() }).def;
    const src = jsStepSource({ def: o, perNeuron: new Set() });
    expect(src.match(/rng\.uniform\(\)/g)).toHaveLength(2);
    expect(o.plan.lets).toEqual([]);
  });

  it('specialised for a population without current synapses, I_exc is 0 in sums only: a product keeps its draws', () => {
    const def = define({
      parameters: { tau: '10 ms', R: '100 Mohm' },
      equations: 'dv/dt = (R*I_exc*(1 + rand()) + R*I_inh - v)/tau : volt\n',
      method: 'euler',
    });
    const o = optimize({ def, perNeuron: new Set(), inputs: 2 }).def;
    const src = jsStepSource({ def: o, perNeuron: new Set() });
    expect(src.match(/rng\.uniform\(\)/g)).toHaveLength(1);
    expect(src).not.toContain('u_I_inh');
  });

  it('leaves t-dependent values to each call (they are recomputed every step)', () => {
    const def = define({ parameters: { f: '10 Hz' }, equations: 'dv/dt = sin(2*pi*f*t)/ms : 1\n', method: 'euler' });
    const o = optimize({ def, perNeuron: new Set() }).def;
    expect(o.plan.uniforms!.some((u) => symbolsOf(u.expr).has('t'))).toBe(true);
    const at = (t: number) => step(o, { v: 0, f: 0.01, t, dt: 0.1 })[0];
    expect(at(12.5)).not.toBe(at(25));
  });

  // Random right-hand sides over a state (v), two parameters (a, b) and numbers in [0.5, 2], with
  // divisions only by those (denominators stay away from zero), so every value is bounded.
  const leaf = fc.oneof(fc.constant('v'), fc.constant('a'), fc.constant('b'), fc.double({ min: 0.5, max: 2, noNaN: true }).map(String));
  const denominator = fc.oneof(fc.constant('a'), fc.constant('b'), fc.double({ min: 0.5, max: 2, noNaN: true }).map(String));
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*'), tie('expr')).map(([l, op, r]) => `(${l} ${op} ${r})`),
      fc.tuple(tie('expr'), denominator).map(([l, r]) => `(${l} / ${r})`),
      tie('expr').map((x) => `(-${x})`),
      tie('expr').map((x) => `exp(clip(${x}, -3, 3))`),
    ),
  }));
  const modelOf = (rhs: string, method: string) =>
    define({ parameters: { a: 1.3, b: 0.7 }, equations: `dv/dt = (${rhs})/ms : 1\n`, threshold: `v > a + b`, method });
  const values = fc.record({
    v: fc.double({ min: 0.5, max: 2, noNaN: true }),
    a: fc.double({ min: 0.5, max: 2, noNaN: true }),
    b: fc.double({ min: 0.5, max: 2, noNaN: true }),
  });

  // Without numbers, nothing is divided or multiplied by a shared value but dt and the unit (1): the
  // rewrites left are exact.
  const symbolic = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('v', 'a', 'b'),
      fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*'), tie('expr')).map(([l, op, r]) => `(${l} ${op} ${r})`),
      fc.tuple(tie('expr'), fc.constantFrom('a', 'b')).map(([l, r]) => `(${l} / ${r})`),
      tie('expr').map((x) => `(-${x})`),
      tie('expr').map((x) => `exp(clip(${x}, -3, 3))`),
    ),
  })).expr;

  it('computes the same values bit for bit when nothing is a division by a shared value (folding negations and sharing repeats are exact)', () => {
    fc.assert(
      fc.property(symbolic, fc.constantFrom('euler', 'exponential_euler', 'rk2'), values, (rhs, method, vals) => {
        const def = modelOf(rhs, method);
        const o = optimize({ def, perNeuron: new Set(['a', 'b']) }).def;
        const env = { ...vals, dt: 0.1 };
        const want = step(def, env);
        const got = step(o, env);
        got.forEach((x, i) => expect(x === want[i] || (Number.isNaN(x) && Number.isNaN(want[i]))).toBe(true));
      }),
      { numRuns: 300 },
    );
  });

  it('computes the same values within rounding when shared divisors become reciprocals and factors regroup', () => {
    fc.assert(
      fc.property(expr, fc.constantFrom('euler', 'exponential_euler', 'rk4'), values, (rhs, method, vals) => {
        const def = modelOf(rhs, method);
        const o = optimize({ def, perNeuron: new Set() }).def;
        const env = { ...vals, dt: 0.1 };
        const want = step(def, env);
        const got = step(o, env);
        // Every intermediate value is bounded (|x| < ~1e3), so rounding differences stay near 1e-13.
        // A NaN stays a NaN: exponential Euler divides by a coefficient that can cancel to 0 (v*(a - a)).
        got.forEach((x, i) =>
          Number.isNaN(want[i]) ? expect(x).toBeNaN() : expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want[i]))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
