import { describe, expect, it } from "vitest";

import { linearPosition, linearTicks, logPosition, logTicks, niceStep } from "../../ts/report/chart_scales.js";

const labels = (ticks: { label: string }[]) => ticks.map((t) => t.label);

describe("linear ticks", () => {
  it("picks 1, 2 or 5 times a power of ten, as d3 does", () => {
    expect(niceStep(10, 5)).toBe(2);      // 2.0 ≥ √2
    expect(niceStep(7, 5)).toBe(1);       // 1.4 < √2
    expect(niceStep(35, 5)).toBe(5);      // 7.0 < √50
    expect(niceStep(36, 5)).toBe(10);     // 7.2 ≥ √50
    expect(niceStep(0.83, 5)).toBeCloseTo(0.2, 12);
  });

  it("widens the domain to whole steps and labels with the step's decimals", () => {
    const scale = linearTicks(0, 0.83);
    expect(scale.domain).toEqual([0, 1]);
    expect(scale.ticks.map((t) => t.value)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(labels(scale.ticks)).toEqual(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
  });

  it("groups thousands", () => {
    expect(labels(linearTicks(0, 950).ticks)).toEqual(["0", "200", "400", "600", "800", "1,000"]);
  });

  it("puts a single value mid-axis", () => {
    const scale = linearTicks(3, 3);
    expect(scale.domain).toEqual([2.7, 3.3]);
    expect(labels(scale.ticks)).toEqual(["2.7", "2.8", "2.9", "3.0", "3.1", "3.2", "3.3"]);
  });
});

describe("log ticks", () => {
  it("are powers of ten over more than two decades", () => {
    expect(labels(logTicks(1, 1000))).toEqual(["1", "10", "100", "1,000"]);
  });

  it("add 2 and 5 times them over two decades or fewer", () => {
    expect(labels(logTicks(0.7, 60))).toEqual(["1", "2", "5", "10", "20", "50"]);
    expect(labels(logTicks(0.01, 0.5))).toEqual(["0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]);
  });

  it("skip powers over many decades so that labels do not crowd", () => {
    expect(logTicks(1, 1e12).map((t) => t.value)).toEqual([1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12]);
  });
});

describe("positions", () => {
  it("map a linear domain onto a range, reversed for a y axis", () => {
    expect(linearPosition([0, 10], [100, 200])(2.5)).toBe(125);
    expect(linearPosition([0, 10], [300, 100])(5)).toBe(200);
  });

  it("map a log domain by orders of magnitude", () => {
    const x = logPosition([1, 100], [0, 200]);
    expect(x(10)).toBeCloseTo(100, 10);
    expect(x(1)).toBeCloseTo(0, 10);
    expect(x(100)).toBeCloseTo(200, 10);
  });
});
