// Spike propagation (step phase 5), all projections in one dispatch (propagate-step.wgsl): a fixed
// grid that strides over this step's work. With END_STEP its first workgroup then runs the end of the
// step (end-step.wgsl), which saves the advance dispatch: set where nothing after propagation reads
// the counts or the state (no plasticity, no synapse models, the rings drained in the neuron update).
// Its other workgroups still read this step's counts and counter, so the end of the step writes the
// next step's into the other parity's words (PARITY alternates, in the neuron update too).

override END_STEP: bool = false;
/** This step's parity with END_STEP; else 0. */
override PARITY: u32 = 0u;

@compute @workgroup_size(256)
fn propagate(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  if (LOCAL_ARGS) { sumWorkLocally(li, PARITY); }
  propagateItems(gid.x, nwg.x * 256u, atomicLoad(&ctl[stepWord(PARITY)]));
  if (END_STEP && wid.x == 0u) { endStep(li, 256u, PARITY, 1u - PARITY); }
}
