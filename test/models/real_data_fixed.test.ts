/**
 * FIXED on MovieLens (ml-100k and ml-latest-small from ../shared/data; skipped without them):
 * binary and five-class, time-ordered and prequential, it must beat the majority-class and
 * popularity baselines. `npm run bench:fixed` records the same runs in bench/results/.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadRatings } from "mixdim";
import { runRatingExperiment } from "../../ts/training/rating_experiment.js";

const data = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/data");
const files = {
  "ml-100k": path.join(data, "ml-100k/u.data"),
  "ml-latest-small": path.join(data, "ml-latest-small/ratings.csv"),
};

for (const [name, file] of Object.entries(files)) {
  describe.skipIf(!existsSync(file))(`FIXED on ${name}`, () => {
    for (const task of ["binary", "multiclass"] as const) {
      it(`${task}: beats the majority and popularity baselines on the held-out tail`, async () => {
        const { dataset } = await loadRatings(file);
        const result = runRatingExperiment(dataset, { task, seed: 1 });
        console.log(name, task, JSON.stringify({ test: result.test, baselines: result.baselines }));
        expect(result.test.loss).toBeLessThan(result.baselines.majority.loss);
        expect(result.test.loss).toBeLessThan(result.baselines.popularity.loss);
        expect(result.test.accuracy).toBeGreaterThan(result.baselines.majority.accuracy);
        // Five-class accuracy on ml-latest-small is a thin margin (39.11% against popularity's
        // 38.97% and the majority's 38.78%, bench/results/fixed_movielens.md); the run is
        // deterministic on the CPU for seed 1, and other seeds land within ±0.3 points.
        expect(result.test.accuracy).toBeGreaterThan(result.baselines.popularity.accuracy);
      });
    }
  });
}
