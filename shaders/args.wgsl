// Work sizes of the spike-driven kernels of this step, computed on the GPU so the host never waits
// for a spike count: for each projection (spikes of its source) x (longest row), and prefix sums
// over projections (shaders/work.wgsl). propagate.wgsl and stdp.wgsl run a fixed grid that strides over
// this work. Without plasticity propagate.wgsl sums its own (LOCAL_ARGS), and this dispatch is left out.

@compute @workgroup_size(1)
fn args() { sumAllWork(); }
