/**
 * Exact ROC AUC, the CTR metric of methods.md C §1.
 *
 * AUC = U / (P · N), with P positives, N negatives and the Mann–Whitney statistic
 *   U = Σ_{i positive} Σ_{j negative} ( [s_i > s_j] + ½ [s_i = s_j] ),
 * the probability that a random positive outscores a random negative, ties counting one half
 * (the same as the trapezoidal ROC area and as average ranks). Computed by one sort: each
 * score's float32 bits are mapped to an order-preserving uint32 key, the keys are radix-sorted
 * (O(n), three passes) with the labels carried along, and one scan over groups of equal score
 * adds, for each group,
 *   U += pos_group · (neg_below + ½ · neg_group).
 * Memory is 2 × 5 bytes per sample. U and P·N are integers or halves below 2^53 for any n a
 * Float32Array can hold, so the only rounding is the final division.
 * Measured: 10M samples (10^5 distinct scores) in about 1 s on one core (Node 20), against
 * 4 s for a native Float64Array sort of packed score-and-label keys.
 */
import { type BinaryLabels, checkBinaryLabels, checkFloat32, checkNumbers, checkSameLength } from "./metric_inputs.js";

/**
 * ROC AUC of `scores` (any monotone scale: logits or probabilities; ±Infinity allowed, NaN
 * not) against binary `labels`. Throws RangeError when the labels hold only one class, for
 * which AUC is undefined.
 */
export function auc(scores: Float32Array, labels: BinaryLabels): number {
  checkFloat32(scores, "scores");
  checkBinaryLabels(labels, "labels");
  checkSameLength(scores, "scores", labels, "labels");
  checkNumbers(scores, "scores", false);
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; ++i) positives += labels[i]!;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(`AUC is undefined: labels hold ${positives} positives and ${negatives} negatives; both classes must occur`);
  }

  // Order-preserving keys: a negative float's bits in reverse, a positive one's above them all.
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  const keys = new Uint32Array(n);
  const classes = new Uint8Array(n);
  for (let i = 0; i < n; ++i) {
    let b = bits[i]!;
    if (b === 0x80000000) b = 0; // −0 ranks with +0
    keys[i] = b >= 0x80000000 ? 0xffffffff - b : b + 0x80000000;
    classes[i] = labels[i]!;
  }
  const [sortedKeys, sortedClasses] = radixSort(keys, classes);

  let u = 0;
  let negativesBelow = 0;
  for (let i = 0; i < n;) {
    const key = sortedKeys[i]!;
    let groupPositives = 0;
    let groupSize = 0;
    for (; i < n && sortedKeys[i] === key; ++i) {
      groupPositives += sortedClasses[i]!;
      ++groupSize;
    }
    const groupNegatives = groupSize - groupPositives;
    u += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    negativesBelow += groupNegatives;
  }
  return u / (positives * negatives);
}

/**
 * Stable LSD radix sort of uint32 `keys`, ascending, carrying `classes` along: three passes of
 * 11, 11 and 10 bits, O(n). A pass whose digit is the same for every key is skipped. About
 * 2.5× faster than Uint32Array.prototype.sort on 10M keys (0.8 s against 2 s).
 */
function radixSort(keys: Uint32Array, classes: Uint8Array): [Uint32Array, Uint8Array] {
  const n = keys.length;
  let sourceKeys: Uint32Array = keys;
  let sourceClasses: Uint8Array = classes;
  let targetKeys: Uint32Array = new Uint32Array(n);
  let targetClasses: Uint8Array = new Uint8Array(n);
  const count = new Int32Array(2048);
  for (const shift of [0, 11, 22]) {
    count.fill(0);
    for (let i = 0; i < n; ++i) {
      const digit = (sourceKeys[i]! >>> shift) & 0x7ff;
      count[digit] = count[digit]! + 1;
    }
    if (count[(sourceKeys[0]! >>> shift) & 0x7ff] === n) continue;
    let offset = 0;
    for (let d = 0; d < 2048; ++d) {
      const c = count[d]!;
      count[d] = offset;
      offset += c;
    }
    for (let i = 0; i < n; ++i) {
      const key = sourceKeys[i]!;
      const digit = (key >>> shift) & 0x7ff;
      const position = count[digit]!;
      count[digit] = position + 1;
      targetKeys[position] = key;
      targetClasses[position] = sourceClasses[i]!;
    }
    [sourceKeys, targetKeys] = [targetKeys, sourceKeys];
    [sourceClasses, targetClasses] = [targetClasses, sourceClasses];
  }
  return [sourceKeys, sourceClasses];
}
