// Shared by every Flux kernel: the word layout of the parameter buffer `prm` (written by
// engine/backends/webgpu/layout.ts, which holds the same numbers: change both together) and small helpers.
// Every kernel gets shaders/bindings.wgsl after this file (prm is binding 0 of group 0).

const NONE: u32 = 0xffffffffu;

// Header words of prm.
const H_NPOPS: u32 = 0u;
const H_NPROJ: u32 = 1u;
const H_NMODS: u32 = 2u;
const H_NOUTS: u32 = 3u;
const H_NPLASTIC: u32 = 4u;
const H_POP0: u32 = 5u;
const H_PROJ0: u32 = 6u;
const H_MOD0: u32 = 7u;
const H_OUT0: u32 = 8u;
const H_PLAST0: u32 = 9u;
const H_FAM0: u32 = 10u;
const H_SRC0: u32 = 11u;
const H_PROBE0: u32 = 12u;
const H_NPROBE: u32 = 13u;
const H_STARTS0: u32 = 14u;
const H_NEURONS: u32 = 15u;
const H_RECCAP: u32 = 16u;
const H_SEED: u32 = 17u;
const H_DT: u32 = 18u;
const H_F_LEVEL: u32 = 21u;
const H_F_DRIVE: u32 = 22u;
const H_F_PULSE: u32 = 23u;
const H_F_EFF: u32 = 24u;
const H_F_LR: u32 = 25u;
const H_F_GATE: u32 = 26u;
const H_F_OUT: u32 = 27u;
const H_NFAM: u32 = 20u;
// Where each array that shares a binding with others begins in it (shaders/bindings.wgsl).
const H_RING_AT: u32 = 19u;    // the delay rings, in ctl
const H_PL_AT: u32 = 28u;      // plasticity traces and synapse-model variables, in fl
const H_WT_AT: u32 = 29u;      // weights, in fl
const H_DLY_AT: u32 = 30u;     // per-synapse delays (two u16 per word), in conn
const H_COL_AT: u32 = 31u;     // STDP columns and synapse-model indices, in conn
const H_SPIKES_AT: u32 = 32u;  // this step's spiking neurons, in work
const H_OUT_AT: u32 = 33u;     // the readback rows (spike counts, probes), in work
const H_REFRAC_AT: u32 = 34u;  // refractory steps left per neuron (i32 bits), in work

// Population record (PSTRIDE words from prm[H_POP0] + pop * PSTRIDE).
const PSTRIDE: u32 = 48u;
const P_OFFSET: u32 = 0u;   // first global neuron index
const P_SIZE: u32 = 1u;
const P_STATE: u32 = 2u;    // base of the population's region in `st`
const P_NVARS: u32 = 3u;    // model state variables; then ie, ii, ge, gi, input (one block of size each)
const P_FLAGS: u32 = 4u;    // bit 0: record spikes; bit 1: inputs or sources target the population; bit 2: rate inputs set poisson's drive
const P_RING: u32 = 5u;     // 4 words: ring base per channel (ie, ii, ge, gi) in `ring` words, NONE if absent
const P_RINGLEN: u32 = 9u;
const P_SRC: u32 = 10u;     // first source record
const P_NSRC: u32 = 11u;
const P_RNG: u32 = 12u;     // random stream key of the population
const P_DE: u32 = 13u;      // exp(-dt/tau_syn_exc)
const P_DI: u32 = 14u;      // exp(-dt/tau_syn_inh)
const P_MODEL: u32 = 15u;
const P_K: u32 = 16u;       // model constants start here (32 words)

// ctl words (u32). Where the end of a step runs inside the propagation or drain dispatch (END_STEP),
// the step counter and the spike counts come in two copies, one per step parity: every workgroup
// reads this step's while one writes the next step's. Kernels that never run in such a circuit
// (args, reset, stdp, synapse models, advance, resident) read the parity-0 words.
const C_STEP: u32 = 0u;
const C_CHUNK: u32 = 1u;    // step within the current readback chunk
const C_REC: u32 = 2u;      // spike records written this chunk
const C_ERROR: u32 = 3u;    // nonzero: a kernel met a size it cannot handle (1: propagation work over 2^32)
const C_STEPS: u32 = 4u;    // steps of this chunk (the resident kernel's loop, resident.wgsl)
const C_STEP1: u32 = 5u;    // the step counter of odd steps (END_STEP)
const C_COUNTS: u32 = 16u;  // spikes this step, per population (even steps; then odd ones with END_STEP)

// Channels: ie, ii, ge, gi.
const CH_IE: u32 = 0u;
const CH_II: u32 = 1u;
const CH_GE: u32 = 2u;
const CH_GI: u32 = 3u;

