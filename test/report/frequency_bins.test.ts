import { describe, expect, it } from "vitest";

import { frequencyBins, median, sampleBins, type FrequencyBin } from "../../ts/report/frequency_bins.js";

describe("frequency bins", () => {
  //                  id:  0  1  2  3   4   5   6   7  8
  const frequencies = [0, 1, 1, 2, 3, 5, 9, 4, 1];
  const sizes = [8, 2, 4, 8, 16, 32, 64, 16, 2];

  it("group ids by frequency in [2^k, 2^(k+1)) and leave out ids never seen", () => {
    const bins = frequencyBins(frequencies, sizes);
    expect(bins.map((b) => b.low)).toEqual([1, 2, 4, 8]);
    expect(bins.map((b) => b.ids)).toEqual([[1, 2, 8], [3, 4], [5, 7], [6]]);
  });

  it("give each bin the median size and frequency of its ids", () => {
    const bins = frequencyBins(frequencies, sizes);
    expect(bins.map((b) => b.medianSize)).toEqual([2, 12, 24, 64]);
    expect(bins.map((b) => b.medianFrequency)).toEqual([1, 2.5, 4.5, 9]);
  });

  it("median is the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("sampling ids for the dots", () => {
  const bin = (ids: number[]): FrequencyBin => ({ low: 1, ids, medianFrequency: 1, medianSize: 1 });
  const bins = [bin([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), bin([10, 11, 12]), bin([13])];

  it("keeps small bins whole and spreads the largest quota that fits evenly over larger ones", () => {
    // Quota 4: min(10, 4) + 3 + 1 = 8 ≤ 8; quota 5 would take 9.
    expect(sampleBins(bins, 8)).toEqual([0, 2, 5, 7, 10, 11, 12, 13]);
  });

  it("keeps every id when the cap allows", () => {
    expect(sampleBins(bins, 14)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });
});
