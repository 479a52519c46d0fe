// Plasticity (step phase 6) as four dispatches (stdp-step.wgsl): decay, pre, post, eligibility.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<u32>;
@group(0) @binding(4) var<storage, read_write> spikes: array<u32>;
@group(0) @binding(7) var<storage, read_write> rowPtr: array<u32>;
@group(0) @binding(8) var<storage, read_write> syn: array<u32>;
@group(0) @binding(9) var<storage, read_write> wt: array<f32>;
@group(0) @binding(13) var<storage, read_write> pl: array<f32>;
@group(0) @binding(14) var<storage, read_write> col: array<u32>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;
@group(0) @binding(12) var<storage, read_write> work: array<u32>;

@compute @workgroup_size(256)
fn decay(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { decayTrace(linearId(gid, nwg, 256u)); }

@compute @workgroup_size(256)
fn pre(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { preItems(gid.x, nwg.x * 256u); }

@compute @workgroup_size(256)
fn post(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { postItems(gid.x, nwg.x * 256u); }

@compute @workgroup_size(256)
fn eligibility(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { eligibilityItem(linearId(gid, nwg, 256u)); }
