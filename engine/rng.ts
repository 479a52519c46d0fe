// Seeded random numbers. Hand-written rather than a library because the generator must be
// bit-identical in TypeScript and in WGSL (32-bit integer ops only): xoshiro128** seeded through
// splitmix32, so the same seed builds the same network and draws the same Poisson input on every backend.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Stable 32-bit hash of a string (FNV-1a), used to derive independent streams per named object. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number, stream = 0) {
    const st = { s: (seed ^ Math.imul(stream | 0, 0x632be5ab)) | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A generator for a named purpose (a projection, a population's initial state) independent of call order. */
  static forName(seed: number, name: string): Rng {
    return new Rng(seed, hashString(name));
  }

  /**
   * The stream of one block of a named purpose (rows 128k..128k+127 of a projection's wiring): keyed
   * by the block's index, not by what was drawn before it, so blocks can be drawn in any order, on
   * any number of threads, and give the same network.
   */
  static forBlock(seed: number, name: string, block: number): Rng {
    return new Rng(seed, hashString(`${name}#${block}`));
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /**
   * Writes the generator's four state words (for generated WebAssembly, which draws from them:
   * engine/equations/wasm-rng.ts); loadState takes them back. A pending second normal stays here.
   */
  saveState(words: Int32Array): void {
    words[0] = this.a;
    words[1] = this.b;
    words[2] = this.c;
    words[3] = this.d;
  }

  loadState(words: Int32Array): void {
    this.a = words[0];
    this.b = words[1];
    this.c = words[2];
    this.d = words[3];
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in (0, 1]: safe for log(). */
  uniformOpen(): number {
    return (this.nextU32() + 1) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniformOpen()));
    const th = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** Poisson-distributed count; inversion for small means, normal approximation for large. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /** Number of failures before the first success, for skipping through Bernoulli(p) trials. */
  geometric(logOneMinusP: number): number {
    return Math.floor(Math.log(this.uniformOpen()) / logOneMinusP);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
