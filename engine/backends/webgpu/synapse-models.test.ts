import { describe, expect, it } from 'vitest';
import type { CompiledProjection } from '../../compile/compiler.js';
import type { PopulationSpec } from '../../circuit/circuit.js';
import { defineSynapse, type SynapseDefinition, type SynapseDoc } from '../../equations/synapse-definition.js';
import { SYN_HEADER } from '../../equations/codegen-synapse-wgsl.js';
import { createSynHost, summedParameters, synapseCode, synapseRecord, writtenChannels, type SynPop } from './synapse-models.js';
import { NONE, fbits } from './layout.js';

function synapse(doc: Omit<SynapseDoc, 'kind'>): SynapseDefinition {
  const d = defineSynapse('s', { kind: 'synapse', ...doc });
  if (Array.isArray(d)) throw new Error(JSON.stringify(d));
  return d;
}

/** All to all from nPre onto nPost, as the compiler lays it out (rows by source, targets ascending). */
function allToAll(nPre: number, nPost: number): CompiledProjection {
  const rowPtr = Uint32Array.from({ length: nPre + 1 }, (_, i) => i * nPost);
  const targets = Uint32Array.from({ length: nPre * nPost }, (_, k) => k % nPost);
  const spec = { name: 'p' } as CompiledProjection['spec'];
  return { spec, rowPtr, targets, weights: new Float32Array(targets.length), delays: null, delaySteps: 0, maxDelay: 0 };
}

const pop = (name: string, n: number, vars: string[], params: Record<string, number>): SynPop => ({
  spec: { name, model: 'm', size: n, params, init: {}, integration: 'default' } satisfies PopulationSpec,
  n,
  stateBase: 100,
  vars,
  def: null,
});

describe('synapse models on the WebGPU backend: host side', () => {
  const stdp = synapse({
    parameters: { tau: '20 ms', A: 0.01 },
    equations: 'w : 1\ndx/dt = -x/tau : 1 (clock-driven)\nI_ext_post = w*x*nA : amp (summed)\ng_syn_post = w*nS : siemens (summed)',
    on_pre: 'x += A\nI_exc_post += w*pA\ns_post += w',
    on_post: 'w += x*E_post/mV\ng_inh_post += w*nS',
  });

  it('indexes synapses by source and by target, and knows the channels and parameters it fills', () => {
    const h = createSynHost(stdp, allToAll(3, 2), 3, 2, 2);
    expect([...h.preIdx]).toEqual([0, 0, 1, 1, 2, 2]);
    expect([...h.postPtr]).toEqual([0, 3, 6]);
    expect([...h.postSyn]).toEqual([0, 2, 4, 1, 3, 5]);
    expect(h.maxCol).toBe(3);
    expect(writtenChannels(stdp)).toEqual(['ie', 'gi']);
    expect(summedParameters([stdp])).toEqual(['g_syn']);
  });

  it('refuses a projection whose spike-driven work could overflow 32 bits', () => {
    const c = allToAll(1, 1);
    expect(() => createSynHost(stdp, c, 2 ** 20, 1, 2 ** 13)).toThrow(/more than 2\^32 synapse events in one step .*use the cpu backend/);
  });

  it('keeps the spikes of maxDelay + 1 steps for a delayed on_pre, and counts every slot against the 32-bit bound', () => {
    const one = { ...allToAll(3, 2), delaySteps: 4, maxDelay: 4 };
    expect(createSynHost(stdp, one, 3, 2, 2).histLen).toBe(5);
    expect(createSynHost(stdp, allToAll(3, 2), 3, 2, 2).histLen).toBe(0);
    const noPre = synapse({ parameters: {}, equations: 'w : 1', on_post: 'w += 1' });
    expect(createSynHost(noPre, one, 3, 2, 2).histLen).toBe(0);
    // Per-synapse delays: on_pre walks every slot, so the bound is 2^20 * 2^10 * 5 slots > 2^32.
    const each = { ...allToAll(1, 1), delays: new Uint8Array([4]), maxDelay: 4 };
    expect(() => createSynHost(stdp, each, 2 ** 20, 1, 2 ** 10)).toThrow(/more than 2\^32 synapse events in one step/);
    // One delay for all: one slot a step, within the bound.
    expect(createSynHost(stdp, { ...allToAll(1, 1), delaySteps: 4, maxDelay: 4 }, 2 ** 20, 1, 2 ** 10).histLen).toBe(5);
  });

  it('fills the record: header, parameters, neuron slots or values, summed targets', () => {
    const h = createSynHost(stdp, allToAll(3, 2), 3, 2, 2);
    Object.assign(h, { rec: 0, vars: 10, pre: 20, last: 30, postPtrAt: 40, postSynAt: 50, iext: 60, firstIext: true });
    const src = pop('a', 3, ['v'], {});
    const tgt = pop('b', 2, ['v', 's', 'g_syn'], { E: 5 });
    h.code = synapseCode(h, src, tgt, []);
    const rec = synapseRecord(h, {
      src,
      tgt,
      params: { tau: 20, A: 0.01 },
      dt: 0.1,
      modulators: [],
      nsyn: 6,
      rowBase: 7,
      maxRow: 2,
      rng: 99,
    });
    // No delay: no history (NONE, 0 steps).
    expect([...rec.subarray(0, SYN_HEADER.K)]).toEqual([10, 20, 30, 40, 50, 6, 7, 2, 3, 60, 1, 99, NONE, 0]);
    h.code.words.forEach((w, n) => {
      const x = rec[SYN_HEADER.K + n];
      if (w.kind === 'param' && w.name === 'A') expect(x).toBe(fbits(0.01));
      if (w.kind === 'post' && w.name === 's') expect(x).toBe(100 + 1 * 2);
      if (w.kind === 'post' && w.name === 'E') expect(x).toBe(fbits(5));
      // I_ext: the input slot after the three variables and the four channels.
      if (w.kind === 'summed') expect(x).toBe(w.target === 'I_ext' ? 100 + 7 * 2 : 100 + 2 * 2);
    });
    expect(h.code.words.filter((w) => w.kind === 'summed')).toHaveLength(2);
    expect(NONE).toBe(0xffffffff);
  });
});
