// Numerical propagators for exactly integrated linear systems x' = M x + b (b held over a step):
// x(t + dt) = Phi x(t) + Psi b with Phi = exp(M dt) and Psi = integral_0^dt exp(M s) ds, both read off
// one exponential of the augmented matrix [[M, I], [0, 0]] dt. Brian2 solves such systems
// symbolically with sympy; a numerical exponential gives the same matrices to rounding, for any size,
// and is computed once per population (and again on a parameter edit).

type Matrix = number[][];

const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => (i === j ? 1 : 0)));

function multiply(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i][k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i][j] += aik * b[k][j];
    }
  return out;
}

/**
 * exp(A) by scaling and squaring with a Taylor series: A is scaled by 2^-s until its norm is below 1/2,
 * where 24 terms of the series are exact to double rounding, and squared back s times.
 */
export function expm(a: Matrix): Matrix {
  const n = a.length;
  const norm = Math.max(0, ...a.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)));
  if (!Number.isFinite(norm)) throw new Error('the matrix has non-finite entries');
  const s = Math.max(0, Math.ceil(Math.log2(norm / 0.5)));
  const scale = 2 ** -s;
  const x = a.map((row) => row.map((v) => v * scale));
  let term = identity(n);
  let sum = identity(n);
  for (let k = 1; k <= 24; k++) {
    term = multiply(term, x).map((row) => row.map((v) => v / k));
    sum = sum.map((row, i) => row.map((v, j) => v + term[i][j]));
  }
  for (let i = 0; i < s; i++) sum = multiply(sum, sum);
  return sum;
}

/** Phi = exp(M dt) and Psi = integral_0^dt exp(M s) ds for the k x k coefficient matrix M. */
export function propagators(m: Matrix, dt: number): { phi: Matrix; psi: Matrix } {
  const k = m.length;
  const aug = Array.from({ length: 2 * k }, (_, i) =>
    Array.from({ length: 2 * k }, (__, j) => (i < k ? (j < k ? m[i][j] * dt : i === j - k ? dt : 0) : 0)),
  );
  const e = expm(aug);
  return { phi: e.slice(0, k).map((row) => row.slice(0, k)), psi: e.slice(0, k).map((row) => row.slice(k)) };
}
