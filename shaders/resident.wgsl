// Resident stepping: one dispatch of one workgroup runs a whole chunk of steps, for networks small
// enough that one workgroup's threads update every neuron in a few passes. The loop over steps calls
// the same functions as the per-step dispatches (neuron-step.wgsl, work.wgsl, propagate-step.wgsl,
// stdp-step.wgsl, ring.wgsl, end-step.wgsl), with storage barriers where those dispatches ended.
// Dispatches of a queue are ordered but each costs the host a few microseconds and the GPU a launch;
// here a step costs neither. Used without synapse models (their kernels are not in the loop); the
// host appends familyStep, which calls each family's generated modelStep.

/** Threads of the one workgroup: a power of two from 256 (LOCAL_PROJ) to PARTIAL, the device's most. */
override WG: u32 = 256u;
/** Model families with neurons (their records in prm from H_FAM0). */
override FAMILIES: u32;
/** STDP's passes (stdp-step.wgsl) after propagation, whose work sums are then sumAllWork's (LOCAL_ARGS off). */
override PLASTIC: bool = false;

var<workgroup> chunkSteps: u32;

@compute @workgroup_size(WG)
fn resident(@builtin(local_invocation_index) t: u32) {
  if (t == 0u) { chunkSteps = atomicLoad(&ctl[C_STEPS]); }
  let steps = workgroupUniformLoad(&chunkSteps);
  // The plasticity passes' sizes, fixed for the layout (prm).
  let traces = traceCount();
  let eligible = eligibilityCount();
  startChunk(t, WG, 0u);
  storageBarrier();
  for (var s = 0u; s < steps; s += 1u) {
    let step = atomicLoad(&ctl[C_STEP]);
    for (var f = 0u; f < FAMILIES; f += 1u) {
      let neurons = pu(pu(H_FAM0) + 4u * f + 2u);
      for (var i = t; i < neurons; i += WG) { updateNeuron(f, i, step, 0u); }
    }
    storageBarrier();
    if (pu(H_NPROJ) > 0u) {
      if (PLASTIC) {
        if (t == 0u) { sumAllWork(); }
        storageBarrier();
      } else {
        sumWorkLocally(t, 0u);
      }
      propagateItems(t, WG, step);
      storageBarrier();
    }
    if (PLASTIC) {
      for (var i = t; i < traces; i += WG) { decayTrace(i); }
      storageBarrier();
      preItems(t, WG);
      storageBarrier();
      postItems(t, WG);
      storageBarrier();
      for (var i = t; i < eligible; i += WG) { eligibilityItem(i); }
      storageBarrier();
    }
    if (!FUSED_DRAIN) {
      for (var g = t; g < pu(H_NEURONS); g += WG) { drainGlobal(g, step); }
      storageBarrier();
    }
    endStep(t, WG, 0u, 0u);
    storageBarrier();
  }
}
