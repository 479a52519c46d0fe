import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSynapse, type SynapseDefinition, type SynapseDoc } from './synapse-definition.js';
import {
  DELAY_OF,
  RING_ADD,
  SYN_HEADER,
  initialValues,
  plBlocks,
  wgslSynapse,
  wordValues,
  type SynapseWgslVariant,
} from './codegen-synapse-wgsl.js';
import { WgslError, wgslModel } from './codegen-wgsl.js';
import { defineModel } from './model-definition.js';
import { propagators } from './propagator.js';

function synapse(name: string, doc: Omit<SynapseDoc, 'kind'>): SynapseDefinition {
  const d = defineSynapse(name, { kind: 'synapse', ...doc });
  if (Array.isArray(d)) throw new Error(JSON.stringify(d));
  return d;
}

const TM: Omit<SynapseDoc, 'kind'> = {
  parameters: { U: 0.5, tau_d: '200 ms', tau_f: '50 ms' },
  equations: 'w : siemens\ndx/dt = (1 - x)/tau_d : 1 (event-driven)\ndu/dt = (U - u)/tau_f : 1 (event-driven)',
  on_pre: 'u += U*(1 - u)\ng_exc_post += w*u*x\nx -= u*x',
  initial: { x: 1, u: 'U' },
};

const variant = (def: SynapseDefinition, over: Partial<SynapseWgslVariant> = {}): SynapseWgslVariant => ({
  def,
  pre: (n) => (n === 'v' ? 'array' : n === 'C' ? 'scalar' : undefined),
  post: (n) => (n === 'v' || n === 's' || n === 'g_syn' ? 'array' : n === 'E_L' ? 'scalar' : undefined),
  modulators: new Set(['dopamine']),
  recurrent: false,
  ...over,
});

const f32 = (words: Uint32Array) => new Float32Array(words.buffer, words.byteOffset, words.length);

