// Neuron update, one dispatch per model family (the pipeline's FAMILY): updateNeuron (neuron-step.wgsl)
// for each neuron of the family's populations.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(3) var<storage, read_write> refrac: array<i32>;
@group(0) @binding(4) var<storage, read_write> spikes: array<u32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;
@group(0) @binding(6) var<storage, read_write> rec: array<u32>;
@group(0) @binding(11) var<storage, read_write> ring: array<atomic<u32>>;

override FAMILY: u32;
/** This step's parity where the end of a step runs in propagation or the drain (END_STEP); else 0. */
override PARITY: u32 = 0u;

@compute @workgroup_size(64)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linearId(gid, nwg, 64u);
  if (t >= pu(pu(H_FAM0) + 4u * FAMILY + 2u)) { return; }
  updateNeuron(FAMILY, t, atomicLoad(&ctl[stepWord(PARITY)]), PARITY);
}
