// End of a step (phases 8-9, end-step.wgsl) as one dispatch of one workgroup.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(15) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn advance(@builtin(local_invocation_index) t: u32) { endStep(t, 256u, 0u, 0u); }
