// Pair-based STDP with exponential traces, and its three-factor form where the same pairings
// charge an eligibility trace that a neuromodulator turns into weight change.
//
// Within a step (after the neurons fired): traces decay by exp(-dt/tau); for each presynaptic spike
// the synapses are depressed by the postsynaptic trace, then the presynaptic trace grows; for each
// postsynaptic spike the synapses are potentiated by the presynaptic trace (including a presynaptic
// spike in the same step), then the postsynaptic trace grows. With traces decaying exactly this gives
//   dw(dt_post-pre > 0) = a_plus * w_max * exp(-dt/tau_plus),  dw(< 0) = -a_minus * w_max * exp(dt/tau_minus)
// (additive rule), which the tests check against the analytic window.
import type { PlasticitySpec } from '../circuit/circuit.js';

export interface PlasticState {
  spec: PlasticitySpec;
  xPre: Float64Array;
  yPost: Float64Array;
  /** Synapses grouped by postsynaptic neuron: postSyn[postPtr[j]..postPtr[j+1]] */
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  eligibility: Float32Array | null;
}

export function buildPostIndex(
  rowPtr: Uint32Array,
  targets: Uint32Array | Uint16Array,
  nPost: number,
): { postPtr: Uint32Array; postSyn: Uint32Array } {
  const postPtr = new Uint32Array(nPost + 1);
  for (let k = 0; k < targets.length; k++) postPtr[targets[k] + 1]++;
  for (let j = 0; j < nPost; j++) postPtr[j + 1] += postPtr[j];
  const fillPtr = postPtr.slice(0, nPost);
  const postSyn = new Uint32Array(targets.length);
  for (let k = 0; k < targets.length; k++) postSyn[fillPtr[targets[k]]++] = k;
  return { postPtr, postSyn };
}

export function createPlasticState(
  spec: PlasticitySpec,
  rowPtr: Uint32Array,
  targets: Uint32Array | Uint16Array,
  nPre: number,
  nPost: number,
): PlasticState {
  const { postPtr, postSyn } = buildPostIndex(rowPtr, targets, nPost);
  return {
    spec,
    xPre: new Float64Array(nPre),
    yPost: new Float64Array(nPost),
    postPtr,
    postSyn,
    eligibility: spec.rule === 'reward_stdp' ? new Float32Array(targets.length) : null,
  };
}

/** Source neuron of synapse k (rows are contiguous, so a binary search over row pointers). */
function preOf(rowPtr: Uint32Array, k: number): number {
  let lo = 0;
  let hi = rowPtr.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (rowPtr[mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function clip(w: number, lo: number, hi: number): number {
  return w < lo ? lo : w > hi ? hi : w;
}

/**
 * One step of plasticity for a projection. `lrScale` is the modulators' learning-rate factor,
 * `level` the gating modulator's level (reward_stdp), dt in ms.
 */
export function plasticityStep(
  st: PlasticState,
  rowPtr: Uint32Array,
  targets: Uint32Array | Uint16Array,
  weights: Float32Array,
  preSpikes: Uint32Array,
  nPreSpikes: number,
  postSpikes: Uint32Array,
  nPostSpikes: number,
  dt: number,
  lrScale: number,
  level: number,
): void {
  const s = st.spec;
  const { xPre, yPost, eligibility: elig } = st;
  const dPlus = Math.exp(-dt / s.tauPlus);
  const dMinus = Math.exp(-dt / s.tauMinus);
  for (let i = 0; i < xPre.length; i++) xPre[i] *= dPlus;
  for (let j = 0; j < yPost.length; j++) yPost[j] *= dMinus;
  const { wMin, wMax } = s;
  const range = wMax - wMin || 1;
  const soft = s.bounds === 'soft';
  const mult = s.update === 'multiplicative';
  const aPlus = s.aPlus * wMax;
  const scale = elig ? 1 : lrScale;
  for (let n = 0; n < nPreSpikes; n++) {
    const i = preSpikes[n];
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
      const y = yPost[targets[k]];
      if (y === 0) continue;
      const w = weights[k];
      let dw = (mult ? s.aMinus * w : s.aMinus * wMax) * y;
      if (soft) dw *= (w - wMin) / range;
      if (elig) elig[k] -= dw;
      else weights[k] = clip(w - scale * dw, wMin, wMax);
    }
    xPre[i] = s.pairing === 'all' ? xPre[i] + 1 : 1;
  }
  for (let n = 0; n < nPostSpikes; n++) {
    const j = postSpikes[n];
    for (let q = st.postPtr[j]; q < st.postPtr[j + 1]; q++) {
      const k = st.postSyn[q];
      const x = xPre[preOf(rowPtr, k)];
      if (x === 0) continue;
      const w = weights[k];
      let dw = aPlus * x;
      if (soft) dw *= (wMax - w) / range;
      if (elig) elig[k] += dw;
      else weights[k] = clip(w + scale * dw, wMin, wMax);
    }
    yPost[j] = s.pairing === 'all' ? yPost[j] + 1 : 1;
  }
  if (elig) {
    const decay = Math.exp(-dt / s.tauEligibility);
    const gain = s.learningRate * lrScale * level * (dt / 1000);
    if (gain === 0) {
      for (let k = 0; k < elig.length; k++) elig[k] *= decay;
    } else {
      for (let k = 0; k < elig.length; k++) {
        const e = elig[k];
        if (e === 0) continue;
        weights[k] = clip(weights[k] + gain * e, wMin, wMax);
        elig[k] = e * decay;
      }
    }
  }
}
