/**
 * An embedding store tells V8 how much host memory it holds, so that the garbage collector frees
 * stores a program has dropped. (Not in the sanitizer run: ASan's quarantine holds freed memory.)
 */
import { describe, expect, it } from "vitest";
import { EmbeddingStore } from "mixdim";

const candidates = [2, 4, 8, 16, 64, 128];
describe("host memory V8 knows of", () => {
  it("lets the garbage collector free dropped stores: 40 stores of 31 MB dropped in turn leave RSS < 500 MB higher", async () => {
    // Each store reports its bytes to V8 (napi_adjust_external_memory); unreported, V8 saw only a
    // small JS heap, never collected, and RSS grew by every store (~800 MB here).
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 40; ++i) {
      const store = new EmbeddingStore({ candidates, sizes: new Array(20_000).fill(128), optimizer: { type: "adam" } });
      expect(store.bytes().total).toBeGreaterThan(30e6);
      // Finalizers run when the event loop turns.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(500 * 2 ** 20);
  });
});
