// Spike propagation (step phase 5), all projections in one dispatch (propagate-step.wgsl): a fixed
// grid that strides over this step's work.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> spikes: array<u32>;
@group(0) @binding(7) var<storage, read_write> rowPtr: array<u32>;
@group(0) @binding(8) var<storage, read_write> syn: array<u32>;
@group(0) @binding(9) var<storage, read_write> wt: array<f32>;
@group(0) @binding(10) var<storage, read_write> dly: array<u32>;
@group(0) @binding(11) var<storage, read_write> ring: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read_write> work: array<u32>;

@compute @workgroup_size(256)
fn propagate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  if (LOCAL_ARGS) { sumWorkLocally(li); }
  propagateItems(gid.x, nwg.x * 256u, atomicLoad(&ctl[C_STEP]));
}
