// The built-in neuron models written out as documents (engine/models/definitions.ts) run as the
// built-in models do: the same spikes and the same membrane potentials to rounding, under the same
// synaptic, external and modulatory drive. Both are generated from the same definitions; the built-in
// population's code is specialised for the inputs it receives, the document's for those it receives.
// (Before the built-ins became definitions, this compared the definitions with the hand-written code,
// to the same tolerance.)
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { BUILTIN_DEFINITIONS } from '../engine/models/definitions.js';
import type { ModelDoc } from '../engine/equations/model-definition.js';

const dir = mkdtempSync(join(tmpdir(), 'flux-builtin-defs-'));

/** Two populations, one of each kind, driven alike: spike trains through both synapse kinds, a step current, modulators. */
function circuit(family: string, variant: string, def: ModelDoc, params: Record<string, string | number>): string {
  const builtin: Record<string, unknown> = { model: family, size: 4, params };
  if (variant === 'euler') builtin.integration = 'euler';
  const doc = {
    dt: '0.1 ms',
    models: {
      defined: def,
      train: {
        parameters: { rate: '10 Hz' },
        equations: 'dphase/dt = rate : 1\n',
        threshold: 'phase >= 1',
        reset: 'phase -= 1',
        initial: { phase: 0.5 },
      },
    },
    populations: {
      drive: { model: 'train', size: 3, params: { rate: ['35 Hz', '50 Hz', '80 Hz'] } },
      builtin,
      defined: { model: 'defined', size: 4, params },
    },
    projections: Object.fromEntries(
      ['builtin', 'defined'].flatMap((t) => [
        // lif integrates current synapses alone exactly: no conductance for that variant
        ...(variant === 'current'
          ? []
          : [
              [
                `exc_${t}`,
                {
                  source: 'drive',
                  target: t,
                  connectivity: { type: 'all_to_all' },
                  weight: '3 nS',
                  synapse: { type: 'conductance', receptor: 'excitatory' },
                },
              ],
            ]),
        [
          `inh_${t}`,
          {
            source: 'drive',
            target: t,
            connectivity: { type: 'all_to_all' },
            weight: '30 pA',
            synapse: { type: 'current', receptor: 'inhibitory' },
          },
        ],
        [
          `cur_${t}`,
          {
            source: 'drive',
            target: t,
            connectivity: { type: 'all_to_all' },
            weight: '40 pA',
            synapse: { type: 'current', receptor: 'excitatory' },
          },
        ],
      ]),
    ),
    sources: {
      step_builtin: { type: 'step', target: 'builtin', times: ['100 ms', '600 ms'], amplitudes: ['250 pA', '120 pA'] },
      step_defined: { type: 'step', target: 'defined', times: ['100 ms', '600 ms'], amplitudes: ['250 pA', '120 pA'] },
    },
    modulators: {
      m: {
        tau: '50 ms',
        baseline: 0.2,
        sources: [{ constant: 0.2 }],
        targets: ['builtin', 'defined'].flatMap((p) => [
          { population: p, effect: 'gain', sensitivity: 0.5 },
          { population: p, effect: 'threshold', sensitivity: 2 },
          { population: p, effect: 'excitability', sensitivity: 20 },
        ]),
      },
    },
  };
  return stringify(doc);
}

const CASES: { family: string; variant: string; params: Record<string, string | number> }[] = [
  { family: 'lif', variant: 'euler', params: { tau_refrac: '2 ms', cm: '200 pF' } },
  { family: 'lif', variant: 'conductance', params: { tau_refrac: '3 ms', v_thresh: '-52 mV' } },
  { family: 'lif', variant: 'current', params: { tau_refrac: '2 ms', tau_syn_exc: '4 ms', tau_syn_inh: '8 ms' } },
  { family: 'izhikevich', variant: 'default', params: { a: 0.02, b: 0.2, c: '-50 mV', d: 2 } },
  { family: 'adex', variant: 'default', params: { tau_refrac: '1 ms', a: '2 nS', b: '60 pA', i_offset: '500 pA' } },
];

describe('built-in models written out as documents run as the built-ins do', () => {
  for (const { family, variant, params } of CASES)
    for (const kernels of ['js', 'wasm'] as const)
      it(`${family} (${variant}), ${kernels} kernels: the same spikes and potentials over 1 s`, () => {
        const def = BUILTIN_DEFINITIONS[family][variant];
        const file = join(dir, `${family}-${variant}.yaml`);
        writeFileSync(file, circuit(family, variant, def, params));
        // (the wasm case also runs the generated WebAssembly, whose refractory period reads dt)
        const e = Engine.fromFile(file, { kernels });
        e.backend.configureRecording({ state: ['builtin', 'defined'].map((population) => ({ population, variable: 'v', every: 100 })) });
        e.step(10000);
        const rec = e.backend.recording().populations;
        e.backend.dispose();
        expect(rec.builtin.spikeSteps.length).toBeGreaterThan(10);
        expect(rec.defined.spikeSteps).toEqual(rec.builtin.spikeSteps);
        expect(rec.defined.spikeIndices).toEqual(rec.builtin.spikeIndices);
        rec.builtin.state.v.values.forEach((row, k) =>
          row.forEach((v, i) =>
            expect(Math.abs(rec.defined.state.v.values[k][i] - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v))),
          ),
        );
      });
});
