// The one bind group every Flux kernel shares (16 storage buffers), as engine/backends/webgpu/layout.ts
// BIND numbers them (change both together; engine/backends/webgpu/shaders.test.ts compares them).
// Every kernel file gets these in front of it (after common.wgsl); a kernel binds only what it uses.
// Synapse models' generated modules declare their own (codegen-synapse-wgsl.ts: their st may be atomic).
// ctl and ring are atomic everywhere, so that kernels sharing functions agree on their types.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(3) var<storage, read_write> refrac: array<i32>;
@group(0) @binding(4) var<storage, read_write> spikes: array<u32>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;
@group(0) @binding(6) var<storage, read_write> rec: array<u32>;
@group(0) @binding(7) var<storage, read_write> rowPtr: array<u32>;
@group(0) @binding(8) var<storage, read_write> syn: array<u32>;
@group(0) @binding(9) var<storage, read_write> wt: array<f32>;
@group(0) @binding(10) var<storage, read_write> dly: array<u32>;
@group(0) @binding(11) var<storage, read_write> ring: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read_write> work: array<u32>;
@group(0) @binding(13) var<storage, read_write> pl: array<f32>;
@group(0) @binding(14) var<storage, read_write> col: array<u32>;
@group(0) @binding(15) var<storage, read_write> out: array<u32>;