describe('codegen-synapse-wgsl', () => {
  it("copies propagate-step.wgsl's ringAdd and delayOf verbatim, so channel writes land as propagated weights do", () => {
    const propagate = readFileSync(join(import.meta.dirname, '../../shaders/propagate-step.wgsl'), 'utf8');
    expect(propagate).toContain(RING_ADD);
    expect(propagate).toContain(DELAY_OF);
  });

  it('generates on_pre only for Tsodyks-Markram: event-driven updates from the record, a channel write into the ring on arrival', () => {
    const m = wgslSynapse(variant(synapse('tm', TM)), 'a');
    expect(m.entries).toEqual({ onPre: true, onPost: false, clock: false, summed: false, onStep: false });
    expect(m.source).toContain('fn on_pre(');
    expect(m.source).not.toContain('fn on_post(');
    expect(m.source).toContain('fn pre_hist(');
    // on_pre runs when the spike arrives: its write goes into this step's slot, not one a delay ahead.
    expect(m.source).toContain('fx_channel(2u, j, u_w * u_u * u_x);');
    expect(m.source).not.toContain('delayOf(r, k)) %');
    // No writes into target variables: the state buffer stays a plain f32 array.
    expect(m.source).toContain('var<storage, read_write> st: array<f32>;');
    expect(m.words.filter((w) => w.kind === 'event')).toHaveLength(6);
    expect(m.words[0]).toEqual({ kind: 'param', name: 'U' });
  });

  it('computes the words that depend on parameters in float64 (event coefficients, propagators)', () => {
    const def = synapse('tm', TM);
    const m = wgslSynapse(variant(def), 'b');
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e4, noNaN: true }), fc.double({ min: 0.01, max: 1, noNaN: true }), (tauD, U) => {
        const words = f32(wordValues(def, m.words, { U, tau_d: tauD, tau_f: 50 }, 0.1, () => 0));
        m.words.forEach((w, n) => {
          if (w.kind === 'param') expect(words[n]).toBe(Math.fround(U));
          if (w.kind === 'event' && w.name === 'x') {
            const want = { a: -1 / tauD, b: 1 / tauD, ba: -1 }[w.part];
            expect(words[n]).toBe(Math.fround(want));
          }
        });
      }),
    );
    const alpha = synapse('alpha', {
      parameters: { tau_s: '5 ms' },
      equations:
        'w : siemens\ndg/dt = (s - g)/tau_s : siemens (clock-driven)\nds/dt = -s/tau_s : siemens (clock-driven)\ng_syn_post = g : siemens (summed)',
      on_pre: 's += w*e',
      method: 'exact',
    });
    const a = wgslSynapse(variant(alpha), 'c');
    const words = f32(wordValues(alpha, a.words, { tau_s: 5 }, 0.1, () => 0));
    const p = propagators(
      [
        [-1 / 5, 1 / 5],
        [0, -1 / 5],
      ],
      0.1,
    );
    a.words.forEach((w, n) => {
      if (w.kind === 'propagator') expect(words[n]).toBe(Math.fround(p[w.which][w.row][w.col]));
    });
    expect(a.entries).toEqual({ onPre: true, onPost: false, clock: true, summed: true, onStep: false });
    expect(a.source).toMatch(/fx_set\(pu\(rec \+ \d+u\) \+ j, acc_0\);/);
  });

  it('leaves neuron variables, modulators and summed targets to the backend, and reads the header words by name', () => {
    const def = synapse('mix', {
      parameters: { eta: '1/second' },
      equations: 'w : 1\ndx/dt = -x/(10*ms) : 1 (clock-driven)\nI_ext_post = w*x*nA : amp (summed)',
      on_pre: 'x += dopamine*v_pre/mV\ns_post += w',
      on_post: 'w += eta*x*dt',
    });
    const m = wgslSynapse(variant(def), 'd');
    const other = m.words.filter((w) => !['param', 'event', 'propagator'].includes(w.kind));
    expect(other).toEqual(
      expect.arrayContaining([
        { kind: 'modulator', name: 'dopamine' },
        { kind: 'pre', name: 'v', holding: 'array' },
        { kind: 'post', name: 's', holding: 'array' },
        { kind: 'summed', target: 'I_ext' },
      ]),
    );
    const words = wordValues(def, m.words, { eta: 0.001 }, 0.1, (w) => (w.kind === 'modulator' ? 7 : 9));
    m.words.forEach((w, n) => {
      if (w.kind === 'modulator') expect(words[n]).toBe(7);
    });
    // Adding into a target variable from many synapses: float compare-and-swap on an atomic view of st.
    expect(m.source).toContain('array<atomic<u32>>');
    expect(m.source).toMatch(/fx_post_add\(pu\(rec \+ \d+u\) \+ j, u_w\);/);
    expect(m.source).toContain(`let nsyn = pu(rec + ${SYN_HEADER.NSYN}u);`);
    expect(initialValues(def, { eta: 0.001 })).toEqual({ x: 0 });
  });

  it('keeps a weight the model changes as float32 plus residual: increments accumulate below one ulp', () => {
    const def = synapse('triplet', {
      parameters: { A: 1e-9, wmax: 2, eta: '0.001/second' },
      equations: 'dw/dt = -eta*w : 1 (clock-driven)\ndx/dt = -x/(10*ms) : 1 (event-driven)',
      on_pre: 'w += A*x\nx += 1',
      on_post: 'w = clip(w - A, 0, wmax)',
      method: 'euler',
    });
    const m = wgslSynapse(variant(def), 'g');
    expect(m.source).toContain('var w_lo = fl[pu(H_PL_AT) + vb + 1u * nsyn + kl];');
    // on_pre: an increment; on_post: clip(w + d, ...), the compensated sum then the bounds (the residual
    // dropped where they clip); clock: euler's dt*dw/dt.
    expect(m.source).toMatch(/fx_add2\(&u_w, &w_lo, u_A \* u_x\);/);
    expect(m.source).toMatch(/fx_add2\(&u_w, &w_lo, \(?-u_A\)?\);/);
    expect(m.source).toContain('if (w_sum_ < w_min_ || w_sum_ > w_max_) { u_w = fx_clip(w_sum_, w_min_, w_max_); w_lo = 0.0f; }');
    expect(m.source).toContain('let nx_0 = u_dt * ((-u_eta) * u_w);\n  fx_add2(&u_w, &w_lo, nx_0);');
    expect(plBlocks(def)).toBe(2);
    expect(plBlocks(synapse('tm', TM))).toBe(2);
  });

  it('phased neuron kernels (with synapse models) leave the reset to modelReset, which writes only what it sets', () => {
    const def = defineModel('cell', {
      parameters: { tau: '10 ms', V_r: '-65 mV', b: '10 pA' },
      equations: 'dv/dt = -(v + 70*mV)/tau : volt\ndu/dt = -u/tau : amp',
      threshold: 'v > -50*mV',
      reset: 'v = V_r; u += b',
    });
    if (Array.isArray(def)) throw new Error(JSON.stringify(def));
    const m = wgslModel(def);
    expect(m.source()).toContain('u_v = u_V_r;');
    expect(m.source(true)).not.toContain('u_v = u_V_r;');
    expect(m.source(true)).toContain('spiked = true;');
    const reset = m.resetSource();
    expect(reset).toContain('fn modelReset(pb: u32, i: u32, sb: u32, n: u32, step: u32) {');
    expect(reset).toContain('u_v = u_V_r;');
    expect(reset).toContain('u_u += u_b;');
    expect(reset).toContain('st[sb + 0u * n + i] = u_v;');
  });

  it('refuses, naming the model, what the GPU cannot do as the CPU does', () => {
    const refuse = (doc: Omit<SynapseDoc, 'kind'>, re: RegExp, over: Partial<SynapseWgslVariant> = {}) =>
      expect(() => wgslSynapse(variant(synapse('odd', doc), over), 'e')).toThrow(re);
    const base = { equations: 'w : 1' };
    refuse({ ...base, on_pre: 's_post = w' }, /synapse model "odd": "s_post = w" assigns s_post .*use the cpu backend/);
    refuse({ ...base, on_pre: 's_post += w*s_post' }, /a phase that writes s_post cannot also read it/);
    refuse({ ...base, on_pre: 'v_post += w*mV\nw += v_pre/mV' }, /v_pre is read where v_post is written, in one population/, {
      recurrent: true,
    });
    refuse({ ...base, on_pre: 'w += g_exc_post/nS' }, /g_exc_post can only be added to/);
    refuse({ ...base, on_pre: 'w += rand()' }, /rand\(\) in a synapse model is not supported/);
    refuse({ equations: 'w : siemens\ng_syn_post = w + g_syn_post : siemens (summed)' }, /g_syn_post cannot be read while it is summed/);
    expect(() => wgslSynapse(variant(synapse('odd', { ...base, on_pre: 'w += q_pre' })), 'f')).toThrow(WgslError);
  });
});
