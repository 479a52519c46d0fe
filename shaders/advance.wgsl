// End of a step (phases 8-9, end-step.wgsl) as one dispatch of one workgroup.

@compute @workgroup_size(256)
fn advance(@builtin(local_invocation_index) t: u32) { endStep(t, 256u, 0u, 0u); }
