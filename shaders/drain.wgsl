// End of a step (phase 7): the ring slot of this step is added into the synaptic channels and cleared
// (ring.wgsl), for every neuron. Left out where the neuron update does it (neuron.wgsl FUSED_DRAIN).

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(11) var<storage, read_write> ring: array<atomic<u32>>;

@compute @workgroup_size(64)
fn drain(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = linearId(gid, nwg, 64u);
  if (g >= pu(H_NEURONS)) { return; }
  drainGlobal(g, atomicLoad(&ctl[C_STEP]));
}
