// Phase 7 for one neuron: the ring slot of this step is added into its synaptic channels and cleared.
// drain.wgsl runs it over every neuron as a dispatch of its own; neuron.wgsl at the end of the update
// (FUSED_DRAIN) where no event can reach this step's slot after the update: every delay at least one step.
// It uses st and ring (in ctl, atomic: propagation adds into it in the same module in resident.wgsl).

fn drainNeuron(pb: u32, i: u32, step: u32) {
  let len = pu(pb + P_RINGLEN);
  if (len == 0u) { return; }
  let n = pu(pb + P_SIZE);
  let slot = step % len;
  let sb = pu(pb + P_STATE);
  let nv = pu(pb + P_NVARS);
  for (var c = 0u; c < 4u; c += 1u) {
    let base = pu(pb + P_RING + c);
    if (base == NONE) { continue; }
    let idx = base + 2u * (slot * n + i);
    let hi = atomicLoad(&ctl[pu(H_RING_AT) + idx]);
    let lo = atomicLoad(&ctl[pu(H_RING_AT) + idx + 1u]);
    if ((hi | lo) != 0u) {
      st[sb + (nv + c) * n + i] += f32(bitcast<i32>(hi)) + f32(lo) * 2.3283064365386963e-10;
      atomicStore(&ctl[pu(H_RING_AT) + idx], 0u);
      atomicStore(&ctl[pu(H_RING_AT) + idx + 1u], 0u);
    }
  }
}

/** drainNeuron for global neuron g (drain.wgsl's thread, resident.wgsl's loop over neurons). */
fn drainGlobal(g: u32, step: u32) {
  let pb = popBase(popOfNeuron(g));
  drainNeuron(pb, g - pu(pb + P_OFFSET), step);
}
