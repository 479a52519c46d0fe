// Dense row-major matrices (Float64Array, rows x cols) as the importer multiplies paths through them.

export function matmul(a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number): Float64Array {
  const out = new Float64Array(ar * bc);
  for (let i = 0; i < ar; i++)
    for (let k = 0; k < ac; k++) {
      const x = a[i * ac + k];
      if (x === 0) continue;
      for (let j = 0; j < bc; j++) out[i * bc + j] += x * b[k * bc + j];
    }
  return out;
}

export function scaleRows(m: Float64Array, cols: number, s: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.length);
  for (let i = 0; i < s.length; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = m[i * cols + j] * s[i];
  return out;
}

export const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

export function uniformValue(a: Float64Array): number | null {
  for (let i = 1; i < a.length; i++) if (!close(a[i], a[0])) return null;
  return a.length ? a[0] : null;
}

export function diagonalValue(m: Float64Array, rows: number, cols: number): number | null {
  if (rows !== cols) return null;
  const d = m[0];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const x = m[i * cols + j];
      if (i === j ? !close(x, d) : x !== 0) return null;
    }
  return d;
}
