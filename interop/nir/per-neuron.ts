// A membrane whose neurons differ (a per-neuron v_threshold, tau, r, v_leak, v_reset, or a bias per
// neuron) cannot be a built-in `lif` population: its parameters hold one value each. The import
// writes it as a population of LIF_PER_NEURON, Flux's lif written as equations once (in the
// document's `models:`), with the values that differ as lists of one value per neuron.
//
// It is the built-in lif (engine/models/lif.ts) step for step, up to rounding, at every dt:
//  - v is integrated by exponential Euler, which is exact for the one linear variable with its inputs
//    held over the step, and (unlike `exact`) lets tau_m differ between neurons.
//  - The built-in lif integrates the decaying synaptic current exactly within a step (the propagator
//    of Rotter & Diesmann 1999); exponential Euler holds it at its start-of-step value. Held, the
//    1 µs synapse that stands in for NIR's Dirac input would deliver dt/1 µs times its charge (100x
//    at dt = 0.1 ms). k_exc and k_inh are the ratio of the two propagators (exact / held), so the
//    held channel moves v exactly as the decaying one does: tests/nir-per-neuron.test.ts finds the
//    potentials equal to the built-in lif's to 1e-13 (1e-6 for an IF, tau_m 1e9 ms) with synaptic
//    input, and the same spike steps. Written with exprel, the ratio has no singularity at tau_m = tau_syn.
//  - A filtered bias that differs between neurons rises from -i_offset with the channel's tau. The
//    built-in lif starts the channel there (init ie); a document's init has one value per population,
//    so i_exc0 and i_inh0 are the channels' starting values per neuron, decaying as the channels do.
//  - Refractoriness: a model's refractory period is Brian2's, frozen for round(tau_refrac/dt) - 1
//    steps after the spike; the built-in lif freezes round(tau_refrac/dt) steps. The import writes
//    tau_refrac one step longer (refractoryFor), so both freeze the same steps at the document's dt.
import type { ModelDoc } from '../../engine/equations/model-definition.js';
import type { PopulationDoc } from '../../engine/circuit/document.js';
import { META } from './conventions.js';
import { uniformValue } from './matrix.js';
import type { Membrane } from './classify.js';
import type { ImportReport } from './report.js';

export const LIF_PER_NEURON = 'lif_per_neuron';

/** The lif parameters as the model names them (`cm` is a unit, centimetre, in equations). */
export const PER_NEURON_NAMES = { cm: 'c_m', tau_m: 'tau_m', v_rest: 'v_rest', v_thresh: 'v_thresh', v_reset: 'v_reset' } as const;

/** The model, with the per-neuron starting values of the channels (i_exc0, i_inh0) only when some population needs them. */
export function lifPerNeuronModel(rising: boolean): ModelDoc {
  const exc = rising ? '(I_exc + i_exc0*exp(-t/tau_syn_exc))' : 'I_exc';
  const inh = rising ? '(I_inh + i_inh0*exp(-t/tau_syn_inh))' : 'I_inh';
  const k = (tau: string) => `exp(-dt/tau_m)*exprel(dt/tau_m - dt/${tau})/exprel(-dt/tau_m) : 1`;
  return {
    description:
      "Flux's built-in lif with parameters per neuron, written by the NIR import for nodes whose neurons differ " +
      '(interop/nir/per-neuron.ts). k_exc and k_inh make the synaptic current, held over a step, move v as the ' +
      "decaying current does in the built-in lif's exact integration.",
    parameters: {
      c_m: '250 pF',
      tau_m: '20 ms',
      v_rest: '-65 mV',
      v_thresh: '-50 mV',
      v_reset: '-65 mV',
      tau_refrac: '0 ms',
      i_offset: '0 pA',
      ...(rising ? { i_exc0: '0 pA', i_inh0: '0 pA' } : {}),
    },
    equations: [
      `dv/dt = (v_rest - v)/tau_m + (i_offset + I_ext + k_exc*${exc} - k_inh*${inh})/c_m : volt (unless refractory)`,
      `k_exc = ${k('tau_syn_exc')}`,
      `k_inh = ${k('tau_syn_inh')}`,
      '',
    ].join('\n'),
    threshold: 'v >= v_thresh + threshold_shift',
    reset: 'v = v_reset',
    refractory: 'tau_refrac',
    method: 'exponential_euler',
    initial: { v: 'v_rest' },
  };
}

