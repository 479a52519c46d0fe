// End of a step (phase 7): the ring slot of this step is added into the synaptic channels and cleared.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<u32>;
@group(0) @binding(2) var<storage, read_write> st: array<f32>;
@group(0) @binding(11) var<storage, read_write> ring: array<u32>;

@compute @workgroup_size(64)
fn drain(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = linearId(gid, nwg, 64u);
  if (g >= pu(H_NEURONS)) { return; }
  let pop = popOfNeuron(g);
  let pb = popBase(pop);
  let len = pu(pb + P_RINGLEN);
  if (len == 0u) { return; }
  let n = pu(pb + P_SIZE);
  let i = g - pu(pb + P_OFFSET);
  let slot = ctl[C_STEP] % len;
  let sb = pu(pb + P_STATE);
  let nv = pu(pb + P_NVARS);
  for (var c = 0u; c < 4u; c += 1u) {
    let base = pu(pb + P_RING + c);
    if (base == NONE) { continue; }
    let idx = base + 2u * (slot * n + i);
    let hi = ring[idx];
    let lo = ring[idx + 1u];
    if ((hi | lo) != 0u) {
      st[sb + (nv + c) * n + i] += f32(bitcast<i32>(hi)) + f32(lo) * 2.3283064365386963e-10;
      ring[idx] = 0u;
      ring[idx + 1u] = 0u;
    }
  }
}
