// Spike propagation (step phase 5), all projections in one dispatch (propagate-step.wgsl): a fixed
// grid that strides over this step's work. With END_STEP its first workgroup then runs the end of the
// step (end-step.wgsl), which saves the advance dispatch: set where nothing after propagation reads
// the counts or the state (no plasticity, no synapse models, the rings drained in the neuron update).
// Its other workgroups still read this step's counts and counter, so the end of the step writes the
// next step's into the other parity's words (PARITY alternates, in the neuron update too).

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> spikes: array<u32>;
@group(0) @binding(7) var<storage, read_write> rowPtr: array<u32>;
@group(0) @binding(8) var<storage, read_write> syn: array<u32>;
@group(0) @binding(9) var<storage, read_write> wt: array<f32>;
@group(0) @binding(10) var<storage, read_write> dly: array<u32>;
@group(0) @binding(11) var<storage, read_write> ring: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read_write> work: array<u32>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;
@group(0) @binding(15) var<storage, read_write> out: array<u32>;

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
