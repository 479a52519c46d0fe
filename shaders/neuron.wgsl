// Neuron update, one dispatch per model family (the pipeline's FAMILY): updateNeuron (neuron-step.wgsl)
// for each neuron of the family's populations.

override FAMILY: u32;
/** This step's parity where the end of a step runs in propagation or the drain (END_STEP); else 0. */
override PARITY: u32 = 0u;

@compute @workgroup_size(64)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linearId(gid, nwg, 64u);
  if (t >= pu(pu(H_FAM0) + 4u * FAMILY + 2u)) { return; }
  updateNeuron(FAMILY, t, atomicLoad(&ctl[stepWord(PARITY)]), PARITY);
}
