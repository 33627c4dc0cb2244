/**
 * Labels for ESAPN-style prediction tasks (methods.md A4 and B §3), from ratings.
 */

/**
 * Binary labels: 1 where rating > threshold (default 3.5, so 4, 4.5 and 5 are positive), else 0.
 * Float32 because the loss (MSE on the sigmoid, or BCE) takes them as floats.
 */
export function binaryLabels(ratings: ArrayLike<number>, threshold = 3.5): Float32Array {
  if (typeof threshold !== "number" || Number.isNaN(threshold)) {
    throw new TypeError(`threshold must be a number, got ${String(threshold)}`);
  }
  const labels = new Float32Array(ratings.length);
  for (let r = 0; r < ratings.length; ++r) labels[r] = ratings[r]! > threshold ? 1 : 0;
  return labels;
}

/**
 * 5-class labels: floor(rating − 0.5), clamped to 0..4. On the half-star scale
 * {0.5, 1} → 0, {1.5, 2} → 1, {2.5, 3} → 2, {3.5, 4} → 3, {4.5, 5} → 4; on whole stars
 * 1..5 → 0..4. The clamp keeps ratings off the scale (0, or 5.5) in a valid class.
 */
export function fiveClassLabels(ratings: ArrayLike<number>): Int32Array {
  const labels = new Int32Array(ratings.length);
  for (let r = 0; r < ratings.length; ++r) {
    const label = Math.floor(ratings[r]! - 0.5);
    labels[r] = label < 0 ? 0 : label > 4 ? 4 : label;
  }
  return labels;
}
