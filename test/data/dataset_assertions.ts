/** Assertions on data sets, for the data layer's tests. */
import { expect } from "vitest";

import type { RatingsDataset } from "../../ts/data/dataset.js";

type Column = Int32Array | Float32Array | Float64Array;

/** toEqual on million-element typed arrays is slow; this compares in a loop and names the first difference. */
export function expectSameColumn(name: string, actual: Column, expected: Column): void {
  expect(actual.constructor, name).toBe(expected.constructor);
  expect(actual.length, `${name}.length`).toBe(expected.length);
  for (let k = 0; k < actual.length; ++k) {
    if (!Object.is(actual[k], expected[k])) expect(`${name}[${k}] = ${actual[k]}`).toBe(`${name}[${k}] = ${expected[k]}`);
  }
}

export function expectSameDataset(actual: RatingsDataset, expected: RatingsDataset): void {
  expect(actual.numUsers).toBe(expected.numUsers);
  expect(actual.numItems).toBe(expected.numItems);
  for (const name of ["users", "items", "ratings", "timestamps", "userIds", "itemIds"] as const) {
    expectSameColumn(name, actual[name], expected[name]);
  }
}