fn pu(i: u32) -> u32 { return bitcast<u32>(prm[i]); }
/** The ctl word of the step counter of parity p (0 unless the end of a step runs in propagation or the drain). */
fn stepWord(p: u32) -> u32 { return select(C_STEP, C_STEP1, p == 1u); }
/** The ctl word of population pop's spike count of parity p. */
fn countWord(p: u32, pop: u32) -> u32 { return C_COUNTS + p * pu(H_NPOPS) + pop; }
fn pf(i: u32) -> f32 { return prm[i]; }
fn popBase(pop: u32) -> u32 { return pu(H_POP0) + pop * PSTRIDE; }

/** Index of the population holding global neuron g (populations are numbered in offset order). */
fn popOfNeuron(g: u32) -> u32 {
  let s0 = pu(H_STARTS0);
  var lo = 0u;
  var hi = pu(H_NPOPS) - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (pu(s0 + mid) <= g) { lo = mid; } else { hi = mid - 1u; }
  }
  return lo;
}

// Counter-based random numbers (Wellons' lowbias32 hash, chained): a draw depends only on
// (stream, step, neuron, purpose), so it is the same whatever the thread layout.
fn hash32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

fn uniformAt(key: u32, step: u32, neuron: u32, purpose: u32) -> f32 {
  let h = hash32(hash32(hash32(hash32(key) ^ step) ^ neuron) ^ purpose);
  return f32(h >> 8u) * (1.0 / 16777216.0);
}

/** Poisson draw by inversion for small means; normal approximation above 30 events. */
fn poissonAt(mean: f32, key: u32, step: u32, neuron: u32, purpose: u32) -> u32 {
  if (mean <= 0.0) { return 0u; }
  if (mean > 30.0) {
    let u1 = max(uniformAt(key, step, neuron, purpose), 1e-7);
    let u2 = uniformAt(key, step, neuron, purpose ^ 0x55555555u);
    let z = sqrt(-2.0 * log(u1)) * cos(6.2831853 * u2);
    return u32(max(0.0, round(mean + sqrt(mean) * z)));
  }
  let u = uniformAt(key, step, neuron, purpose);
  var p = exp(-mean);
  var cdf = p;
  var k = 0u;
  while (u > cdf) {
    k += 1u;
    p *= mean / f32(k);
    let next = cdf + p;
    // In float32 the running sum can stop short of u (up to 1 - 2^-24): the tail beyond is negligible.
    if (next == cdf) { break; }
    cdf = next;
  }
  return k;
}

// Projection record (PRSTRIDE words from prm[H_PROJ0] + q * PRSTRIDE).
const PRSTRIDE: u32 = 16u;
const R_SRC: u32 = 0u;
const R_TGT: u32 = 1u;
const R_ROWBASE: u32 = 2u;  // first row pointer in rowPtr (row pointers hold global synapse indices)
const R_MAXROW: u32 = 3u;
const R_RING: u32 = 4u;     // ring base of the target channel
const R_DMODE: u32 = 5u;    // 0: every synapse has R_DCONST steps; 1: per-synapse delays in dly
const R_DCONST: u32 = 6u;
const R_DLY: u32 = 7u;      // dly index of the projection's first synapse
const R_SYN: u32 = 8u;      // global index of the projection's first synapse

// Plasticity record (LSTRIDE words from prm[H_PLAST0] + p * LSTRIDE).
const LSTRIDE: u32 = 24u;
const L_PROJ: u32 = 0u;
const L_X: u32 = 1u;        // presynaptic traces in pl
const L_Y: u32 = 2u;        // postsynaptic traces in pl
const L_COLPTR: u32 = 3u;   // column pointers in col (values: pair index of (synapse, pre) in col)
const L_MAXCOL: u32 = 4u;
const L_ELIG: u32 = 5u;     // eligibility traces in pl (NONE for pair STDP)
const L_FLAGS: u32 = 6u;    // bit 0 soft bounds, bit 1 multiplicative depression, bit 2 all-pairs traces
const L_APLUS: u32 = 7u;    // a_plus * w_max
const L_AMINUS: u32 = 8u;
const L_WMAX: u32 = 9u;
const L_WMIN: u32 = 10u;
const L_DPLUS: u32 = 11u;
const L_DMINUS: u32 = 12u;
const L_EDECAY: u32 = 13u;
const L_LRDT: u32 = 14u;    // learning_rate * dt / 1000
const L_MOD: u32 = 15u;     // gating modulator (reward STDP)
const L_NPRE: u32 = 16u;
const L_NPOST: u32 = 17u;
const L_NSYN: u32 = 18u;

// work words: prefix sums of the spike-driven work from W_PFX on.
const W_PFX: u32 = 16u;

/** Linear thread index of a 1-D dispatch laid out as x * y workgroups (x at most 65535). */
fn linearId(gid: vec3u, nwg: vec3u, wg: u32) -> u32 { return gid.y * nwg.x * wg + gid.x; }
