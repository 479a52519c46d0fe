// The neuron update of one neuron, step phases 1-4 and the channels' decay (with FUSED_DRAIN also
// phase 7): external current from sources and inputs, Poisson source events into the channels, the
// model's step (familyStep, which calls the modelStep generated for the family by
// engine/equations/codegen-wgsl.ts), spike list and recording, and the exact decay of the synaptic
// channels. neuron.wgsl runs it as a dispatch per family; resident.wgsl inside its loop over steps.
// It uses prm, ctl, st, refrac, spikes, fl, rec and ring (shaders/bindings.wgsl places them).

/**
 * Drain this step's ring slot here (ring.wgsl) instead of in drain.wgsl's dispatch: set where no
 * event can reach the slot after the update (every delay at least one step, no synapse models).
 */
override FUSED_DRAIN: bool = false;

struct Mod { gain: f32, shift: f32, excitability: f32 }

fn modOf(pop: u32) -> Mod {
  let e = pu(H_F_EFF) + 3u * pop;
  return Mod(fl[e], fl[e + 1u], fl[e + 2u]);
}

fn chan(sb: u32, nvars: u32, n: u32, c: u32, i: u32) -> u32 { return sb + (nvars + c) * n + i; }

/** Thread t of the family's update (t below the family's neuron count) at this step, of parity p. */
fn updateNeuron(family: u32, t: u32, step: u32, p: u32) {
  let fam = pu(H_FAM0) + 4u * family;
  let list = pu(fam);
  let count = pu(fam + 1u);
  // The family's populations in order with cumulative starts: a short linear search.
  var q = 0u;
  while (q + 1u < count && pu(list + 2u * (q + 1u) + 1u) <= t) { q += 1u; }
  let pop = pu(list + 2u * q);
  let i = t - pu(list + 2u * q + 1u);
  let pb = popBase(pop);
  let n = pu(pb + P_SIZE);
  let g = pu(pb + P_OFFSET) + i;
  let sb = pu(pb + P_STATE);
  let nvars = pu(pb + P_NVARS);

  // Phase 1: external current (constant and step sources, inputs) and Poisson source events.
  var iext = st[chan(sb, nvars, n, 4u, i)];
  let s0 = pu(pb + P_SRC);
  for (var k = 0u; k < pu(pb + P_NSRC); k += 1u) {
    let r = s0 + 4u * k;
    let kind = pu(r);
    if (kind == 0u) {
      iext += pf(r + 1u);
    } else if (kind == 1u) {
      let list = pu(r + 1u);
      var a = 0.0;
      for (var j = 0u; j < pu(r + 2u) && pu(list + 2u * j) <= step; j += 1u) { a = pf(list + 2u * j + 1u); }
      iext += a;
    } else {
      let events = poissonAt(pf(r + 1u), pu(pb + P_RNG), step, i, 1u + k);
      if (events > 0u) {
        let ci = chan(sb, nvars, n, pu(r + 3u), i);
        st[ci] += f32(events) * pf(r + 2u);
      }
    }
  }

  // Phases 2-3: the model (modulator effects are already in fl).
  let spiked = familyStep(family, pb, pop, i, g, sb, n, iext, step);

  // Phase 4: spike list and recording.
  if (spiked) {
    let k = atomicAdd(&ctl[countWord(p, pop)], 1u);
    work[pu(H_SPIKES_AT) + pu(pb + P_OFFSET) + k] = i;
    if ((pu(pb + P_FLAGS) & 1u) != 0u) {
      let r = atomicAdd(&ctl[C_REC], 1u);
      if (r < pu(H_RECCAP)) {
        rec[2u * r] = atomicLoad(&ctl[C_CHUNK]);
        rec[2u * r + 1u] = g;
      }
    }
  }

  // Channels decay exactly with the population's synaptic time constants.
  let de = pf(pb + P_DE);
  let di = pf(pb + P_DI);
  st[chan(sb, nvars, n, CH_IE, i)] *= de;
  st[chan(sb, nvars, n, CH_II, i)] *= di;
  st[chan(sb, nvars, n, CH_GE, i)] *= de;
  st[chan(sb, nvars, n, CH_GI, i)] *= di;

  // Phase 7, where it is this kernel's (propagation writes only later slots).
  if (FUSED_DRAIN) { drainNeuron(pb, i, step); }
}
