// Word layout of the parameter buffer and the other GPU buffers. shaders/common.wgsl holds the same
// numbers: change both together. Everything here is pure packing, no GPU calls.

export const NONE = 0xffffffff;
export const HEADER = 40;
export const H = {
  NPOPS: 0,
  NPROJ: 1,
  NMODS: 2,
  NOUTS: 3,
  NPLASTIC: 4,
  POP0: 5,
  PROJ0: 6,
  MOD0: 7,
  OUT0: 8,
  PLAST0: 9,
  FAM0: 10,
  SRC0: 11,
  PROBE0: 12,
  NPROBE: 13,
  STARTS0: 14,
  NEURONS: 15,
  RECCAP: 16,
  SEED: 17,
  DT: 18,
  NFAM: 20,
  F_LEVEL: 21,
  F_DRIVE: 22,
  F_PULSE: 23,
  F_EFF: 24,
  F_LR: 25,
  F_GATE: 26,
  F_OUT: 27,
  // The first word of each array that shares a binding and does not start it (ARRAYS).
  RING_AT: 19,
  PL_AT: 28,
  WT_AT: 29,
  DLY_AT: 30,
  COL_AT: 31,
  SPIKES_AT: 32,
  OUT_AT: 33,
  REFRAC_AT: 34,
} as const;
export const PSTRIDE = 48;
export const P = {
  OFFSET: 0,
  SIZE: 1,
  STATE: 2,
  NVARS: 3,
  FLAGS: 4,
  RING: 5,
  RINGLEN: 9,
  SRC: 10,
  NSRC: 11,
  RNG: 12,
  DE: 13,
  DI: 14,
  MODEL: 15,
  K: 16,
} as const;
export const MODEL_WORDS = PSTRIDE - P.K;
export const PRSTRIDE = 16;
/**
 * SM: prm index of the projection's synapse-model record (engine/equations/codegen-synapse-wgsl.ts
 * SYN_HEADER); its generated kernels define R_SM themselves, the built-in shaders never read it.
 */
export const R = { SRC: 0, TGT: 1, ROWBASE: 2, MAXROW: 3, RING: 4, DMODE: 5, DCONST: 6, DLY: 7, SYN: 8, SM: 9 } as const;
export const LSTRIDE = 24;
export const L = {
  PROJ: 0,
  X: 1,
  Y: 2,
  COLPTR: 3,
  MAXCOL: 4,
  ELIG: 5,
  FLAGS: 6,
  APLUS: 7,
  AMINUS: 8,
  WMAX: 9,
  WMIN: 10,
  DPLUS: 11,
  DMINUS: 12,
  EDECAY: 13,
  LRDT: 14,
  MOD: 15,
  NPRE: 16,
  NPOST: 17,
  NSYN: 18,
} as const;
export const C = { STEP: 0, CHUNK: 1, REC: 2, ERROR: 3, STEPS: 4, STEP1: 5, COUNTS: 16 } as const;
export const W_PFX = 16;
/**
 * The one bind group every kernel shares: 8 storage buffers, the most WebGPU promises on every device
 * (a browser may offer no more: Chromium's SwiftShader offers 10, its lower tiers 8).
 */
export const BIND = { prm: 0, ctl: 1, st: 2, fl: 3, rec: 4, conn: 5, syn: 6, work: 7 } as const;
export type BindingName = keyof typeof BIND;

/**
 * The arrays the kernels index and the binding each lies in, in order within it: the first array of a
 * binding starts at its word 0, each other one at the word its header word in prm holds (ARRAY_AT),
 * which kernels add (`ctl[pu(H_RING_AT) + i]` is ring[i]). Indices the host writes into records stay
 * relative to their array.
 */
export const ARRAYS = {
  prm: 'prm',
  ctl: 'ctl',
  ring: 'ctl',
  st: 'st',
  fl: 'fl',
  pl: 'fl',
  wt: 'fl',
  rec: 'rec',
  rowPtr: 'conn',
  dly: 'conn',
  col: 'conn',
  syn: 'syn',
  work: 'work',
  spikes: 'work',
  out: 'work',
  refrac: 'work',
} as const satisfies Record<string, BindingName>;
export type ArrayName = keyof typeof ARRAYS;

/** The header word holding where each array that does not start its binding begins. */
export const ARRAY_AT: Partial<Record<ArrayName, number>> = {
  ring: H.RING_AT,
  pl: H.PL_AT,
  wt: H.WT_AT,
  dly: H.DLY_AT,
  col: H.COL_AT,
  spikes: H.SPIKES_AT,
  out: H.OUT_AT,
  refrac: H.REFRAC_AT,
};

/** Where each array begins in its binding and each binding's words, given every array's words. */
export function placeArrays(words: Readonly<Record<ArrayName, number>>): {
  at: Record<ArrayName, number>;
  size: Record<BindingName, number>;
} {
  const size = Object.fromEntries(Object.keys(BIND).map((b) => [b, 0])) as Record<BindingName, number>;
  const at = {} as Record<ArrayName, number>;
  for (const a of Object.keys(ARRAYS) as ArrayName[]) {
    at[a] = size[ARRAYS[a]];
    size[ARRAYS[a]] += Math.ceil(words[a]);
  }
  return { at, size };
}

export type Channel = 'ie' | 'ii' | 'ge' | 'gi';
export const CHANNELS: Channel[] = ['ie', 'ii', 'ge', 'gi'];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Bits of a float as stored in a u32 word. */
export function fbits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** A growable list of u32 words; floats go in as their f32 bits. */
export class Words {
  private a = new Uint32Array(1024);
  length = 0;
  u(x: number): number {
    if (this.length === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length] = x >>> 0;
    return this.length++;
  }
  f(x: number): number {
    return this.u(fbits(x));
  }
  setU(i: number, x: number): void {
    this.a[i] = x >>> 0;
  }
  setF(i: number, x: number): void {
    this.a[i] = fbits(x);
  }
  reserve(n: number): number {
    const at = this.length;
    for (let k = 0; k < n; k++) this.u(0);
    return at;
  }
  finish(): Uint32Array {
    return this.a.slice(0, Math.max(this.length, 4));
  }
}

/** Stable random stream key of a population (FNV-1a of seed and name): the same after any edit. */
export function streamKey(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
