// Work sizes of the spike-driven kernels of this step, computed on the GPU so the host never waits
// for a spike count: for each projection (spikes of its source) x (longest row), and prefix sums
// over projections (shaders/work.wgsl). propagate.wgsl and stdp.wgsl run a fixed grid that strides over
// this work. Without plasticity propagate.wgsl sums its own (LOCAL_ARGS), and this dispatch is left out.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read_write> work: array<u32>;

@compute @workgroup_size(1)
fn args() {
  let nproj = pu(H_NPROJ);
  var total = 0u;
  for (var q = 0u; q < nproj; q += 1u) {
    work[W_PFX + q] = total;
    total = addChecked(total, projectionWork(q, 0u));
  }
  work[W_PFX + nproj] = total;
  let np = pu(H_NPLASTIC);
  let pre0 = W_PFX + nproj + 1u;
  let post0 = pre0 + np + 1u;
  var tpre = 0u;
  var tpost = 0u;
  for (var p = 0u; p < np; p += 1u) {
    let s = pu(H_PLAST0) + LSTRIDE * p;
    let r = pu(H_PROJ0) + PRSTRIDE * pu(s + L_PROJ);
    work[pre0 + p] = tpre;
    work[post0 + p] = tpost;
    tpre = addChecked(tpre, mulChecked(atomicLoad(&ctl[C_COUNTS + pu(r + R_SRC)]), max(pu(r + R_MAXROW), 1u)));
    tpost = addChecked(tpost, mulChecked(atomicLoad(&ctl[C_COUNTS + pu(r + R_TGT)]), max(pu(s + L_MAXCOL), 1u)));
  }
  work[pre0 + np] = tpre;
  work[post0 + np] = tpost;
}
