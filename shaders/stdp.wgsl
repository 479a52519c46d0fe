// Plasticity (step phase 6) as four dispatches (stdp-step.wgsl): decay, pre, post, eligibility.

@compute @workgroup_size(256)
fn decay(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { decayTrace(linearId(gid, nwg, 256u)); }

@compute @workgroup_size(256)
fn pre(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { preItems(gid.x, nwg.x * 256u); }

@compute @workgroup_size(256)
fn post(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { postItems(gid.x, nwg.x * 256u); }

@compute @workgroup_size(256)
fn eligibility(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) { eligibilityItem(linearId(gid, nwg, 256u)); }