/** The model's tau_refrac (ms) that freezes a neuron for as many steps as the built-in lif's tau_refrac does at `dt`. */
export function refractoryFor(tauRefrac: number, dt: number): number {
  const steps = Math.round(tauRefrac / dt);
  return steps > 0 ? (steps + 1) * dt : 0;
}

/** A per-neuron value as the document writes it: one quantity where every neuron has the same, else a list. */
function quantity(a: Float64Array, unit: string, report: ImportReport): string | string[] {
  const u = uniformValue(a);
  return u !== null ? `${report.fmt(u)} ${unit}` : Array.from(a, (x) => `${report.fmt(x)} ${unit}`);
}

/** A membrane whose neurons differ as a population of lif_per_neuron, the differing values as lists. */
export function perNeuronPopulation(m: Membrane, tauRefrac: number, dt: number, varying: string[], report: ImportReport): PopulationDoc {
  const fmt = (x: number) => report.fmt(x);
  const n = m.node;
  const params: Record<string, string | string[]> = {
    [PER_NEURON_NAMES.cm]: quantity(m.cm, 'pF', report),
    tau_m: quantity(m.tauM, 'ms', report),
    v_rest: quantity(m.vRest, 'mV', report),
    v_thresh: quantity(m.vThresh, 'mV', report),
    v_reset: quantity(m.vReset, 'mV', report),
  };
  if (tauRefrac > 0) params.tau_refrac = `${fmt(refractoryFor(tauRefrac, dt))} ms`;
  if (m.tauExc !== undefined) params.tau_syn_exc = `${fmt(m.tauExc)} ms`;
  if (m.tauInh !== undefined) params.tau_syn_inh = `${fmt(m.tauInh)} ms`;
  if (m.iOffset.some((x) => x !== 0)) params.i_offset = quantity(m.iOffset, 'pA', report);
  const init: Record<string, string> = { v: `${fmt(m.offset)} mV` };
  for (const [a, channel, param] of [
    [m.initIe, 'ie', 'i_exc0'],
    [m.initIi, 'ii', 'i_inh0'],
  ] as const) {
    const u = uniformValue(a);
    if (u === null) params[param] = quantity(a, 'pA', report);
    else if (u !== 0) init[channel] = `${fmt(u)} pA`;
  }
  const integration = n.metadata[META.integration];
  if (typeof integration === 'string')
    report.notes.push(`node ${n.name}: integration ${integration} is not used: ${LIF_PER_NEURON} integrates v by exponential Euler`);
  report.notes.push(
    `node ${n.name}: ${varying.join(', ')} differ between its ${m.size} neurons -> population "${m.pop}" of ${LIF_PER_NEURON} ` +
      "(Flux's lif as equations, one value per neuron)",
  );
  return { model: LIF_PER_NEURON, size: m.size, params, init, description: `NIR ${n.type} "${n.name}" (parameters per neuron)` };
}

/** The lif parameters (and channel starting values) that differ between a membrane's neurons. */
export function varyingOf(m: Membrane): string[] {
  const fields = { cm: m.cm, tau_m: m.tauM, v_rest: m.vRest, v_thresh: m.vThresh, v_reset: m.vReset, i_offset: m.iOffset };
  const channels = { i_exc0: m.initIe, i_inh0: m.initIi };
  return Object.entries({ ...fields, ...channels })
    .filter(([, a]) => uniformValue(a) === null)
    .map(([k]) => k);
}
