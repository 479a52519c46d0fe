// exp() written out so that the JavaScript models and the WebAssembly kernels compute bit-identical
// results (Math.exp differs between V8 and other libms in the last bit, which in a chaotic network
// such as COBA is enough to change every spike after a few hundred ms).
// Method (as in musl/ARM optimized-routines, smaller table): x = (64m + j) ln2/64 + r with |r| <= ln2/128,
// exp(x) = 2^m * 2^(j/64) * p(r), p a degree-5 polynomial (truncation error < 4e-17). The table is
// computed here once and handed to the kernel, so both read the same numbers.
// Measured against Math.exp: at most 2 ulp apart (tests/wasm-kernels.test.ts).
// engine/backends/wasm/kernels.as.ts holds the same arithmetic: change both together.

/** ln2/64 split so that k * LN2_64_HI is exact for |k| < 2^21. */
const LN2_64_HI = 6.9314718036912381649e-1 / 64;
const LN2_64_LO = 1.90821492927058770002e-10 / 64;
const INV_LN2_64 = 64 / Math.LN2;

/** 2^(j/64), j = 0..63 */
export const EXP_TABLE = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));

/** 2^m for m in [-1022, 1023] (exact powers of two). */
const POW2 = new Float64Array(2046);
for (let m = -1022, v = 2 ** -1022; m <= 1023; m++, v *= 2) POW2[m + 1022] = v;

export function expDet(x: number): number {
  if (x < -708) return 0;
  if (x > 709) return Infinity;
  if (x !== x) return x;
  const k = Math.floor(x * INV_LN2_64 + 0.5);
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const m = Math.floor(k / 64);
  const j = k - m * 64;
  const r2 = r * r;
  // p(r) - 1, kept apart so that t + t * q rounds once where it matters (t * p would round twice).
  const q = r + r2 * (0.5 + r * 1.6666666666666666e-1) + r2 * r2 * (4.1666666666666664e-2 + r * 8.333333333333333e-3);
  const t = EXP_TABLE[j];
  return (t + t * q) * POW2[m + 1022];
}
