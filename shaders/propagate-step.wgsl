// Spike propagation (step phase 5) of all projections: one work item per (spike, position in its
// row). Each event lands in the target's delay ring slot (step + delay) % ringLen, which drain.wgsl
// adds into the channel at the end of that step. WGSL has no float atomics, so the ring holds 64-bit
// two's-complement fixed point (32 integer + 32 fraction bits; plastic weights may go below zero when
// w_min < 0) added with two u32 atomics: the sum is exact and the same in any order, so a GPU run is
// reproducible.
// propagate.wgsl runs the items as one dispatch; resident.wgsl inside its loop over steps. The
// kernels use prm, ctl, spikes, rowPtr, syn, wt, dly, ring and work (shaders/bindings.wgsl places them).

/**
 * Whether each workgroup sums the projections' work itself (work.wgsl) instead of reading what args.wgsl
 * wrote: one dispatch fewer per step. Set where no plasticity needs args.wgsl's other sums and the
 * projections fit LOCAL_PROJ.
 */
override LOCAL_ARGS: bool = false;
const LOCAL_PROJ: u32 = 256u;
var<workgroup> localPfx: array<u32, 257>;

/** Prefix sum of the work of the projections before q (q = nproj: the total). */
fn prefix(q: u32) -> u32 {
  if (LOCAL_ARGS) { return localPfx[q]; }
  return work[W_PFX + q];
}

fn ringAdd(idx: u32, w: f32) {
  let whole = floor(w);
  let hi = bitcast<u32>(i32(whole));
  let lo = u32((w - whole) * 4294967296.0);
  let old = atomicAdd(&ctl[pu(H_RING_AT) + idx + 1u], lo);
  var carry = 0u;
  if (old + lo < old) { carry = 1u; }
  if (hi + carry != 0u) { atomicAdd(&ctl[pu(H_RING_AT) + idx], hi + carry); }
}

/** Delay of synapse k (global index) of projection record r, in steps. */
fn delayOf(r: u32, k: u32) -> u32 {
  if (pu(r + R_DMODE) == 0u) { return pu(r + R_DCONST); }
  let j = pu(r + R_DLY) + k - pu(r + R_SYN);
  return (conn[pu(H_DLY_AT) + (j >> 1u)] >> (16u * (j & 1u))) & 0xffffu;
}

/**
 * With LOCAL_ARGS, the workgroup's prefix sums of this step's work (local index li; a workgroup of at
 * least LOCAL_PROJ threads). Each thread reads one projection's work (one round of global reads, not
 * nproj in a row), then thread 0 turns them into prefix sums in workgroup memory: work(q) sits at q + 1
 * until then. Called in uniform control flow (it holds barriers).
 */
fn sumWorkLocally(li: u32, p: u32) {
  let nproj = pu(H_NPROJ);
  // In resident.wgsl's loop the last step's propagation may still read localPfx.
  workgroupBarrier();
  if (li < nproj) { localPfx[li + 1u] = projectionWork(li, p); }
  workgroupBarrier();
  if (li == 0u) {
    var sum = 0u;
    for (var q = 0u; q < nproj; q += 1u) {
      let w = localPfx[q + 1u];
      localPfx[q] = sum;
      sum = addChecked(sum, w);
    }
    localPfx[nproj] = sum;
  }
  workgroupBarrier();
}

/** The work items first, first + stride, ... of this step's propagation. */
fn propagateItems(first: u32, stride: u32, step: u32) {
  let nproj = pu(H_NPROJ);
  let total = prefix(nproj);
  for (var t = first; t < total; t += stride) {
    var lo = 0u;
    var hi = nproj - 1u;
    while (lo < hi) {
      let mid = (lo + hi + 1u) / 2u;
      if (prefix(mid) <= t) { lo = mid; } else { hi = mid - 1u; }
    }
    let r = pu(H_PROJ0) + PRSTRIDE * lo;
    let maxRow = max(pu(r + R_MAXROW), 1u);
    let local = t - prefix(lo);
    let s = local / maxRow;
    let src = popBase(pu(r + R_SRC));
    let i = work[pu(H_SPIKES_AT) + pu(src + P_OFFSET) + s];
    let k = conn[pu(r + R_ROWBASE) + i] + local % maxRow;
    if (k >= conn[pu(r + R_ROWBASE) + i + 1u]) { continue; }
    let tgt = popBase(pu(r + R_TGT));
    let slot = (step + delayOf(r, k)) % pu(tgt + P_RINGLEN);
    ringAdd(pu(r + R_RING) + 2u * (slot * pu(tgt + P_SIZE) + syn[k]), fl[pu(H_WT_AT) + k]);
  }
}
