/**
 * Philox4x32-10 and the draws mixdim keys on it, written in JavaScript from the definitions:
 * the counter-based generator (Salmon et al., SC'11), the open uniform, and the portable
 * logarithm and cosine of native/kernels/portable_math.h, transcribed operation for operation.
 * JavaScript numbers are IEEE doubles without contraction, so these give the native code's bits.
 */

function mulhilo(a: number, b: number): [number, number] {
  const product = BigInt(a) * BigInt(b);
  return [Number(product >> 32n), Number(product & 0xffffffffn)];
}

/** Ten Philox4x32 rounds of the counter under a 64-bit key. */
export function philox(seed: number, counter: [number, number, number, number]): number[] {
  const key = BigInt(seed);
  let k0 = Number(key & 0xffffffffn);
  let k1 = Number((key >> 32n) & 0xffffffffn);
  let [c0, c1, c2, c3] = counter;
  for (let round = 0; round < 10; ++round) {
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** 32 random bits as a float in (0, 1), as philox_uniform_open computes it: (k + 0.5) rounds in float. */
export function uniformOpen(bits: number): number {
  return Math.fround((bits >>> 8) + 0.5) / 16777216;
}

const bitsView = new DataView(new ArrayBuffer(8));

/** ln x for a positive normal double: 2·atanh of the mantissa's (m − 1)/(m + 1) plus e·ln 2. */
export function portableLog(x: number): number {
  bitsView.setFloat64(0, x);
  const high = bitsView.getUint32(0);
  let exponent = ((high >>> 20) & 0x7ff) - 1023;
  bitsView.setUint32(0, (high & 0x000fffff) | 0x3ff00000);
  let m = bitsView.getFloat64(0);
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    exponent += 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const z = s * s;
  let series = 1.0 / 23.0;
  for (const d of [21, 19, 17, 15, 13, 11, 9, 7, 5, 3]) series = series * z + 1.0 / d;
  series = series * z + 1.0;
  const ln2Hi = 6.93147180369123816490e-1;
  const ln2Lo = 1.90821492927058770002e-10;
  return exponent * ln2Hi + (2.0 * s * series + exponent * ln2Lo);
}

/** cos(2π·u) for u ∈ [0, 1], by exact reductions to x ≤ π/4 and nested Taylor factors. */
export function portableCos2pi(u: number): number {
  const v = u > 0.5 ? u - 1.0 : u;
  let a = Math.abs(v);
  let sign = 1.0;
  if (a > 0.25) {
    a = 0.5 - a;
    sign = -1.0;
  }
  const useSine = a > 0.125;
  const x = (useSine ? 0.25 - a : a) * 6.283185307179586;
  const z = x * x;
  let series = 1.0;
  for (let k = 10; k >= 1; --k) {
    const k2 = 2.0 * k;
    series = 1.0 - (z / (useSine ? k2 * (k2 + 1.0) : (k2 - 1.0) * k2)) * series;
  }
  return sign * (useSine ? x * series : series);
}

/** The store's initial value of (seed, id, element) before scaling: Box-Muller on Philox's first two lanes. */
export function philoxNormal(seed: number, id: number, element: number): number {
  const [b0, b1] = philox(seed, [id, element, 0x6e6f726d, 0]);
  const radius = Math.sqrt(-2.0 * portableLog(uniformOpen(b0!)));
  return Math.fround(radius * portableCos2pi(uniformOpen(b1!)));
}

/** Row `id`'s initial values at size `dim`: initStd · N(0, 1) rounded as the float product it is. */
export function initialRow(seed: number, id: number, dim: number, initStd: number): Float32Array {
  const row = new Float32Array(dim);
  for (let j = 0; j < dim; ++j) row[j] = Math.fround(Math.fround(initStd) * philoxNormal(seed, id, j));
  return row;
}
