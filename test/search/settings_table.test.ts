/**
 * Settings are read strictly: every method checks `settings` against its table before it runs,
 * so that an unknown key, a key it does not read for the task, and a value of the wrong type or
 * range are errors that name the setting and show the value given.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "mixdim";
import { methodSettingsMarkdown } from "../../ts/cli/search_command.js";
import { search } from "../../ts/search/search.js";
import { searchMethods, settingsOf } from "../../ts/search/search_methods.js";
import { checkSettings, settingsHelp } from "../../ts/search/setting_table.js";
import type { SearchMethod, SearchTask } from "../../ts/search/search_types.js";

const ratings = generateSynthetic({ numUsers: 40, numItems: 30, numRatings: 600, seed: 1 });
const clicks = generateSynthetic({ numUsers: 40, numItems: 30, numRatings: 600, numFields: 3, fieldCardinalities: [5, 9, 20], seed: 1 });
const methods: [SearchMethod, SearchTask][] = [
  ["fixed", "binary"], ["mde", "ctr"], ["darts", "binary"], ["autoemb", "binary"], ["autodim", "ctr"], ["esapn", "binary"], ["scall", "implicit"],
];

describe("settings tables", () => {
  for (const [method, task] of methods) {
    it(`${method}: an unknown setting is a RangeError naming it, before anything runs`, async () => {
      const data = task === "ctr" ? clicks : ratings;
      await expect(search({ method, task, data, settings: { bogus: 1 } }))
        .rejects.toThrow(new RangeError(`settings.bogus is not a setting of ${method}`));
    });
  }

  it("suggests the setting a typo meant", async () => {
    await expect(search({ method: "esapn", data: ratings, settings: { learningrate: 0.1 } }))
      .rejects.toThrow(new RangeError("settings.learningrate is not a setting of esapn; did you mean learningRate?"));
    await expect(search({ method: "darts", data: ratings, settings: { bachSize: 100 } }))
      .rejects.toThrow(/settings\.bachSize is not a setting of darts; did you mean batchSize\?/);
  });

  it("a setting the method reads only for another task is an error naming the tasks", async () => {
    await expect(search({ method: "fixed", data: ratings, settings: { learningRate: 0.1 } }))
      .rejects.toThrow(new RangeError(`settings.learningRate is not read by fixed on task "binary" (only on "ctr", "implicit")`));
    await expect(search({ method: "darts", data: clicks, task: "ctr", settings: { order: "shuffle" } }))
      .rejects.toThrow(/settings\.order is not read by darts on task "ctr"/);
  });

  it("shows the value given: NaN as NaN, strings quoted", async () => {
    await expect(search({ method: "fixed", data: ratings, settings: { order: "random" } }))
      .rejects.toThrow(new RangeError(`settings.order must be "time" or "shuffle", got "random"`));
    await expect(search({ method: "fixed", data: ratings, settings: { retrainEpochs: -1 } }))
      .rejects.toThrow(new RangeError("settings.retrainEpochs must be an integer in [1, 1000], got -1"));
    await expect(search({ method: "mde", data: clicks, settings: { learningRate: NaN } }))
      .rejects.toThrow(new TypeError("settings.learningRate must be a number, got NaN"));
    for (const method of ["darts", "autoemb", "esapn"] as const) {
      await expect(search({ method, data: ratings, settings: { learningRate: NaN } }))
        .rejects.toThrow(new TypeError("settings.learningRate must be a number, got NaN"));
    }
    await expect(search({ method: "esapn", data: ratings, settings: { batchSize: "3" } }))
      .rejects.toThrow(new TypeError(`settings.batchSize must be a number, got "3"`));
    await expect(search({ method: "scall", data: ratings, settings: { trainFraction: 2 } }))
      .rejects.toThrow(new RangeError("settings.trainFraction must be a number in [0, 1], got 2"));
  });

  it("AutoDim's bi-level order is bilevelOrder; `order` means the stream order, which AutoDim does not read", async () => {
    await expect(search({ method: "autodim", data: clicks, settings: { order: 2 } }))
      .rejects.toThrow(new RangeError("settings.order is not a setting of autodim"));
    await expect(search({ method: "autodim", data: clicks, settings: { bilevelOrder: 3 } }))
      .rejects.toThrow(new RangeError("settings.bilevelOrder must be 1 or 2, got 3"));
  });

  it("checks that settings is an object", () => {
    expect(() => checkSettings("fixed", "binary", settingsOf(searchMethods.fixed!), [1])).toThrow(TypeError);
  });

  it("gives one help line per setting, with its range and default", () => {
    const lines = settingsHelp(settingsOf(searchMethods.esapn!));
    expect(lines).toContain("  batchSize           samples per batch (batch norm needs two) (integer in [2, 16777216]; default 500)");
    expect(lines.some((line) => line.includes("order") && line.includes(`"time" | "shuffle"; default "time"`))).toBe(true);
  });

  it("the README's settings tables are the methods' tables", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = /<!-- settings:begin[^>]*-->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme)?.[1];
    expect(section, "README.md's settings section").toBe(methodSettingsMarkdown());
  });
});
