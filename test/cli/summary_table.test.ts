/**
 * The CLI's summary row says which model each figure came from: the plan's metrics under their
 * own names, the search's own online figures headed "search …", and the search's peak bytes.
 */
import { describe, expect, it } from "vitest";

import { resultRow } from "../../ts/cli/summary_table.js";
import type { SearchResult } from "../../ts/search/search_types.js";

describe("resultRow", () => {
  it("heads the search's own figures apart from the plan's", () => {
    const result: SearchResult = {
      method: "esapn", task: "binary", plan: { candidates: [2, 4], tables: { users: Int32Array.of(2, 4) } }, bytes: 24, ratio: 0.75,
      budgetBytes: 24, history: [], metrics: { testAccuracy: 0.69, testLoss: 0.21 },
      searchMetrics: { testAccuracy: 0.71, peakTrainingBytes: 40 }, peakSearchBytes: 2048,
    };
    expect(resultRow("esapn", result)).toEqual({
      run: "esapn", task: "binary", bytes: "24 B", ratio: "0.750", budget: "24 B", testAccuracy: 0.69, testLoss: 0.21,
      "search peak": "2.00 KiB", "search testAccuracy": 0.71,
    });
  });
});
