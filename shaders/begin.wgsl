// Start of a chunk of steps: spike counts cleared and the first step's modulator effects, including
// the reward pulses the host gave since the last chunk (shaders/modulators.wgsl). Later steps of the
// chunk get theirs from the end of the step before (end-step.wgsl), which saves a dispatch per step.

/** The first step's parity where the end of a step runs in propagation or the drain (END_STEP); else 0. */
override PARITY: u32 = 0u;

@compute @workgroup_size(64)
fn begin(@builtin(local_invocation_index) t: u32) { startChunk(t, 64u, PARITY); }
