// Phase 7 as a dispatch: the ring slot of this step is added into the synaptic channels and cleared
// (ring.wgsl), for every neuron. Left out where the neuron update does it (neuron.wgsl FUSED_DRAIN).
// With END_STEP its first workgroup then runs the end of the step (end-step.wgsl), which saves the
// advance dispatch: set where nothing after the drain reads the counts (no plasticity, no synapse
// models) and no state probe reads a channel, which the other workgroups are still writing. As with
// propagate.wgsl's END_STEP, the step counter and counts alternate by step parity.

override END_STEP: bool = false;
/** This step's parity where the end of a step runs in propagation or here; else 0. */
override PARITY: u32 = 0u;

@compute @workgroup_size(256)
fn drain(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let g = linearId(gid, nwg, 256u);
  if (g < pu(H_NEURONS)) { drainGlobal(g, atomicLoad(&ctl[stepWord(PARITY)])); }
  if (END_STEP && wid.x == 0u && wid.y == 0u) { endStep(li, 256u, PARITY, 1u - PARITY); }
}
