// The one bind group every Flux kernel shares: 8 storage buffers, the most WebGPU promises on every
// device (Chromium's SwiftShader offers 10, its lower tiers 8). engine/backends/webgpu/layout.ts BIND
// numbers them (change both together; engine/backends/webgpu/shaders.test.ts compares them).
// Several arrays share a binding (layout.ts ARRAYS): each after the first begins at the word its header
// word in prm holds, which the kernels add: ring[i] is ctl[pu(H_RING_AT) + i].
// Every kernel file gets these in front of it (after common.wgsl); a kernel binds only what it uses.
// Synapse models' generated modules declare their own (codegen-synapse-wgsl.ts: their st may be atomic).
// ctl is atomic everywhere, so that kernels sharing functions agree on its type.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
// Control words, then the delay rings (64-bit fixed point, propagate-step.wgsl).
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
// Float globals (modulators, outputs), then plasticity traces and synapse-model variables (pl), then weights (wt).
@group(0) @binding(3) var<storage, read_write> fl: array<f32>;
@group(0) @binding(4) var<storage, read_write> rec: array<u32>;
// Connectivity: row pointers (rowPtr), then per-synapse delays (dly), then STDP columns and synapse-model indices (col).
@group(0) @binding(5) var<storage, read_write> conn: array<u32>;
@group(0) @binding(6) var<storage, read_write> syn: array<u32>;
// Work sums of the spike-driven kernels, then this step's spiking neurons (spikes), the readback rows
// (out), and each neuron's refractory steps left (refrac, i32).
@group(0) @binding(7) var<storage, read_write> work: array<u32>;

fn refracOf(g: u32) -> i32 { return bitcast<i32>(work[pu(H_REFRAC_AT) + g]); }
fn setRefrac(g: u32, r: i32) { work[pu(H_REFRAC_AT) + g] = bitcast<u32>(r); }
